// Teardown under SIGKILL (issue P10): `clawops teardown` of two whole pairs at a time, killed at
// seeded random points across its whole duration and, every third point, a few ms after the lab
// answered one of its provider deletes; then `clawops ops resume`, which must exit by itself. After
// every point: the harness's invariants (every provider delete audited before it reached the lab, no
// orphan or duplicate, no transitional row) and, for a teardown that finished, every member DELETED
// and the user's state archived, the archive on disk.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Archives } from '../../src/lib/store/archives.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Operations } from '../../src/lib/store/operations.js'
import { killCampaign, LabHome, note, runToExit } from '../support/reliability.js'

const POINTS = Number(process.env.CLAWOPS_RELIABILITY_POINTS ?? 20)
const SEED = Number(process.env.CLAWOPS_RELIABILITY_SEED ?? 20261208)
const PER_RUN = 2

const lab = new LabHome()
let pool: string[] = []

beforeAll(async () => {
  await lab.up()
  await lab.fault({ latencyMs: 3 })
  const n = POINTS + 4
  const a = await lab.provision(n, 'hetzner', 'vultr')
  const b = await lab.provision(n, 'digitalocean', 'hetzner')
  // Each run takes one of each: its deletes go to three providers.
  pool = a.flatMap((p, i) => [p, b[i]!])
}, 900_000)

afterAll(() => lab.down())

function take(n: number): string[] {
  const out = pool.slice(0, n)
  pool = pool.slice(n)
  return out
}

const teardownArgs = (pairs: string[]) => ['teardown', '-l', `pair in (${pairs.join(',')})`, '--yes']

describe('teardown under SIGKILL', () => {
  it(`resumes clean from ${POINTS} random kill points`, async () => {
    const t0 = Date.now()
    const first = await runToExit(lab, teardownArgs(take(PER_RUN)))
    const durationMs = Date.now() - t0
    expect(first.code, first.stdout).toBe(0)
    note(`teardown of ${PER_RUN} pairs: ${durationMs} ms uninterrupted`)

    let archivesTaken = 0
    let maxArchivesPerUser = 0
    const result = await killCampaign({
      lab,
      kind: 'teardown',
      seed: SEED,
      points: POINTS,
      durationMs,
      deleteEvery: 3,
      kinds: ['teardown'],
      next: async () => {
        const pairs = take(PER_RUN)
        const users = lab.read((s) => pairs.map((p) => s.repo(Instances).list({ pairId: p })[0]!.userId))
        const before = lab.read((s) => s.repo(Operations).list({ kind: 'teardown', limit: 1 })[0]?.id)
        return {
          args: teardownArgs(pairs),
          check: () => {
            const problems: string[] = []
            const { op, members, archives } = lab.read((s) => ({
              op: s.repo(Operations).list({ kind: 'teardown', limit: 1 })[0],
              members: pairs.flatMap((p) => s.repo(Instances).list({ pairId: p, includeDeleted: true })),
              archives: users.map((u) => s.repo(Archives).list({ userId: u })),
            }))
            if (!op || op.id === before) {
              // Killed before the operation was journaled: nothing may have changed.
              for (const m of members.filter((x) => x.state !== 'ACTIVE'))
                problems.push(`${m.id} is ${m.state}, changed by a teardown that never started`)
              for (const [k, a] of archives.entries())
                if (a.length > 0) problems.push(`user ${users[k]} archived by a teardown that never started`)
            } else if (op.state === 'done') {
              for (const m of members.filter((x) => x.state !== 'DELETED'))
                problems.push(`${m.id} is ${m.state} after a finished teardown`)
              for (const [k, a] of archives.entries()) {
                if (a.length === 0) problems.push(`user ${users[k]} torn down without an archive`)
                for (const x of a)
                  if (!existsSync(x.location)) problems.push(`archive ${x.location} is missing`)
              }
            }
            for (const a of archives) {
              archivesTaken += a.length
              maxArchivesPerUser = Math.max(maxArchivesPerUser, a.length)
            }
            return problems
          },
        }
      },
      resume: () => [['ops', 'resume']],
    })
    note(
      `teardown: ${archivesTaken} archives for ${result.tried * PER_RUN} users, at most ${maxArchivesPerUser} for one user`,
    )
    expect(result.failures).toEqual([])
    expect(result.killed).toBeGreaterThanOrEqual(POINTS)
    expect(result.afterDelete).toBeGreaterThan(0)
  }, 1_800_000)
})
