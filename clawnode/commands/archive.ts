/**
 * openclaw.archive, openclaw.restore and openclaw.wipe: the user's OpenClaw state (the directory of
 * their gateway config: sessions, memory, config). openclaw.archive serves it as a tar.gz in chunks
 * that fit a node.invoke result; clawops calls it before a teardown and keeps the archive for 30
 * days. The first call (no archiveId) packs the directory; later calls read it by offset; the last
 * chunk removes the packed file. openclaw.restore is the reverse, for moving a user to a new server:
 * chunks are appended in order, the last one is checked against the sender's SHA-256, the service is
 * stopped, the current state is kept aside and the archive unpacked in its place, and the service
 * started again. openclaw.wipe stops the service and deletes everything in that directory (and the
 * copies restores kept aside), nothing outside it: what a teardown does on a server that keeps
 * running until its contract ends.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import { NodeCommandError } from './errors.js'
import { waitHealthy } from './openclaw.js'
import { defineCommand } from './registry.js'

/** Raw bytes per chunk: base64 of it stays well under the node's default output limit. */
export const ARCHIVE_CHUNK_BYTES = 256 * 1024
const STALE_MS = 60 * 60_000

export function archiveCommands() {
  const archive = defineCommand({
    name: 'openclaw.archive',
    params: z
      .object({
        archiveId: z
          .string()
          .regex(/^[a-f0-9]{16}$/)
          .optional(),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
    timeoutMs: 120_000,
    async run(p, run) {
      const node = run.node
      const dir = join(node.config.stateDir, 'archives')
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      // Packs nobody finished fetching (a crashed teardown) must not pile up.
      for (const f of readdirSync(dir)) {
        if (Date.now() - statSync(join(dir, f)).mtimeMs > STALE_MS) rmSync(join(dir, f), { force: true })
      }
      let id = p.archiveId
      if (!id) {
        const source = dirname(node.config.userGateway.configPath)
        if (!existsSync(source)) throw new NodeCommandError('NOT_FOUND', `${source} does not exist`)
        id = randomBytes(8).toString('hex')
        // tar is loaded when an archive is made, not by every idle node.
        const { create } = await import('tar')
        await create({ gzip: true, file: join(dir, `${id}.tar.gz`), cwd: dirname(source), portable: true }, [
          basename(source),
        ])
      }
      const file = join(dir, `${id}.tar.gz`)
      if (!existsSync(file))
        throw new NodeCommandError('NOT_FOUND', `archive ${id} is gone; start again without archiveId`)
      const size = statSync(file).size
      const fh = await open(file, 'r')
      let chunk: Buffer
      try {
        const buf = Buffer.alloc(Math.min(ARCHIVE_CHUNK_BYTES, Math.max(0, size - p.offset)))
        const { bytesRead } = await fh.read(buf, 0, buf.length, p.offset)
        chunk = buf.subarray(0, bytesRead)
      } finally {
        await fh.close()
      }
      const done = p.offset + chunk.length >= size
      const sha256 = createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
      if (done) rmSync(file, { force: true })
      return { archiveId: id, size, sha256, offset: p.offset, chunk: chunk.toString('base64'), done }
    },
  })
  const restore = defineCommand({
    name: 'openclaw.restore',
    params: z
      .object({
        uploadId: z.string().regex(/^[a-f0-9]{16}$/),
        offset: z.number().int().min(0),
        chunk: z.string().max(2 * ARCHIVE_CHUNK_BYTES),
        done: z.boolean(),
        sha256: z
          .string()
          .regex(/^[a-f0-9]{64}$/)
          .optional(),
      })
      .strict(),
    timeoutMs: 180_000,
    async run(p, run) {
      const node = run.node
      const dir = join(node.config.stateDir, 'restores')
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      const file = join(dir, `${p.uploadId}.tar.gz`)
      const have = existsSync(file) ? statSync(file).size : 0
      const bytes = Buffer.from(p.chunk, 'base64')
      // A repeated chunk (a retried invoke) is ignored; a gap is an error the sender must fix.
      if (p.offset + bytes.length <= have && !p.done)
        return { uploadId: p.uploadId, received: have, done: false }
      if (p.offset !== have && p.offset + bytes.length > have) {
        throw new NodeCommandError(
          'CONFLICT',
          `restore ${p.uploadId}: expected offset ${have}, got ${p.offset}`,
        )
      }
      if (p.offset === have) appendFileSync(file, bytes, { mode: 0o600 })
      if (!p.done) return { uploadId: p.uploadId, received: statSync(file).size, done: false }
      const sha256 = createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
      if (!p.sha256 || sha256 !== p.sha256) {
        rmSync(file, { force: true })
        throw new NodeCommandError(
          'INVALID_PARAMS',
          `restore ${p.uploadId}: checksum mismatch; nothing was changed`,
        )
      }
      const target = dirname(node.config.userGateway.configPath)
      await node.services.stop({ signal: run.signal, timeoutMs: run.remainingMs() })
      const aside = `${target}.before-restore-${Date.now()}`
      if (existsSync(target)) renameSync(target, aside)
      mkdirSync(target, { recursive: true, mode: 0o700 })
      // The archive holds the state directory by its own name; unpack its contents into ours.
      const { extract } = await import('tar')
      await extract({ file, cwd: target, strip: 1 })
      rmSync(file, { force: true })
      await node.services.start({ signal: run.signal, timeoutMs: run.remainingMs() })
      const waited = await waitHealthy(node, Math.min(60_000, run.remainingMs() - 1_000), run.signal)
      return {
        uploadId: p.uploadId,
        received: bytes.length + p.offset,
        done: true,
        keptAside: aside,
        healthy: waited.healthy,
      }
    },
  })
  const wipe = defineCommand({
    name: 'openclaw.wipe',
    // The caller names the instance it means: a wipe that reached the wrong node is refused.
    params: z.object({ instanceId: z.string().min(1).max(64) }).strict(),
    timeoutMs: 120_000,
    async run(p, run) {
      const node = run.node
      if (p.instanceId !== node.instanceId) {
        throw new NodeCommandError(
          'POLICY_DENIED',
          `this node serves ${node.instanceId}, not ${p.instanceId}: nothing was wiped`,
        )
      }
      // The config keeps the node's own state (and so any filesystem root) out of this directory.
      const target = resolve(dirname(node.config.userGateway.configPath))
      await node.services.stop({ signal: run.signal, timeoutMs: Math.max(1_000, run.remainingMs() - 5_000) })
      let entries = 0
      let bytes = 0
      const measure = (path: string): void => {
        // lstat: a link is removed, never followed out of the directory.
        const st = lstatSync(path)
        bytes += st.isFile() ? st.size : 0
        if (st.isDirectory()) for (const e of readdirSync(path)) measure(join(path, e))
      }
      if (existsSync(target)) {
        for (const e of readdirSync(target)) {
          measure(join(target, e))
          rmSync(join(target, e), { recursive: true, force: true })
          entries++
        }
      }
      // What restores kept aside (`<dir>.before-restore-<ms>`, beside it) is the user's state too.
      const parent = dirname(target)
      const aside = existsSync(parent)
        ? readdirSync(parent).filter((e) => e.startsWith(`${basename(target)}.before-restore-`))
        : []
      for (const e of aside) {
        measure(join(parent, e))
        rmSync(join(parent, e), { recursive: true, force: true })
      }
      return { instanceId: node.instanceId, entries, keptAside: aside.length, bytes, stopped: true }
    },
  })
  return [archive, restore, wipe]
}
