/**
 * Archives of a user's OpenClaw state, taken before a teardown: through gf-clawnode
 * (openclaw.archive, chunk by chunk, checked against the node's SHA-256) into a local directory or an
 * S3-compatible bucket, or, when no node of the pair can be reached, as the provider's snapshot of
 * the server's disk. Removed when they expire (30 days by default, sooner when the provider removes
 * the snapshot by itself). Each archive is a row in the store, so expiry does not depend on listing a
 * bucket or a provider's snapshots.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Context } from '../context.js'
import type { Instance } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'
import type { NodeInvoker } from '../gateway/link.js'
import { newId } from '../ids.js'
import { snapshotName } from '../providers/names.js'
import type { ProviderAdapter } from '../providers/types.js'
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

function retentionEnd(ctx: Context, now: Date): string {
  const days = ctx.config().archive?.retentionDays ?? DEFAULT_RETENTION_DAYS
  return new Date(now.getTime() + days * DAY).toISOString()
}

/** Fetches the instance's state through its node and stores it; returns the stored record. */
export async function archiveUserState(
  ctx: Context,
  invoker: NodeInvoker,
  instance: Instance,
  o: { opId?: string } = {},
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
  const record: ArchiveRecord = {
    id: newId('arc'),
    userId: instance.userId,
    pairId: instance.pairId,
    instanceId: instance.id,
    via: target ? 's3' : 'file',
    location,
    provider: null,
    serverId: null,
    snapshotId: null,
    opId: o.opId ?? null,
    bytes: bytes.length,
    sha256,
    createdAt: now.toISOString(),
    expiresAt: retentionEnd(ctx, now),
  }
  ctx.store().repo(Archives).insert(record)
  return record
}

/**
 * The provider's snapshot of the instance's disk, as an archive of the user's state: what is left
 * when no node of the pair answers. Taken once per operation and instance (the snapshot's name
 * derives from both, so a resumed run finds it); kept as long as the retention, or until the
 * provider removes it by itself, whichever comes first.
 */
export async function snapshotUserState(
  ctx: Context,
  adapter: ProviderAdapter,
  instance: Instance,
  o: { opId: string; askedAt: string; timeoutMs?: number },
): Promise<ArchiveRecord> {
  const archives = ctx.store().repo(Archives)
  const have = archives.byOp(o.opId, instance.id)
  if (have?.via === 'provider-snapshot') return have
  if (!instance.providerId) {
    throw new UserError('CONFLICT', `${instance.id} has no server on ${instance.provider} to snapshot`, {
      details: { instanceId: instance.id, provider: instance.provider },
    })
  }
  const snap = await adapter.snapshot(instance.providerId, snapshotName(o.opId, instance.id), {
    opId: o.opId,
    askedAt: o.askedAt,
    timeoutMs: o.timeoutMs ?? 30 * 60_000,
  })
  const now = ctx.clock()
  const keep = retentionEnd(ctx, now)
  const record: ArchiveRecord = {
    id: newId('arc'),
    userId: instance.userId,
    pairId: instance.pairId,
    instanceId: instance.id,
    via: 'provider-snapshot',
    location: snapshotLocation(instance.provider, snap.id, instance.providerId),
    provider: instance.provider,
    serverId: instance.providerId,
    snapshotId: snap.id,
    opId: o.opId,
    bytes: null,
    sha256: null,
    createdAt: now.toISOString(),
    expiresAt: snap.expiresAt && snap.expiresAt < keep ? snap.expiresAt : keep,
  }
  archives.insert(record)
  return record
}

export function snapshotLocation(provider: Provider, snapshotId: string, serverId: string): string {
  return `${provider} snapshot ${snapshotId} of server ${serverId}`
}

/**
 * Deletes what one archive is (the file, the object, the provider's snapshot); the caller marks it
 * deleted. An archive kept in S3 when no bucket is configured any more cannot be reached: that is an
 * error, not a silent skip. A snapshot the provider removed by itself is already gone.
 */
export async function deleteArchiveBytes(ctx: Context, archive: ArchiveRecord): Promise<void> {
  const location = archive.location
  if (archive.via === 'provider-snapshot') {
    const adapter = await ctx.provider(archive.provider!)
    await adapter.deleteSnapshot({ id: archive.snapshotId!, serverId: archive.serverId! })
  } else if (location.startsWith('s3://')) {
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
