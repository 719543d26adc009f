// The clawops OpenClaw plugin on a real lab gateway (issue 17): `clawops.fleet-status` through the
// gateway equals `fleet status --json` on the same store and is refused without operator.read; the
// Control UI (headless Chromium) shows the Fleet tab whose numbers are those of `fleet status`; a
// node killed in the lab shows on the page at its next refresh; no token reaches the browser in any
// response. Screenshots are kept in test-artifacts/.
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BrowserContext, FrameLocator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GatewayClient, GatewayRpcError, OPERATOR_SCOPES } from '../../../src/lib/gateway/client.js'
import { approveDevice, listDevicePairings } from '../../../src/lib/gateway/pairing.js'
import { childEnv, freePort, isolatedEnv } from '../../../src/lib/lab/gateway-process.js'
import { openclawBin } from '../../../src/lib/paths.js'
import { chromiumPresent, launchChromium } from '../../support/browser.js'
import { BIN, clawops, clawopsChild } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

const REFRESH_SECONDS = 3
const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-artifacts')
const home = tempHome()
const env = { CLAWOPS_HOME: home }
const ok = (...args: string[]): Json => {
  const r = clawops([...args, '--json'], env)
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return (r.json as Json).data
}
/** For the slow ones (starting the lab, provisioning): the gateway alone takes a minute on a busy machine. */
const slow = (...args: string[]): Json => {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CLAWOPS_LOG: 'off', ...env },
    timeout: 600_000,
  })
  expect(r.status, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout).data
}

let gw: { url: string; httpUrl: string; dir: string; token: string; hooksToken: string }
let watch: ChildProcess | undefined
let browser: BrowserContext | undefined

/** Fields that move on their own between two reads of the same store. */
function comparable(s: Json): Json {
  const { asOf: _asOf, ...rest } = s
  return { ...rest, watch: { ...rest.watch, lastSeenAt: null } }
}

/** `openclaw gateway call`, the gateway's own CLI, against the lab gateway. */
function gatewayCall(method: string, params: unknown): { code: number; out: Json; stderr: string } {
  try {
    const stdout = execFileSync(
      process.execPath,
      [openclawBin(), 'gateway', 'call', method, '--params', JSON.stringify(params), '--json'],
      { env: childEnv(isolatedEnv(gw.dir)), encoding: 'utf8', timeout: 120_000 },
    )
    return { code: 0, out: JSON.parse(stdout), stderr: '' }
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string }
    return { code: e.status ?? -1, out: e.stdout, stderr: e.stderr ?? '' }
  }
}

async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(300)
  }
}

/** The pid of the gf-clawnode process serving a lab server (its node home names the server). */
function clawnodePid(inst: Json): number {
  const mark = `nodes/${inst.provider}-${inst.providerId}/`
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(mark)) return Number(d)
    } catch {
      // gone
    }
  }
  throw new Error(`no gf-clawnode process for ${mark}`)
}

beforeAll(async () => {
  slow('lab', 'up', '--boot-seconds', '1', '--fleet-refresh', String(REFRESH_SECONDS))
  slow(
    'provision',
    '--count',
    '3',
    '--tier',
    'standard',
    '--region',
    'eu',
    '--primary',
    'hetzner',
    '--standby',
    'vultr',
  )
  const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))
  const lab = JSON.parse(readFileSync(join(home, 'lab', 'lab.json'), 'utf8'))
  gw = {
    url: config.gateway.url,
    httpUrl: lab.gateway.httpUrl,
    dir: lab.gateway.dir,
    token: readFileSync(config.gateway.tokenFile, 'utf8').trim(),
    hooksToken: readFileSync(config.gateway.hooksTokenFile, 'utf8').trim(),
  }
  watch = clawopsChild(['watch', '--interval', '1m', '--listen', `127.0.0.1:${await freePort()}`], env)
  await until('watch alive', () => ok('fleet', 'status').watch.alive)
}, 900_000)

afterAll(async () => {
  await browser?.close()
  if (watch && watch.exitCode === null) {
    const exited = new Promise((r) => watch!.once('exit', r))
    watch.kill('SIGTERM')
    await exited
  }
  clawops(['lab', 'down'], env)
}, 120_000)

