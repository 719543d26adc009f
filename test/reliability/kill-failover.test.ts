// Failover under SIGKILL (issue P10): `clawops failover` of two pairs at a time, killed at seeded
// random points across its whole duration, then `clawops ops resume`, which must exit by itself.
// After every point: the harness's invariants (test/support/reliability.ts), and per pair exactly
// one live primary; a failover that finished has the old standby serving as the ACTIVE primary, the
// old primary QUARANTINED and one replacement standby queued. The lab boots virtual gf-clawnodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReprovisionQueue } from '../../src/lib/store/reprovision-queue.js'
import { killCampaign, LabHome, liveMembers, note, runToExit } from '../support/reliability.js'

const POINTS = Number(process.env.CLAWOPS_RELIABILITY_POINTS ?? 20)
const SEED = Number(process.env.CLAWOPS_RELIABILITY_SEED ?? 20261206)
const PER_RUN = 2

const lab = new LabHome()
let pool: string[] = []

beforeAll(async () => {
  // Every pair here fails over in one window: the blast-radius rule has its own tests.
  await lab.up({ config: { watch: { blastRadius: { maxShare: 1, minFailovers: 1000 } } } })
  // A few ms on every provider request, as a real API has.
  await lab.fault({ latencyMs: 3 })
  pool = await lab.provision((POINTS + 4) * PER_RUN, 'hetzner', 'vultr')
}, 900_000)

afterAll(() => lab.down())

function take(n: number): string[] {
  const out = pool.slice(0, n)
  pool = pool.slice(n)
  return out
}

function failoverArgs(pairs: string[]): string[] {
  return ['failover', '-l', `pair in (${pairs.join(',')})`, '--reason', 'reliability test', '--yes']
}

describe('failover under SIGKILL', () => {
  it(`resumes clean from ${POINTS} random kill points`, async () => {
    // The duration to spread the points over: one failover run to its end.
    const calibration = take(PER_RUN)
    const t0 = Date.now()
    const first = await runToExit(lab, failoverArgs(calibration))
    const durationMs = Date.now() - t0
    expect(first.code, first.stdout).toBe(0)
    note(`failover of ${PER_RUN} pairs: ${durationMs} ms uninterrupted`)

    const result = await killCampaign({
      lab,
      kind: 'failover',
      seed: SEED,
      points: POINTS,
      durationMs,
      kinds: ['failover'],
      next: async () => {
        const pairs = take(PER_RUN)
        const before = new Map(pairs.map((p) => [p, liveMembers(lab, p)]))
        return {
          args: failoverArgs(pairs),
          check: () => {
            const problems: string[] = []
            for (const pairId of pairs) {
              const was = before.get(pairId)!
              const oldPrimary = was.find((m) => m.role === 'primary')!
              const oldStandby = was.find((m) => m.role === 'standby')!
              const now = liveMembers(lab, pairId)
              const primaries = now.filter((m) => m.role === 'primary')
              if (primaries.length !== 1)
                problems.push(
                  `pair ${pairId} has ${primaries.length} primaries: ${JSON.stringify(now.map((m) => [m.id, m.role, m.state]))}`,
                )
              const p = primaries[0]
              if (p?.id === oldStandby.id) {
                // Failed over: the old primary is fenced off and a replacement standby is owed.
                const old = now.find((m) => m.id === oldPrimary.id)
                if (p.state !== 'ACTIVE') problems.push(`pair ${pairId}: promoted ${p.id} is ${p.state}`)
                if (old?.state !== 'QUARANTINED')
                  problems.push(
                    `pair ${pairId}: old primary ${oldPrimary.id} is ${old?.state} after the failover`,
                  )
                const queued = lab.read((s) => s.repo(ReprovisionQueue).forReplacement(pairId, oldPrimary.id))
                if (!queued) problems.push(`pair ${pairId}: no replacement standby queued`)
              } else if (p && p.state !== 'ACTIVE') {
                problems.push(
                  `pair ${pairId}: primary ${p.id} is ${p.state} and the standby was not promoted`,
                )
              }
            }
            return problems
          },
        }
      },
      resume: () => [['ops', 'resume']],
    })
    expect(result.failures).toEqual([])
    expect(result.killed).toBeGreaterThanOrEqual(POINTS)
  }, 1_800_000)
})
