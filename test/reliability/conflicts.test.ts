// Two conflicting operations at once on the same pair (issue P10), each started as its own clawops
// process, the second a seeded 0–300 ms after the first: a teardown and a cross-provider resize, two
// teardowns, two config pushes to the same instances. One waits (and then runs only if the fleet is
// still as it planned for) or is refused with CONFLICT naming the other; nothing acts twice: one
// successful provider delete per server, one archive per user, one swap per push per instance, the
// second push's swaps all after the first rollout ended. The harness's invariants hold after each.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Instance } from '../../src/lib/domain/instance.js'
import { Archives } from '../../src/lib/store/archives.js'
import { ConfigRollouts, rolloutIdOf } from '../../src/lib/store/config-rollouts.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Operations } from '../../src/lib/store/operations.js'
import {
  checkInvariants,
  deleteOf,
  type Json,
  LabHome,
  liveMembers,
  note,
  runToExit,
  seeded,
  userConfigOf,
} from '../support/reliability.js'

const RUNS = Number(process.env.CLAWOPS_RELIABILITY_CONFLICT_RUNS ?? 3)
const SEED = Number(process.env.CLAWOPS_RELIABILITY_SEED ?? 20261210)
const rnd = seeded(SEED)

const lab = new LabHome()
let pool: string[] = []

beforeAll(async () => {
  await lab.up()
  await lab.fault({ latencyMs: 3 })
  pool = await lab.provision(RUNS * 2 + 2, 'hetzner', 'vultr')
}, 900_000)

afterAll(() => lab.down())

interface Outcome {
  args: string[]
  code: number | null
  json: Json
  opId: string | null
}

/** Starts both commands, the second `offsetMs` after the first, and waits for both to exit. */
async function together(a: string[], b: string[], offsetMs: number): Promise<[Outcome, Outcome]> {
  const first = runToExit(lab, a)
  await new Promise((r) => setTimeout(r, offsetMs))
  const second = runToExit(lab, b)
  const outs = await Promise.all([first, second])
  return outs.map((r, i) => ({
    args: i === 0 ? a : b,
    code: r.code,
    json: r.json,
    opId: r.json?.data?.opId ?? r.json?.data?.rollout?.opId ?? r.json?.error?.details?.opId ?? null,
  })) as [Outcome, Outcome]
}

/** One of the two ran; the other ran after it or was refused with CONFLICT naming it. */
function oneActed(outs: [Outcome, Outcome], kinds: string[]): string[] {
  const problems: string[] = []
  const ran = outs.filter((o) => o.code === 0)
  const refused = outs.filter((o) => o.code !== 0)
  const ops = lab.read((s) => s.repo(Operations).list({ limit: 1000 })).filter((o) => kinds.includes(o.kind))
  if (ran.length === 0) problems.push(`neither ran: ${JSON.stringify(outs.map((o) => o.json?.error))}`)
  for (const r of refused) {
    const e = r.json?.error
    const other = ops.find((o) => o.id === e?.details?.opId)
    if (e?.code !== 'CONFLICT' || !other || !e.message.includes(other.id))
      problems.push(
        `${r.args.join(' ')} ended ${r.code} without a CONFLICT naming the other: ${JSON.stringify(e)}`,
      )
  }
  return problems
}

/** Successful provider deletes per server, from the lab's request log: never more than one. */
async function deletesTwice(): Promise<string[]> {
  const servers = await lab.servers()
  const ok = (await lab.requests(0)).filter((r) => r.status < 300).map((r) => deleteOf(r, servers))
  const counts = new Map<string, number>()
  for (const d of ok)
    if (d) counts.set(`${d.provider}/${d.serverId}`, (counts.get(`${d.provider}/${d.serverId}`) ?? 0) + 1)
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `server ${k} deleted ${n} times`)
}

function archivesOf(userId: string): number {
  return lab.read((s) => s.repo(Archives).list({ userId })).length
}

async function invariantsHold(): Promise<string[]> {
  return [...(await checkInvariants(lab)).violations, ...(await deletesTwice())]
}