describe('the clawops plugin on the lab gateway', () => {
  it('answers clawops.fleet-status through the gateway with what fleet status --json says', () => {
    for (let attempt = 0; ; attempt++) {
      const before = ok('fleet', 'status')
      const rpc = gatewayCall('clawops.fleet-status', {})
      const after = ok('fleet', 'status')
      expect(rpc.code, rpc.stderr).toBe(0)
      // A watch cycle may land between the reads; compare when the store stood still around the call.
      if (JSON.stringify(comparable(before)) !== JSON.stringify(comparable(after)) && attempt < 3) continue
      expect(comparable(rpc.out)).toEqual(comparable(before))
      expect(rpc.out.pairs).toBe(3)
      expect(rpc.out.cost).not.toBeNull()
      expect(rpc.out.watch.status).toBe('live')
      break
    }
    const vultr = gatewayCall('clawops.fleet-status', { provider: 'vultr' })
    expect(comparable(vultr.out)).toEqual(comparable(ok('fleet', 'status', '--provider', 'vultr')))
    expect(vultr.out.byProvider).toEqual({ vultr: 3 })
    const bad = gatewayCall('clawops.fleet-status', { provider: 'aws' })
    expect(bad.code).not.toBe(0)
    expect(`${bad.out ?? ''}${bad.stderr}`).toMatch(/INVALID_INPUT|no such provider/)
  })

  it('refuses the RPC and the page to a caller without operator.read', async () => {
    const writeOnly = await GatewayClient.connect({
      url: gw.url,
      auth: { kind: 'backend', token: gw.token },
      scopes: ['operator.approvals'],
    })
    try {
      const err = await writeOnly.request('clawops.fleet-status', {}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(GatewayRpcError)
      expect(String((err as Error).message)).toMatch(/scope|operator\.read|forbidden|unauthori/i)
    } finally {
      await writeOnly.close()
    }
    const reader = await GatewayClient.connect({
      url: gw.url,
      auth: { kind: 'backend', token: gw.token },
      scopes: ['operator.read'],
    })
    try {
      expect(((await reader.request('clawops.fleet-status', {})) as Json).pairs).toBe(3)
    } finally {
      await reader.close()
    }
    for (const path of ['/clawops/fleet/', '/clawops/fleet/status.json']) {
      expect((await fetch(`${gw.httpUrl}${path}`)).status).toBe(401)
      expect(
        (await fetch(`${gw.httpUrl}${path}`, { headers: { authorization: 'Bearer wrong' } })).status,
      ).toBe(401)
    }
    const post = await fetch(`${gw.httpUrl}/clawops/fleet/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}` },
    })
    expect(post.status).toBe(405)
  })

  // In CI a missing Chromium fails the test (.ci/run installs it) rather than skipping it.
  describe.runIf(chromiumPresent || process.env.CI)('in the Control UI (headless Chromium)', () => {
    let page: Page
    let frame: FrameLocator
    const bodies: Promise<{ url: string; body: string }>[] = []

    const metric = async (key: string) => Number(await frame.locator(`[data-metric="${key}"]`).textContent())

    it('shows the Fleet tab with the numbers of fleet status --json', async () => {
      mkdirSync(ARTIFACTS, { recursive: true })
      browser = await launchChromium()
      browser.on('response', (r) => {
        bodies.push(
          r.body().then(
            (b) => ({ url: r.url(), body: b.toString('latin1') }),
            () => ({ url: r.url(), body: '' }),
          ),
        )
      })
      page = browser.pages()[0] ?? (await browser.newPage())
      await page.goto(`${gw.httpUrl}/fleet#token=${gw.token}`)
      // The lab gateway approves no device by itself (as for a remote VPS): approve this browser.
      const pairing = await GatewayClient.connect({
        url: gw.url,
        auth: { kind: 'backend', token: gw.token },
        scopes: OPERATOR_SCOPES,
      })
      try {
        const pending = await until('the browser’s pairing request', async () => {
          const p = await listDevicePairings(pairing)
          return p.pending.find((d) => d.clientId !== 'node-host')
        })
        await approveDevice(pairing, pending.requestId)
      } finally {
        await pairing.close()
      }
      await page.getByText('Fleet', { exact: true }).first().waitFor({ timeout: 60_000 })
      frame = page.frameLocator('iframe.plugin-tab-embed__frame')
      await frame.locator('[data-metric="pairs"]').waitFor({ timeout: 60_000 })

      const s = ok('fleet', 'status')
      expect(await metric('pairs')).toBe(s.pairs)
      expect(await metric('instances')).toBe(s.instances)
      expect(await metric('active')).toBe(s.byState.ACTIVE ?? 0)
      expect(await metric('degraded')).toBe(s.byState.DEGRADED ?? 0)
      expect(await metric('failed')).toBe(s.byState.FAILED ?? 0)
      expect(await metric('without-primary')).toBe(s.pairsWithoutActivePrimary.length)
      expect(await metric('without-active')).toBe(s.pairsWithoutActive.length)
      expect(await metric('incidents')).toBe(s.incidents.length)
      for (const [state, n] of Object.entries(s.byState)) {
        expect(Number(await frame.locator(`[data-state="${state}"]`).textContent())).toBe(n)
      }
      for (const r of s.regions) {
        await expect(frame.locator(`[data-region="${r.provider}/${r.region}"]`).count()).resolves.toBe(1)
      }
      expect(await frame.locator('[data-metric="cost-actual"]').textContent()).toBe(
        `$${(s.cost.actualUsdCents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
      )
      await expect(frame.locator('#cost canvas').count()).resolves.toBe(1)
      await expect(frame.locator('#scores canvas').count()).resolves.toBe(1)
      expect(await frame.locator('[data-testid="watch"]').textContent()).toMatch(/watch alive/)
      await page.screenshot({ path: join(ARTIFACTS, 'fleet-tab-laptop.png') })
      // On a phone the Control UI lays out again and mounts the tab anew.
      await page.setViewportSize({ width: 390, height: 844 })
      await sleep(1_000)
      await frame.locator('[data-metric="pairs"]').waitFor({ timeout: 60_000 })
      await sleep(500)
      await page.screenshot({ path: join(ARTIFACTS, 'fleet-tab-phone.png') })
      await page.setViewportSize({ width: 1440, height: 1000 })
      await sleep(1_000)
      await frame.locator('[data-metric="pairs"]').waitFor({ timeout: 60_000 })
    })

    it('shows a node killed in the lab at the next refresh', async () => {
      const primary = ok('instance', 'list', '--role', 'primary', '--limit', '1').instances[0]
      process.kill(clawnodePid(primary), 'SIGKILL')
      // watch sees the node go (gateway presence), probes it and moves it out of ACTIVE.
      const changed = await until('the store to show the dead node', () => {
        const s = ok('fleet', 'status')
        return [...s.degraded, ...s.failed].some((i: Json) => i.id === primary.id) && s
      })
      const changedAt = Date.now()
      // The first snapshot the page takes after the change (one reload later) must show it.
      await until(
        'the page’s next snapshot',
        async () => {
          const asOf = await frame
            .locator('[data-testid="as-of"]')
            .getAttribute('data-as-of')
            .catch(() => null)
          return asOf !== null && Date.parse(asOf) > changedAt
        },
        (REFRESH_SECONDS + 30) * 1000,
      )
      expect(await frame.locator('[data-testid="trouble-table"]').textContent()).toContain(primary.id)
      const now = ok('fleet', 'status')
      expect(await metric('degraded')).toBe(now.byState.DEGRADED ?? 0)
      expect(await metric('failed')).toBe(now.byState.FAILED ?? 0)
      expect(changed.pairs).toBe(3)
      await page.screenshot({ path: join(ARTIFACTS, 'fleet-tab-node-killed.png') })
    })

    it('sends no token to the browser in any response', async () => {
      const all = await Promise.all(bodies)
      expect(all.length).toBeGreaterThan(5)
      expect(all.some((r) => r.url.includes('/clawops/fleet/'))).toBe(true)
      for (const secret of [gw.token, gw.hooksToken]) {
        const leaks = all.filter((r) => r.body.includes(secret)).map((r) => r.url)
        expect(leaks).toEqual([])
      }
    })
  })
})
