/**
 * Archives of a user's OpenClaw state, taken through gf-clawnode before a teardown (openclaw.archive,
 * chunk by chunk, checked against the node's SHA-256), kept in a local directory or an S3-compatible
 * bucket, and removed when they expire (30 days by default). Each archive is a row in the store, so
 * expiry does not depend on listing a bucket.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Context } from '../context.js'
import type { Instance } from '../domain/instance.js'
import { UserError } from '../errors.js'
import type { NodeInvoker } from '../gateway/link.js'
import { newId } from '../ids.js'
import { type ArchiveRecord, Archives } from '../store/archives.js'
import { type S3Target, s3Delete, s3Put } from './s3.js'

const DEFAULT_RETENTION_DAYS = 30
const DAY = 86_400_000

interface Chunk {
  archiveId: string
  size: number
  sha256: string
  offset: number
  chunk: string
  done: boolean
}

export type { ArchiveRecord }

function s3Target(ctx: Context): S3Target | null {
  const s3 = ctx.config().archive?.s3
  if (!s3) return null
  const accessKeyId = ctx.env[s3.accessKeyIdEnv]
  const secretAccessKey = ctx.env[s3.secretAccessKeyEnv]
  if (!accessKeyId || !secretAccessKey) {
    throw new UserError(
      'CONFIG_INVALID',
      `archive.s3: ${s3.accessKeyIdEnv} and ${s3.secretAccessKeyEnv} must be set`,
    )
  }
  return { endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, accessKeyId, secretAccessKey }
}

export function archiveDir(ctx: Context): string {
  return ctx.config().archive?.dir ?? join(ctx.home, 'archives')
}

/** Fetches the instance's state through its node and stores it; returns the stored record. */
export async function archiveUserState(
  ctx: Context,
  invoker: NodeInvoker,
  instance: Instance,
): Promise<ArchiveRecord> {
  const parts: Buffer[] = []
  let archiveId: string | undefined
  let offset = 0
  let last: Chunk
  do {
    last = await invoker.invoke<Chunk>(
      instance,
      'openclaw.archive',
      { ...(archiveId ? { archiveId } : {}), offset },
      120_000,
    )
    archiveId = last.archiveId
    const buf = Buffer.from(last.chunk, 'base64')
    parts.push(buf)
    offset += buf.length
    if (buf.length === 0 && !last.done)
      throw new UserError('NODE_ERROR', 'the node sent an empty archive chunk')
  } while (!last.done)
  const bytes = Buffer.concat(parts)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (bytes.length !== last.size || sha256 !== last.sha256) {
    throw new UserError(
      'NODE_ERROR',
      `archive of ${instance.id} arrived damaged (${bytes.length}/${last.size} bytes)`,
      {
        details: { expected: last.sha256, got: sha256 },
      },
    )
  }
  const now = ctx.clock()
  const stamp = now
    .toISOString()
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z')
  const name = `${instance.userId}/${instance.pairId}-${stamp}.tar.gz`
  const target = s3Target(ctx)
  let location: string
  if (target) {
    const key = `${ctx.config().archive?.s3?.prefix ?? ''}${name}`
    await s3Put(target, key, bytes)
    location = `s3://${target.bucket}/${key}`
  } else {
    const path = join(archiveDir(ctx), name)
    mkdirSync(join(archiveDir(ctx), instance.userId), { recursive: true, mode: 0o700 })
    writeFileSync(path, bytes, { mode: 0o600 })
    location = path
  }
  const days = ctx.config().archive?.retentionDays ?? DEFAULT_RETENTION_DAYS
  const record: ArchiveRecord = {
    id: newId('arc'),
    userId: instance.userId,
    pairId: instance.pairId,
    instanceId: instance.id,
    location,
    bytes: bytes.length,
    sha256,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + days * DAY).toISOString(),
  }
  ctx.store().repo(Archives).insert(record)
  return record
}

/**
 * Deletes one archive's bytes (file or object); the caller marks it deleted. An archive kept in S3
 * when no bucket is configured any more cannot be reached: that is an error, not a silent skip.
 */
export async function deleteArchiveBytes(ctx: Context, location: string): Promise<void> {
  if (location.startsWith('s3://')) {
    const target = s3Target(ctx)
    if (!target)
      throw new UserError('CONFIG_INVALID', `archive ${location} is in S3 but archive.s3 is not configured`, {
        hint: 'Configure archive.s3 again to prune it.',
      })
    await s3Delete(target, location.replace(`s3://${target.bucket}/`, ''))
  } else {
    rmSync(location, { force: true })
    // An empty per-user directory is noise.
    const dir = dirname(location)
    try {
      if (dir.startsWith(archiveDir(ctx)) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true })
    } catch {
      // already gone
    }
  }
}
