/**
 * Moving a user's OpenClaw state from one instance to another through the two nodes: the old node
 * packs it (openclaw.archive), the new node unpacks it in place of its own and restarts
 * (openclaw.restore). Used when a tier change cannot happen in place and the user moves to a new
 * server; nothing of the user's state passes through anything but clawops' memory.
 */
import { randomBytes } from 'node:crypto'
import { UserError } from '../errors.js'
import type { NodeInvoker, NodeTarget } from '../gateway/link.js'

interface Chunk {
  archiveId: string
  size: number
  sha256: string
  chunk: string
  done: boolean
}

export async function migrateUserState(
  invoker: NodeInvoker,
  from: NodeTarget,
  to: NodeTarget,
): Promise<{ bytes: number; healthy: boolean }> {
  const uploadId = randomBytes(8).toString('hex')
  let archiveId: string | undefined
  let offset = 0
  for (;;) {
    const c = await invoker.invoke<Chunk>(
      from,
      'openclaw.archive',
      { ...(archiveId ? { archiveId } : {}), offset },
      120_000,
    )
    archiveId = c.archiveId
    const len = Buffer.from(c.chunk, 'base64').length
    const r = await invoker.invoke<{ done: boolean; healthy?: boolean }>(
      to,
      'openclaw.restore',
      { uploadId, offset, chunk: c.chunk, done: c.done, ...(c.done ? { sha256: c.sha256 } : {}) },
      180_000,
    )
    offset += len
    if (c.done) {
      if (!r.done) throw new UserError('NODE_ERROR', 'the new node did not finish restoring the user state')
      return { bytes: offset, healthy: r.healthy ?? false }
    }
  }
}