describe('two conflicting operations at once', () => {
  it(`teardown and resize of the same pair (${RUNS} runs): one acts, the other waits or is refused`, async () => {
    for (let i = 0; i < RUNS; i++) {
      const pairId = pool.shift()!
      const members = liveMembers(lab, pairId)
      const standby = members.find((m) => m.role === 'standby')!
      const teardown = ['teardown', '-l', `pair=${pairId}`, '--yes']
      const resize = ['resize', '--tier', 'standard', '--provider', 'digitalocean', standby.id, '--yes']
      const offset = rnd.int(0, 300)
      const outs = await together(i % 2 ? resize : teardown, i % 2 ? teardown : resize, offset)
      const problems = [...oneActed(outs, ['teardown', 'resize']), ...(await invariantsHold())]
      if (archivesOf(members[0]!.userId) > 1) problems.push(`user ${members[0]!.userId} archived twice`)
      note(
        `teardown+resize run ${i + 1} (offset ${offset} ms): ${outs.map((o) => `${o.args[0]} ${o.code === 0 ? 'ran' : o.json?.error?.code}`).join(', ')}`,
      )
      expect(problems).toEqual([])
    }
  }, 900_000)

  it(`two teardowns of the same pair (${RUNS} runs): one deletes and archives, once`, async () => {
    for (let i = 0; i < RUNS; i++) {
      const pairId = pool.shift()!
      const userId = liveMembers(lab, pairId)[0]!.userId
      const teardown = ['teardown', '-l', `pair=${pairId}`, '--yes']
      const offset = rnd.int(0, 300)
      const outs = await together(teardown, teardown, offset)
      const problems = [...oneActed(outs, ['teardown']), ...(await invariantsHold())]
      if (archivesOf(userId) !== 1) problems.push(`user ${userId} has ${archivesOf(userId)} archives`)
      const left = lab.read((s) => s.repo(Instances).list({ pairId }))
      if (left.length > 0)
        problems.push(`pair ${pairId} still has ${left.map((m) => `${m.id} ${m.state}`).join(', ')}`)
      note(
        `teardown+teardown run ${i + 1} (offset ${offset} ms): ${outs.map((o) => (o.code === 0 ? 'ran' : o.json?.error?.code)).join(', ')}`,
      )
      expect(problems).toEqual([])
    }
  }, 900_000)

  it(`two config pushes to the same instances (${RUNS} runs): one after the other or refused, never interleaved`, async () => {
    const targets: Instance[] = pool.flatMap((p) => liveMembers(lab, p))
    const selector = `pair in (${pool.join(',')})`
    const file = (i: Instance) => userConfigOf(lab, i)
    const primary = (path: string) =>
      existsSync(path)
        ? (JSON.parse(readFileSync(path, 'utf8'))?.agents?.defaults?.model?.primary ?? null)
        : null
    const push = (value: string) => {
      const doc = join(lab.home, `${value.replace('/', '-')}.json`)
      writeFileSync(doc, JSON.stringify({ agents: { defaults: { model: { primary: value } } } }))
      return ['config', 'push', '--merge', doc, '-l', selector, '--batch-size', '2', '--pause', '1s', '--yes']
    }
    let current: string | null = primary(file(targets[0]!))
    for (let i = 0; i < RUNS; i++) {
      const [a, b] = [`lab/a-${i}`, `lab/b-${i}`]
      const offset = rnd.int(0, 300)
      const outs = await together(push(a), push(b), offset)
      const problems = [...oneActed(outs, ['config.push']), ...(await invariantsHold())]
      const ran = outs
        .filter((o) => o.code === 0)
        .map((o) => lab.read((s) => s.repo(ConfigRollouts).get(rolloutIdOf(o.opId!))!))
      ran.sort((x, y) => x.createdAt.localeCompare(y.createdAt))
      if (ran.length === 2 && ran[1]!.createdAt < ran[0]!.finishedAt!)
        problems.push(
          `rollout ${ran[1]!.id} started at ${ran[1]!.createdAt}, before ${ran[0]!.id} ended at ${ran[0]!.finishedAt}`,
        )
      const values = ran.map((r) => (r.id === rolloutIdOf(outs[0].opId ?? '') ? a : b))
      // Each instance: the last push's value in its config, the one before in the kept previous file.
      const last = values.at(-1) ?? null
      const before = values.length === 2 ? values[0]! : current
      for (const t of targets) {
        if (primary(file(t)) !== last) problems.push(`${t.id}: config has ${primary(file(t))}, not ${last}`)
        if (primary(`${file(t)}.clawnode-prev`) !== before)
          problems.push(`${t.id}: previous config has ${primary(`${file(t)}.clawnode-prev`)}, not ${before}`)
      }
      current = last
      note(
        `push+push run ${i + 1} (offset ${offset} ms): ${outs.map((o) => (o.code === 0 ? 'ran' : o.json?.error?.code)).join(', ')}`,
      )
      expect(problems).toEqual([])
    }
  }, 900_000)
})
