// Resize under SIGKILL (issue P10): a cross-provider resize of one member of a pair (the standby, or
// the primary, whose replacement takes the primary role once it serves), by replacement: a new server
// on DigitalOcean (its row written only once the create answered), the user's state moved node to
// node, the old server deleted. Killed at seeded random points across its
// whole duration and, every third point, a few ms after the lab answered the old server's delete;
// then `clawops ops resume`, which must exit by itself. After every point: the harness's invariants
// and, per pair, one live primary and at most two live members on two providers; a resize that
// finished leaves both members ACTIVE on the new tier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Instances } from '../../src/lib/store/instances.js'
import { Operations } from '../../src/lib/store/operations.js'
import { killCampaign, LabHome, liveMembers, note, runToExit } from '../support/reliability.js'

const POINTS = Number(process.env.CLAWOPS_RELIABILITY_POINTS ?? 20)
const SEED = Number(process.env.CLAWOPS_RELIABILITY_SEED ?? 20261209)

const lab = new LabHome()
let pool: string[] = []

beforeAll(async () => {
  await lab.up()
  await lab.fault({ latencyMs: 3 })
  pool = await lab.provision(POINTS + 4, 'hetzner', 'vultr')
}, 900_000)

afterAll(() => lab.down())

/** Moves the pair's standby (even points) or primary (odd) to DigitalOcean on the standard tier. */
function resizeArgs(pairId: string, i: number): string[] {
  const members = liveMembers(lab, pairId)
  const member = members.find((m) => m.role === (i % 2 === 0 ? 'standby' : 'primary'))!
  return ['resize', '--tier', 'standard', '--provider', 'digitalocean', member.id, '--yes']
}

describe('resize under SIGKILL', () => {
  it(`resumes clean from ${POINTS} random kill points`, async () => {
    const t0 = Date.now()
    const first = await runToExit(lab, resizeArgs(pool.shift()!, 0))
    const durationMs = Date.now() - t0
    expect(first.code, first.stdout).toBe(0)
    note(`resize of one member to another provider: ${durationMs} ms uninterrupted`)

    const result = await killCampaign({
      lab,
      kind: 'resize',
      seed: SEED,
      points: POINTS,
      durationMs,
      deleteEvery: 3,
      kinds: ['resize'],
      next: async (i) => {
        const pairId = pool.shift()!
        const args = resizeArgs(pairId, i)
        return {
          args,
          check: () => {
            const problems: string[] = []
            const members = liveMembers(lab, pairId)
            const primaries = members.filter((m) => m.role === 'primary')
            if (primaries.length !== 1 || primaries[0]!.state !== 'ACTIVE')
              problems.push(
                `pair ${pairId} has no single ACTIVE primary: ${JSON.stringify(members.map((m) => [m.id, m.role, m.state]))}`,
              )
            if (new Set(members.map((m) => m.provider)).size !== members.length)
              problems.push(
                `pair ${pairId} has two members on one provider: ${JSON.stringify(members.map((m) => [m.id, m.provider]))}`,
              )
            const op = lab.read((s) => s.repo(Operations).list({ kind: 'resize', limit: 1 })[0])
            const touched = lab.read((s) => s.repo(Instances).get(args[5]!))
            if (op?.state === 'done' && op.summary.includes('resize') && touched?.state === 'DELETED') {
              const moved = members.find((m) => m.provider === 'digitalocean')
              if (!moved || moved.state !== 'ACTIVE' || moved.tier !== 'standard')
                problems.push(
                  `pair ${pairId}: finished resize left ${JSON.stringify(members.map((m) => [m.id, m.provider, m.tier, m.state]))}`,
                )
            }
            return problems
          },
        }
      },
      resume: () => [['ops', 'resume']],
    })
    expect(result.failures).toEqual([])
    expect(result.killed).toBeGreaterThanOrEqual(POINTS)
    expect(result.afterDelete).toBeGreaterThan(0)
  }, 2_400_000)
})
