// Safety rule 4 when the provider's status page says nothing: no page, an unreachable one, or one
// that is not a Statuspage summary. The status is unknown, a distinct outcome: no incident is declared
// without a human, watch asks one, and the exposure says "unknown".
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { DEFAULT_STATUS_PAGES, watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import { HttpProviderStatus, statusKnown, statusPageUrl } from '../../../src/lib/providers/status-page.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Incidents } from '../../../src/lib/store/incidents.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { detectProviders } from '../../../src/lib/watch/detectors.js'
import { incidentExposure } from '../../../src/lib/watch/exposure.js'
import { declareProviderIncident } from '../../../src/lib/watch/incidents.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { freePort } from '../../support/gateway-process.js'
import { addPair, FakeNodes, fakeDeps, statusPage } from '../../support/watch-fakes.js'

let home: string
let config: Config
let server: Server
let url: string
/** What the page serves: a Statuspage summary, something else, or an error status. */
let serve: { status: number; body: unknown }

const SUMMARY = {
  status: { indicator: 'major', description: 'Partial System Outage' },
  components: [{ name: 'Nuremberg (nbg1)', status: 'major_outage' }],
  incidents: [{ id: 'h1', name: 'Network outage in nbg1', status: 'investigating', impact: 'major' }],
}

beforeEach(async () => {
  home = tempHome()
  serve = { status: 200, body: SUMMARY }
  server = createServer((_req, res) => {
    res.writeHead(serve.status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(serve.body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/summary.json`
  config = { ...structuredClone(DEFAULT_CONFIG), watch: { statusPages: { hetzner: url } } }
})

afterEach(async () => {
  await new Promise<void>((r) => server.close(() => r()))
})

function degradedRegion(ctx: Context): void {
  for (let i = 0; i < 4; i++)
    addPair(ctx, { provider: 'hetzner', region: 'nbg1', state: 'DEGRADED', healthScore: 10 })
}

const types = (ctx: Context) =>
  ctx
    .store()
    .repo(FleetEvents)
    .list()
    .map((e) => e.type)

describe('rule 4 honest: status unknown', () => {
  it('declares no incident on an unknown status, asks Commander once, and declares when the page answers', async () => {
    const clock = manualClock()
    const ctx = testContext({
      home,
      config,
      clock,
      actor: 'guardian',
      services: fakeDeps({ nodes: new FakeNodes() }).services,
    })
    degradedRegion(ctx)
    const settings = watchSettings(config)
    const status = new HttpProviderStatus(settings, clock)

    for (const broken of [
      { status: 503, body: { error: 'down' } },
      { status: 200, body: { hello: 'not a summary' } },
      { status: 200, body: { ...SUMMARY, status: { indicator: 'purple', description: '?' } } },
    ]) {
      serve = broken
      const r = await detectProviders(ctx, settings, status)
      expect(r.degraded.map((s) => `${s.provider}/${s.region}`)).toEqual(['hetzner/nbg1'])
      expect(r.opened).toEqual([])
      expect(r.statusUnknown).toEqual(['hetzner/nbg1'])
      expect(statusKnown(r.statusChecks[0]!)).toBe(false)
      expect(ctx.store().repo(Incidents).openFor('hetzner', 'nbg1')).toBeUndefined()
    }
    // One question to Commander per episode, whatever the page kept doing.
    const asked = ctx
      .store()
      .repo(FleetEvents)
      .list()
      .filter((e) => e.type === 'PROVIDER_STATUS_UNKNOWN')
    expect(asked).toHaveLength(1)
    expect((asked[0]!.payload as { summary: string }).summary).toMatch(
      /No incident declared \(safety rule 4\)/,
    )
    expect(
      ctx
        .store()
        .repo(Outbox)
        .byEvent(asked[0]!.id)
        .map((d) => d.target),
    ).toEqual(['commander'])
    const exposure = await incidentExposure(ctx, status, { provider: 'hetzner', region: 'nbg1' })
    expect(exposure.incident).toBeNull()
    expect(exposure.providerStatus).toMatchObject({ outcome: 'unknown', url, indicator: 'unknown' })

    // The page answers: the incident is declared now, and records which page was read and when.
    serve = { status: 200, body: SUMMARY }
    clock.advance(60_000)
    const r = await detectProviders(ctx, settings, status)
    expect(r.opened).toHaveLength(1)
    const inc = ctx.store().repo(Incidents).get(r.opened[0]!)!
    expect(inc.severity).toBe('high')
    const read = inc.timeline.find((t) => t.kind === 'provider-status')!
    expect(read.at).toBe(clock().toISOString())
    expect(read.data).toMatchObject({
      url,
      checkedAt: clock().toISOString(),
      outcome: 'known',
      indicator: 'major',
    })
    expect(read.text).toContain(url)
    expect((await incidentExposure(ctx, status, { provider: 'hetzner' })).providerStatus.outcome).toBe(
      'known',
    )
    // Once open, an incident stays open when a later check learns nothing (it is not declared again).
    serve = { status: 503, body: {} }
    clock.advance(60_000)
    expect((await detectProviders(ctx, settings, status)).statusUnknown).toEqual([])
    expect(types(ctx).filter((t) => t === 'INCIDENT_OPENED')).toHaveLength(1)
  })

  it('refuses to declare an incident from a check that learned nothing', () => {
    const ctx = testContext({ home, config })
    const base = {
      provider: 'hetzner',
      region: 'nbg1',
      reason: 'test',
      actor: 'guardian',
      identity: 'guardian',
      now: new Date(),
    }
    for (const status of [
      statusPage('hetzner', { reachable: false, indicator: 'unknown', error: 'no status page configured' }),
      statusPage('hetzner', { reachable: true, indicator: 'unknown' }),
    ])
      expect(() => declareProviderIncident(ctx.store(), watchSettings(config), { ...base, status })).toThrow(
        /rule 4: the status of hetzner is unknown/,
      )
    expect(ctx.store().repo(Incidents).list()).toEqual([])
  })

  it('reads the providers’ own Statuspage summaries by default, and says which have none', async () => {
    const settings = watchSettings(DEFAULT_CONFIG)
    expect(statusPageUrl(settings, 'digitalocean')).toBe(
      'https://status.digitalocean.com/api/v2/summary.json',
    )
    expect(statusPageUrl(settings, 'hostinger')).toBe('https://statuspage.hostinger.com/api/v2/summary.json')
    for (const p of ['hetzner', 'vultr', 'contabo'] as const) {
      expect(statusPageUrl(settings, p)).toBeNull()
      const s = await new HttpProviderStatus(settings).fetch(p)
      expect(statusKnown(s)).toBe(false)
      expect(s.error).toContain(`${p} publishes no Statuspage summary`)
      expect(s.error).toContain(DEFAULT_STATUS_PAGES[p].page)
    }
    // The lab's pages (statusPageBase) come before the defaults; a page the config names before both.
    const lab = watchSettings({ ...DEFAULT_CONFIG, watch: { statusPageBase: 'http://127.0.0.1:9/_status' } })
    expect(statusPageUrl(lab, 'digitalocean')).toBe('http://127.0.0.1:9/_status/digitalocean')
    const named = watchSettings({
      ...DEFAULT_CONFIG,
      watch: {
        statusPageBase: 'http://127.0.0.1:9/_status',
        statusPages: { digitalocean: 'http://x.test/s.json' },
      },
    })
    expect(statusPageUrl(named, 'digitalocean')).toBe('http://x.test/s.json')
    // An unreachable page is unknown too.
    const closed = await freePort()
    const down = await new HttpProviderStatus({
      ...settings,
      statusPages: { digitalocean: `http://127.0.0.1:${closed}/x` },
    }).fetch('digitalocean')
    expect(statusKnown(down)).toBe(false)
  })
})
