/**
 * Prices read from the providers' APIs (the lab's, in each provider's own shape) into the store with
 * their source and date; billing copies the listed price into each segment; plans price with the
 * lists, name where they came from and read a stale one again (or warn); cost reports say which
 * sources their segments were billed at.
 */
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigSchema } from '../../../src/lib/config/schema.js'
import { PRICES_AS_OF } from '../../../src/lib/domain/catalog.js'
import { PROVIDERS } from '../../../src/lib/domain/provider.js'
import { costReport } from '../../../src/lib/ledger/cost-report.js'
import { planPrices, priceBook } from '../../../src/lib/pricing/book.js'
import { providerPrices } from '../../../src/lib/pricing/prices-view.js'
import { refreshPrices } from '../../../src/lib/pricing/refresh.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { BillingSegments, openBilling } from '../../../src/lib/store/billing.js'
import { PriceCatalog } from '../../../src/lib/store/price-catalog.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { CREDS, type LabFixture, startLab, TUNING } from '../providers/lab-fixture.js'

let fx: LabFixture

function labContext(
  opts: {
    prices?: Record<string, unknown>
    brokenHetzner?: boolean
    hetznerUrl?: string
    clock?: () => Date
  } = {},
) {
  const home = tempHome()
  const providers: Record<string, unknown> = {}
  for (const p of PROVIDERS) {
    const file = join(home, `${p}.json`)
    writeFileSync(file, JSON.stringify(CREDS[p]), { mode: 0o600 })
    const ep = fx.lab.endpoints[p] as { baseUrl: string; authUrl?: string }
    providers[p] = {
      // A Hetzner that is not there: the lab answers 404 below an unknown prefix.
      baseUrl:
        p === 'hetzner' && opts.hetznerUrl
          ? opts.hetznerUrl
          : p === 'hetzner' && opts.brokenHetzner
            ? `${fx.lab.endpoints.url}/gone/v1`
            : ep.baseUrl,
      ...(ep.authUrl ? { authUrl: ep.authUrl } : {}),
      credentialsFile: file,
    }
  }
  return testContext({
    home,
    ...(opts.clock ? { clock: opts.clock } : {}),
    config: ConfigSchema.parse({ providers, ...(opts.prices ? { prices: opts.prices } : {}) }),
  })
}

const member = {
  id: 'i-pricetest1',
  pairId: 'p-1',
  userId: 'u-1',
  role: 'primary' as const,
  provider: 'hetzner' as const,
  region: 'nbg1',
  tier: 'nano' as const,
}

beforeAll(async () => {
  fx = await startLab()
})
afterAll(() => fx.stop())

