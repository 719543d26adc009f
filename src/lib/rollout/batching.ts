/**
 * How a rollout (a config push, an upgrade) is cut into batches. Standbys go first (they serve no
 * user, so a change that breaks a gateway shows up there before any user notices), then primaries, each in pair order, so the
 * batching is the same every time it is planned. Two members of one pair are never in the same batch:
 * a batch that would take a pair's second member is closed early. An optional canary batch comes first.
 */
import type { Role } from '../domain/instance.js'

export interface BatchMember {
  id: string
  pairId: string
  userId: string
  role: Role
}

export interface BatchOptions {
  batchSize: number
  /** Size of a first, smaller batch (0: none). */
  canary: number
  /** One batch with everything (small targets only; policy asks for a confirmation). */
  allAtOnce: boolean
  /** A rollout changes standbys first; a rollback restores primaries (the users' gateways) first. */
  order?: 'standbys-first' | 'primaries-first'
}

export interface PlannedBatch {
  /** 1-based. */
  index: number
  canary: boolean
  members: BatchMember[]
}

const byPairThenId = (a: BatchMember, b: BatchMember) =>
  a.pairId < b.pairId ? -1 : a.pairId > b.pairId ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

export function orderTargets(
  targets: readonly BatchMember[],
  order: BatchOptions['order'] = 'standbys-first',
): BatchMember[] {
  const first: Role = order === 'standbys-first' ? 'standby' : 'primary'
  const a = targets.filter((t) => t.role === first).sort(byPairThenId)
  const b = targets.filter((t) => t.role !== first).sort(byPairThenId)
  return [...a, ...b]
}

export function planBatches(targets: readonly BatchMember[], opts: BatchOptions): PlannedBatch[] {
  const ordered = orderTargets(targets, opts.order)
  if (ordered.length === 0) return []
  if (opts.allAtOnce) return [{ index: 1, canary: false, members: ordered }]
  const batches: PlannedBatch[] = []
  let current: BatchMember[] = []
  let pairs = new Set<string>()
  const close = () => {
    if (current.length === 0) return
    batches.push({
      index: batches.length + 1,
      canary: batches.length === 0 && opts.canary > 0,
      members: current,
    })
    current = []
    pairs = new Set()
  }
  for (const m of ordered) {
    const limit = batches.length === 0 && opts.canary > 0 ? opts.canary : opts.batchSize
    if (current.length >= limit || pairs.has(m.pairId)) close()
    current.push(m)
    pairs.add(m.pairId)
  }
  close()
  return batches
}
