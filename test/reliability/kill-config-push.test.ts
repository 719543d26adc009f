// Config push under SIGKILL (issue P10): `clawops config push` of a new model to every instance of a
// small lab fleet (virtual gf-clawnodes, their own openclaw.json each), in batches, killed at seeded
// random points across its whole duration, then resumed with `clawops ops resume` or `clawops config
// push resume <rollout>` (alternately), which must exit by itself. After every point: the harness's
// invariants, the rollout complete with every instance applied, and on every node the new value in
// its config and the previous push's value in the kept previous file: applied once, never twice.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Instance } from '../../src/lib/domain/instance.js'
import { ConfigRollouts, rolloutIdOf } from '../../src/lib/store/config-rollouts.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Operations } from '../../src/lib/store/operations.js'
import { killCampaign, LabHome, note, runToExit, userConfigOf } from '../support/reliability.js'

const POINTS = Number(process.env.CLAWOPS_RELIABILITY_POINTS ?? 20)
const SEED = Number(process.env.CLAWOPS_RELIABILITY_SEED ?? 20261207)
const PAIRS = 8

const lab = new LabHome()
let fleet: Instance[] = []

beforeAll(async () => {
  await lab.up()
  await lab.fault({ latencyMs: 3 })
  await lab.provision(PAIRS / 2, 'hetzner', 'vultr')
  await lab.provision(PAIRS / 2, 'digitalocean', 'hetzner')
  fleet = lab.read((s) => s.repo(Instances).list())
  expect(fleet).toHaveLength(PAIRS * 2)
}, 900_000)

afterAll(() => lab.down())

const model = (i: number) => `lab/model-${i}`

function pushArgs(i: number): string[] {
  const doc = join(lab.home, `push-${i}.json`)
  writeFileSync(doc, JSON.stringify({ agents: { defaults: { model: { primary: model(i) } } } }))
  return [
    'config',
    'push',
    '--merge',
    doc,
    '--batch-size',
    '3',
    '--pause',
    '0',
    '--reason',
    `point ${i}`,
    '--yes',
  ]
}

const userConfig = (i: Instance) => userConfigOf(lab, i)

const primaryIn = (path: string): string | null =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8'))?.agents?.defaults?.model?.primary ?? null) : null

/** The rollout the latest config.push operation started, if it got as far as its start step. */
function latestRollout() {
  return lab.read((s) => {
    const op = s.repo(Operations).list({ kind: 'config.push', limit: 1 })[0]
    return op ? { opId: op.id, rollout: s.repo(ConfigRollouts).get(rolloutIdOf(op.id)) ?? null } : null
  })
}

describe('config push under SIGKILL', () => {
  it(`resumes clean from ${POINTS} random kill points, applying nothing twice`, async () => {
    const t0 = Date.now()
    const first = await runToExit(lab, pushArgs(0))
    const durationMs = Date.now() - t0
    expect(first.code, first.stdout).toBe(0)
    note(`config push to ${fleet.length} instances in batches of 3: ${durationMs} ms uninterrupted`)
    for (const i of fleet) expect(primaryIn(userConfig(i))).toBe(model(0))

    let value = 0
    const result = await killCampaign({
      lab,
      kind: 'config.push',
      seed: SEED,
      points: POINTS,
      durationMs,
      kinds: ['config.push'],
      next: async (i) => {
        const previous = value
        const before = latestRollout()?.opId
        return {
          args: pushArgs(i + 1),
          check: () => {
            const latest = latestRollout()
            if (!latest || latest.opId === before) {
              // Killed before the operation was journaled: nothing may have changed anywhere.
              return fleet
                .filter((x) => primaryIn(userConfig(x)) !== model(previous))
                .map((x) => `${x.id}: changed by a push that never started`)
            }
            value = i + 1
            const problems: string[] = []
            const r = latest.rollout
            if (r?.status !== 'complete')
              problems.push(`rollout of ${latest.opId} is ${r?.status ?? 'missing'}`)
            const targets = r ? lab.read((s) => s.repo(ConfigRollouts).targets(r.id)) : []
            for (const x of fleet) {
              const t = targets.find((y) => y.instanceId === x.id)
              if (t?.outcome !== 'applied')
                problems.push(`${x.id}: outcome ${t?.outcome ?? 'none'} (${t?.state})`)
              const now = primaryIn(userConfig(x))
              const prev = primaryIn(`${userConfig(x)}.clawnode-prev`)
              if (now !== model(value)) problems.push(`${x.id}: config has ${now}, not ${model(value)}`)
              // Applied twice, the kept previous file would hold this push's own value.
              if (prev !== model(previous))
                problems.push(`${x.id}: previous config has ${prev}, not ${model(previous)}`)
            }
            return problems
          },
        }
      },
      resume: (i) => {
        const latest = latestRollout()
        if (i % 2 === 1 && latest?.rollout && latest.rollout.status !== 'complete')
          return [['config', 'push', 'resume', latest.rollout.id]]
        return [['ops', 'resume']]
      },
    })
    expect(result.failures).toEqual([])
    expect(result.killed).toBeGreaterThanOrEqual(POINTS)
  }, 1_800_000)
})