describe('reading the price lists', () => {
  it('parses each provider’s own shape: Hetzner’s /pricing currency and net strings, Vultr’s derived hourly rate', async () => {
    const hz = new HetznerAdapter({ ...CREDS.hetzner, baseUrl: fx.lab.endpoints.hetzner.baseUrl, ...TUNING })
    const cx23 = (await hz.prices()).find((p) => p.plan === 'cx23' && p.region === 'fsn1')!
    expect(cx23).toMatchObject({
      monthly: { amount: '4.4900000000', currency: 'EUR', cents: 449 },
      hourly: { amount: '0.0072000000', currency: 'EUR' },
    })
    const vu = new VultrAdapter({ ...CREDS.vultr, baseUrl: fx.lab.endpoints.vultr.baseUrl, ...TUNING })
    expect((await vu.prices()).find((p) => p.plan === 'vc2-1c-2gb')).toMatchObject({ hourly: null })
  })

  it('refreshes every provider into the store with where and when: four APIs and Contabo’s dated table', async () => {
    const ctx = labContext({ clock: manualClock('2026-12-05T10:00:00.000Z') })
    try {
      const r = await refreshPrices(ctx, PROVIDERS)
      expect(r.map((x) => [x.provider, x.status, x.kind])).toEqual([
        ['hetzner', 'refreshed', 'api'],
        ['vultr', 'refreshed', 'api'],
        ['digitalocean', 'refreshed', 'api'],
        ['contabo', 'refreshed', 'table'],
        ['hostinger', 'refreshed', 'api'],
      ])
      // Each list written is audited with it, by the actor that read it.
      expect(
        ctx
          .store()
          .repo(AuditTrail)
          .query({ action: 'prices.refresh' })
          .map((e) => [e.actor, e.target, e.outcome]),
      ).toEqual(expect.arrayContaining(PROVIDERS.map((p) => ['operator', p, 'ok'])))
      const catalog = ctx.store().repo(PriceCatalog)
      expect(catalog.source('hetzner')).toMatchObject({
        kind: 'api',
        source: 'GET /pricing, GET /server_types, GET /locations',
        asOf: ctx.now(),
      })
      expect(catalog.source('contabo')).toMatchObject({
        kind: 'table',
        source: 'contabo-table@2024-10-01',
        asOf: PRICES_AS_OF,
      })
      expect(catalog.listed('hetzner', 'cx23', 'nbg1')).toMatchObject({
        monthlyMinor: 449,
        hourlyMicros: 7200,
        currency: 'EUR',
      })
      expect(catalog.listed('digitalocean', 's-1vcpu-2gb', 'fra1')).toMatchObject({
        monthlyMinor: 1200,
        hourlyMicros: 17860,
      })
      expect(catalog.listed('hostinger', 'hostingercom-vps-kvm1-usd-12m', 'nl-ams')).toMatchObject({
        monthlyMinor: 519,
      })
      expect(catalog.regions('digitalocean').map((x) => x.code)).toContain('sgp1')
      // What is read is what bills: the hourly rates the price book had before the APIs were read.
      const segment = openBilling(ctx.store(), member, ctx.now())
      expect(segment).toMatchObject({
        plan: 'cx23',
        monthlyMinor: 449,
        hourlyMicros: 7200,
        priceSource: `hetzner-api@${ctx.now()}`,
      })
      const vultr = openBilling(
        ctx.store(),
        { ...member, id: 'i-pricetest2', provider: 'vultr', region: 'fra' },
        ctx.now(),
      )
      expect(vultr).toMatchObject({ monthlyMinor: 1000, hourlyMicros: 15000 })
    } finally {
      ctx.close()
    }
  })
})

