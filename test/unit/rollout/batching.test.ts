import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BatchMember, planBatches } from '../../../src/lib/rollout/batching.js'

function fleet(pairs: number, opts: { lonePrimaries?: number; loneStandbys?: number } = {}): BatchMember[] {
  const out: BatchMember[] = []
  for (let p = 0; p < pairs; p++) {
    const pairId = `p-${String(p).padStart(4, '0')}`
    const lonePrimary = p < (opts.lonePrimaries ?? 0)
    const loneStandby = !lonePrimary && p < (opts.lonePrimaries ?? 0) + (opts.loneStandbys ?? 0)
    if (!loneStandby) out.push({ id: `${pairId}-a`, pairId, userId: `u-${p}`, role: 'primary' })
    if (!lonePrimary) out.push({ id: `${pairId}-b`, pairId, userId: `u-${p}`, role: 'standby' })
  }
  return out
}

/** The invariants every batching must keep, checked on any plan. */
function checkInvariants(
  targets: BatchMember[],
  batches: ReturnType<typeof planBatches>,
  size: number,
  canary: number,
) {
  const seen = batches.flatMap((b) => b.members.map((m) => m.id))
  expect(seen.sort()).toEqual(targets.map((t) => t.id).sort())
  const batchOf = new Map<string, number>()
  for (const b of batches) {
    expect(b.members.length).toBeGreaterThan(0)
    expect(b.members.length).toBeLessThanOrEqual(b.index === 1 && canary ? canary : size)
    const pairs = b.members.map((m) => m.pairId)
    expect(new Set(pairs).size, `batch ${b.index} holds both members of a pair`).toBe(pairs.length)
    for (const m of b.members) batchOf.set(m.id, b.index)
  }
  for (const s of targets.filter((t) => t.role === 'standby')) {
    const primary = targets.find((t) => t.pairId === s.pairId && t.role === 'primary')
    if (primary) expect(batchOf.get(s.id)!).toBeLessThan(batchOf.get(primary.id)!)
  }
}

describe('batching', () => {
  it("cuts the PRD's 847 instances into batches of 50, standbys first, pairs never together", () => {
    const targets = fleet(424, { lonePrimaries: 1 })
    expect(targets).toHaveLength(847)
    const batches = planBatches(targets, { batchSize: 50, canary: 0, allAtOnce: false })
    checkInvariants(targets, batches, 50, 0)
    expect(batches).toHaveLength(17)
    expect(batches[0]!.members.every((m) => m.role === 'standby')).toBe(true)
    expect(batches.at(-1)!.members.every((m) => m.role === 'primary')).toBe(true)
  })

  it('puts a canary batch first, then full batches', () => {
    const targets = fleet(60)
    const batches = planBatches(targets, { batchSize: 50, canary: 5, allAtOnce: false })
    checkInvariants(targets, batches, 50, 5)
    expect(batches.map((b) => b.members.length)).toEqual([5, 50, 50, 15])
    expect(batches.map((b) => b.canary)).toEqual([true, false, false, false])
  })

  it('closes a batch early rather than take the second member of a pair', () => {
    // 3 pairs, batches of 5: 3 standbys, then the first primary's standby is in the same batch.
    const targets = fleet(3)
    const batches = planBatches(targets, { batchSize: 5, canary: 0, allAtOnce: false })
    checkInvariants(targets, batches, 5, 0)
    expect(batches.map((b) => b.members.map((m) => m.role))).toEqual([
      ['standby', 'standby', 'standby'],
      ['primary', 'primary', 'primary'],
    ])
  })

  it('restores primaries first for a rollback', () => {
    const batches = planBatches(fleet(4), {
      batchSize: 10,
      canary: 0,
      allAtOnce: false,
      order: 'primaries-first',
    })
    expect(batches[0]!.members.every((m) => m.role === 'primary')).toBe(true)
    expect(batches[1]!.members.every((m) => m.role === 'standby')).toBe(true)
  })

  it('all at once is one batch with everything', () => {
    const targets = fleet(7)
    const batches = planBatches(targets, { batchSize: 3, canary: 0, allAtOnce: true })
    expect(batches).toHaveLength(1)
    expect(batches[0]!.members).toHaveLength(14)
  })

  it('plans the same batches whatever order the targets come in', () => {
    const targets = fleet(30, { loneStandbys: 4 })
    const a = planBatches(targets, { batchSize: 7, canary: 2, allAtOnce: false })
    const b = planBatches([...targets].reverse(), { batchSize: 7, canary: 2, allAtOnce: false })
    expect(b).toEqual(a)
  })

  it('keeps its invariants on any fleet, batch size and canary', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (pairs, lp, ls, size, canaryRaw) => {
          const canary = Math.min(canaryRaw, size)
          const targets = fleet(pairs, { lonePrimaries: Math.min(lp, pairs), loneStandbys: ls })
          checkInvariants(
            targets,
            planBatches(targets, { batchSize: size, canary, allAtOnce: false }),
            size,
            canary,
          )
        },
      ),
      { numRuns: 300 },
    )
  })
})
