// Crash safety and idempotency of provisioning (issue 5): clawops is SIGKILLed at random points of a
// 20-pair provision in the lab, `clawops ops resume` finishes it, and the fleet holds exactly 20
// pairs, no server without an instance, and an intact audit chain. A region outage mid-run ends in a
// clear partial result. The lab boots virtual gf-clawnodes (real node code, one process).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clawops, clawopsAsync, clawopsChild } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

const home = tempHome()
const env = { CLAWOPS_HOME: home }
const ok = (...args: string[]): Json => {
  const r = clawops([...args, '--json'], env)
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return (r.json as Json).data
}

/** Runs clawops and SIGKILLs it after `ms`; resolves with its exit (null when killed). */
function killAfter(args: string[], ms: number): Promise<number | null> {
  const child = clawopsChild(args, env)
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve(code)
    }),
  )
}

// Deterministic "random" points, so a failure can be replayed.
let seed = 20261126
const rand = (lo: number, hi: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return lo + (seed % (hi - lo))
}

beforeAll(async () => {
  // Asynchronously: a real gateway starts slowly on a busy machine, beyond the CLI helper's minute.
  const r = await clawopsAsync(
    ['lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '1', '--json'],
    env,
  )
  expect(r.code, r.stdout + r.stderr).toBe(0)
  // Prices read beforehand, as an operator's fleet has them: the kills below aim at the provision
  // itself, not at a plan that reads the providers' lists for the first time.
  ok('provider', 'prices', '--refresh')
})

/** The lab tailnet, through its Tailscale API with the home's credential. */
async function tailnet(path: string): Promise<Json> {
  const ts = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).provisioning.tailscale
  const key = JSON.parse(readFileSync(ts.credentialsFile, 'utf8')).apiKey
  const get = () => fetch(`${ts.baseUrl}/api/v2${path}`, { headers: { authorization: `Bearer ${key}` } })
  const res = await get().catch(get)
  expect(res.status).toBe(200)
  return res.json()
}

afterAll(() => {
  clawops(['lab', 'down'], env)
})

describe('provisioning under SIGKILL', () => {
  it('ends with exactly 20 pairs, no orphan server and an intact audit chain', async () => {
    const kills: (number | null)[] = []
    kills.push(
      await killAfter(
        [
          'provision',
          '--count',
          '20',
          '--tier',
          'nano',
          '--region',
          'eu',
          '--primary',
          'hetzner',
          '--standby',
          'digitalocean',
          '--yes',
          '--json',
        ],
        rand(900, 2500),
      ),
    )
    for (let i = 0; i < 3; i++) kills.push(await killAfter(['ops', 'resume', '--json'], rand(600, 2500)))
    const ops = ok('ops', 'list', '--kind', 'provision').operations
    expect(ops).toHaveLength(1)
    // Whatever the kills left, resuming (retrying what failed) completes the one operation.
    let state = ops[0].state
    for (let i = 0; i < 3 && state !== 'done'; i++) {
      const r = clawops(['ops', 'resume', ops[0].id, '--retry-failed', '--json'], env)
      state = (r.json as Json)?.data?.operations?.[0]?.state ?? state
    }
    expect(state).toBe('done')
    expect(kills.some((k) => k === null)).toBe(true)

    const fleet = ok('fleet', 'status')
    expect(fleet).toMatchObject({ pairs: 20, instances: 40, byState: { ACTIVE: 40 } })
    const instances: Json[] = ok('instance', 'list').instances
    const servers = ok('lab', 'status').cloud.servers
    expect((servers.hetzner ?? 0) + (servers.digitalocean ?? 0)).toBe(40)
    // Every server the lab holds belongs to exactly one instance.
    const res = await fetch(`${ok('lab', 'status').cloud.url}/_lab/servers`)
    const labServers = ((await res.json()) as Json).servers as { provider: string; id: string | number }[]
    const owned = new Set(instances.map((i) => `${i.provider}/${i.providerId}`))
    expect(labServers.filter((s) => !owned.has(`${s.provider}/${s.id}`))).toEqual([])
    expect(new Set(instances.map((i) => i.providerId)).size).toBe(40)
    expect(ok('audit', 'verify').ok).toBe(true)
    // One device per server, joined with that server's own key; every other key the kills left
    // minted was revoked, none is still usable.
    const { devices } = await tailnet('/tailnet/-/devices')
    expect(devices.map((d: Json) => d.hostname).sort()).toEqual(instances.map((i) => i.tailscaleName).sort())
    const { keys } = await tailnet('/tailnet/-/keys')
    const details: Json[] = await Promise.all(keys.map((k: Json) => tailnet(`/tailnet/-/keys/${k.id}`)))
    expect(details.filter((k) => !k.invalid)).toEqual([])
  })

  it('ends a provision that meets a region outage in a clear partial result', async () => {
    const status = ok('lab', 'status')
    const fault = await fetch(`${status.cloud.url}/_lab/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'vultr', region: 'ams', outage: true }),
    })
    expect(fault.status).toBeLessThan(300)
    const r = clawops(
      [
        'provision',
        '--count',
        '2',
        '--tier',
        'nano',
        '--region',
        'eu',
        '--primary',
        'hetzner',
        '--standby',
        'vultr',
        '--json',
      ],
      env,
    )
    expect(r.code).toBe(68)
    const err = (r.json as Json).error
    expect(err.code).toBe('PARTIAL_FAILURE')
    const steps: Json[] = err.details.steps
    const pairSteps = steps.filter((s) => s.name === 'pair')
    expect(pairSteps.map((s) => s.state).sort()).toEqual(['done', 'failed'])
    expect(pairSteps.find((s) => s.state === 'failed').error.code).toBe('PROVIDER_ERROR')
  })
})