describe('billing and plans price with the list as read', () => {
  it('a segment copies the listed price of its region, and keeps it when the list changes later', async () => {
    const ctx = labContext()
    try {
      const catalog = ctx.store().repo(PriceCatalog)
      const row = (region: string, cents: number) => ({
        plan: 'cx23',
        region,
        vcpus: 2,
        memoryMb: 4096,
        diskGb: 40,
        currency: 'EUR' as const,
        monthlyAmount: (cents / 100).toFixed(2),
        monthlyMinor: cents,
        hourlyMicros: cents * 16,
        monthlyGrossMinor: null,
        termMonths: 1,
        soldIn: ['nbg1', 'ash'],
      })
      catalog.replace(
        'hetzner',
        { kind: 'api', source: 'GET /pricing', asOf: '2026-12-01T00:00:00.000Z' },
        [row('nbg1', 499), row('ash', 599)],
        [],
      )
      const eu = openBilling(ctx.store(), member, ctx.now())
      const us = openBilling(ctx.store(), { ...member, id: 'i-pricetest3', region: 'ash' }, ctx.now())
      expect([eu.monthlyMinor, us.monthlyMinor]).toEqual([499, 599])
      expect(eu.priceSource).toBe('hetzner-api@2026-12-01T00:00:00.000Z')
      catalog.replace(
        'hetzner',
        { kind: 'api', source: 'GET /pricing', asOf: '2026-12-02T00:00:00.000Z' },
        [row('nbg1', 999)],
        [],
      )
      expect(ctx.store().repo(BillingSegments).openFor(member.id)?.monthlyMinor).toBe(499)
      expect(priceBook(ctx).monthlyUsdCents('hetzner', 'nano', 'nbg1')).toBe(Math.round(999 * 1.08))
    } finally {
      ctx.close()
    }
  })

  it('a plan reads a stale list again first; it warns when it may not or cannot', async () => {
    const clock = manualClock('2026-12-05T10:00:00.000Z')
    const ctx = labContext({ clock })
    try {
      await planPrices(ctx, ['hetzner', 'vultr'])
      expect(ctx.warnings).toEqual([])
      const first = priceBook(ctx).origin('hetzner')
      expect(first).toMatchObject({ kind: 'api', asOf: '2026-12-05T10:00:00.000Z' })
      clock.advance(169 * 3_600_000)
      await planPrices(ctx, ['hetzner'])
      expect(priceBook(ctx).origin('hetzner').asOf).toBe(clock().toISOString())
      expect(ctx.warnings).toEqual([])
    } finally {
      ctx.close()
    }
    const lazy = labContext({ prices: { refreshWhenStale: false } })
    try {
      await planPrices(lazy, ['digitalocean'])
      expect(lazy.warnings).toEqual([
        `digitalocean prices were never read from its API (using the catalogue of ${PRICES_AS_OF}); read it again with clawops provider prices --refresh`,
      ])
    } finally {
      lazy.close()
    }
    const broken = labContext({ brokenHetzner: true })
    try {
      const book = await planPrices(broken, ['hetzner'])
      expect(broken.warnings[0]).toMatch(
        /^hetzner prices were never read from its API .*; reading it again failed \(PROVIDER_ERROR: /,
      )
      expect(book.price('hetzner', 'nano', 'nbg1').source).toBe(`catalogue@${PRICES_AS_OF}`)
    } finally {
      broken.close()
    }
  })

  it('a provider API that never answers holds a plan for prices.refreshTimeoutSeconds, not the retry budget', async () => {
    // Accepts the connection and never answers: every attempt would wait out the 30 s request timeout.
    const silent = createServer(() => undefined)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const { port } = silent.address() as AddressInfo
    const ctx = labContext({
      hetznerUrl: `http://127.0.0.1:${port}/v1`,
      prices: { refreshTimeoutSeconds: 1 },
    })
    try {
      const started = Date.now()
      const book = await planPrices(ctx, ['hetzner'])
      const took = Date.now() - started
      expect(took).toBeGreaterThanOrEqual(900)
      expect(took).toBeLessThan(10_000)
      expect(ctx.warnings[0]).toMatch(
        /^hetzner prices were never read from its API .*; reading it again failed /,
      )
      expect(book.price('hetzner', 'nano', 'nbg1').source).toBe(`catalogue@${PRICES_AS_OF}`)
      expect(ctx.store().repo(PriceCatalog).source('hetzner')).toBeFalsy()
    } finally {
      ctx.close()
      silent.closeAllConnections()
      silent.close()
    }
  })
})

describe('clawops provider prices and cost reports', () => {
  it('--refresh reads the configured providers; a failure is named, the rest still read', async () => {
    const ctx = labContext()
    try {
      const r = await providerPrices(ctx, { refresh: true })
      expect(r.refreshed?.map((x) => x.provider)).toEqual([...PROVIDERS])
      expect(r.sources.map((s) => [s.provider, s.kind, s.stale])).toEqual([
        ['hetzner', 'api', false],
        ['vultr', 'api', false],
        ['digitalocean', 'api', false],
        ['contabo', 'table', false],
        ['hostinger', 'api', false],
      ])
      expect(r.tiers.find((t) => t.provider === 'vultr' && t.tier === 'pro')).toMatchObject({
        plan: 'vc2-4c-8gb',
        region: '*',
        monthlyMinor: 4000,
        hourlyMicros: 60000,
        monthlyUsdCents: 4000,
      })
    } finally {
      ctx.close()
    }
    const broken = labContext({ brokenHetzner: true })
    try {
      const err = await providerPrices(broken, { refresh: true }).catch((e) => e)
      expect(err).toMatchObject({ code: 'PARTIAL_FAILURE' })
      expect(
        err.details.refreshed
          .filter((x: { status: string }) => x.status === 'failed')
          .map((x: { provider: string }) => x.provider),
      ).toEqual(['hetzner'])
      expect(broken.store().repo(PriceCatalog).source('vultr')?.kind).toBe('api')
    } finally {
      broken.close()
    }
  })

  it('a cost report lists the price sources its segments were billed at', async () => {
    const ctx = labContext()
    try {
      await refreshPrices(ctx, ['hetzner'])
      openBilling(ctx.store(), member, new Date(Date.parse(ctx.now()) - 86_400_000).toISOString())
      openBilling(
        ctx.store(),
        { ...member, id: 'i-pricetest4', provider: 'contabo', region: 'EU' },
        new Date(Date.parse(ctx.now()) - 86_400_000).toISOString(),
      )
      const r = costReport(ctx, { period: 'month' })
      expect(r.prices).toEqual([
        { source: 'contabo-table', asOf: '2024-10-01', segments: 1 },
        { source: 'hetzner-api', asOf: ctx.store().repo(PriceCatalog).source('hetzner')!.asOf, segments: 1 },
      ])
    } finally {
      ctx.close()
    }
  })
})
