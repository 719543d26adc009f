/**
 * Snapshots of the user's OpenClaw state directory, taken with the gateway stopped (a live SQLite
 * database in WAL mode cannot be copied safely; OpenClaw's own recovery guide says the same) and put
 * back whole. The directory itself may be a mount point, so its contents are packed and replaced, not
 * the directory. A digest of the contents (every path, size and SHA-256) lets the caller prove a
 * restore brought back exactly what was there.
 */
import { createHash } from 'node:crypto'
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
} from 'node:fs'
import { join, relative } from 'node:path'

export interface Snapshot {
  id: string
  file: string
  sha256: string
  bytes: number
  /** Digest of the directory's contents when it was taken. */
  digest: string
}

async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Every entry under `dir` (path, kind, size, content hash), hashed in path order. */
export async function digestDir(dir: string): Promise<string> {
  const h = createHash('sha256')
  const walk = async (d: string): Promise<void> => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = lstatSync(p)
      const rel = relative(dir, p)
      if (st.isDirectory()) {
        h.update(`d ${rel}\n`)
        await walk(p)
      } else if (st.isSymbolicLink()) h.update(`l ${rel} ${readlinkSync(p)}\n`)
      else if (st.isFile()) h.update(`f ${rel} ${st.size} ${await fileHash(p)}\n`)
    }
  }
  if (existsSync(dir)) await walk(dir)
  return h.digest('hex')
}

/** Packs the contents of `dir` into `<into>/<id>.tgz`. */
export async function takeSnapshot(dir: string, into: string, id: string): Promise<Snapshot> {
  mkdirSync(into, { recursive: true, mode: 0o700 })
  const file = join(into, `${id}.tgz`)
  const digest = await digestDir(dir)
  const { create } = await import('tar')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  await create({ gzip: true, file, cwd: dir }, ['.'])
  const { size } = lstatSync(file)
  return { id, file, sha256: await fileHash(file), bytes: size, digest }
}

/**
 * Replaces the contents of `dir` with the snapshot. What was there is packed to `aside` first, so
 * nothing the user had is ever lost by a restore. Returns the digest of the restored contents.
 */
export async function restoreSnapshot(dir: string, snap: Snapshot, aside: string): Promise<string> {
  if ((await fileHash(snap.file)) !== snap.sha256)
    throw new Error(`snapshot ${snap.id} does not match its checksum; the state was left as it is`)
  const { create, extract } = await import('tar')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  await create({ gzip: true, file: aside, cwd: dir }, ['.'])
  for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true })
  await extract({ file: snap.file, cwd: dir })
  return digestDir(dir)
}
