/**
 * The team feed end to end: events in the outbox (an operation run through the binary, incidents
 * emitted into the store), delivered by `watch --once` runs to a Discord webhook served on loopback
 * to Discord's contract (test/support/fake-discord.ts): batches of at most 10 embeds, the bucket
 * Discord's headers describe kept to, a 429's retry_after honoured across runs, every event posted
 * once, and the webhook URL's token nowhere but in the request line.
 */
// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON envelopes and Discord bodies
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Context } from '../../src/lib/context.js'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { emitEvent } from '../../src/lib/events/emit.js'
import { Outbox } from '../../src/lib/store/outbox.js'
import { clawops, clawopsAsync } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { FakeDiscord } from '../support/fake-discord.js'
import { storeDump, storeEnv, storeLocation } from '../support/store-engine.js'

const TOKEN = 'tok-Zq81secretWebhookToken'
let home: string
let discord: FakeDiscord
const env = (extra: Record<string, string> = {}) => ({
  CLAWOPS_HOME: home,
  OPENCLAW_GATEWAY_TOKEN: '',
  ...extra,
})
const outputs: string[] = []

async function watchOnce(): Promise<any> {
  const r = await clawopsAsync(['watch', '--once', '--no-http', '--json'], env())
  outputs.push(r.stdout, r.stderr)
  expect(r.code, r.stderr).toBe(0)
  return (r.json as any).data
}

beforeAll(async () => {
  home = tempHome()
  // One message per 600 ms: Discord's headers say so after each one.
  discord = await new FakeDiscord({ id: '1187', token: TOKEN, limit: 1, windowMs: 600 }).start()
  const urlFile = join(home, 'discord-webhook')
  writeFileSync(urlFile, `${discord.url}\n`)
  chmodSync(urlFile, 0o600)
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({ team: { feeds: { eng: { kind: 'discord', urlFile } } } }),
  )
})

afterAll(() => discord.close())

describe('a Discord team feed, delivered by watch --once', () => {
  it('refuses an identity that could inject anything, with INVALID_INPUT and nothing written', () => {
    const r = clawops(
      ['silence', 'add', '--provider', 'hetzner', '--for', '30m', '--reason', 'x', '--json'],
      {
        ...env(),
        CLAWOPS_OPERATOR: 'ada\n@everyone',
      },
    )
    expect(r.code).toBe(ERROR_CODES.INVALID_INPUT.exit)
    expect((r.json as any).error).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'CLAWOPS_OPERATOR is not a valid identity',
    })
    expect(r.stdout + r.stderr).not.toContain('@everyone')
  })

  it('posts incidents and operations once each, within Discord limits, honouring its rate limits', async () => {
    // An operation by a named operator: OPERATION_STARTED and OPERATION_FINISHED.
    const op = clawops(
      ['silence', 'add', '--provider', 'hetzner', '--for', '30m', '--reason', 'maintenance', '--json'],
      env({ CLAWOPS_OPERATOR: 'ada@laptop' }),
    )
    expect(op.code, op.stderr).toBe(0)
    // Eleven incidents on another provider than the silence's (one with a summary far over
    // Discord's limits, one that tries to ping everyone), and an event the feed does not hear.
    const ctx = await Context.create({ home, env: storeEnv(home) })
    const settings = ctx.watchSettings()
    const now = ctx.now()
    for (let i = 0; i < 11; i++) {
      const summary =
        i === 0
          ? `incident-0: ${'x'.repeat(5000)}`
          : i === 1
            ? 'incident-1: @everyone <@&123> look'
            : `incident-${i}:`
      emitEvent(
        ctx.store(),
        settings,
        { type: 'INCIDENT_OPENED', severity: 'high', provider: 'vultr', summary, dedupeKey: `inc-${i}` },
        now,
      )
    }
    const pair = emitEvent(
      ctx.store(),
      settings,
      { type: 'PAIR_FAILED', severity: 'critical', summary: 'p', dedupeKey: 'pf' },
      now,
    )
    expect(
      ctx
        .store()
        .repo(Outbox)
        .byEvent(pair.eventId!)
        .map((r) => r.target),
    ).not.toContain('feed:eng')
    ctx.close()

    // Run 1: the first 10 events in one message; Discord's headers say the bucket is spent, so the
    // rest wait instead of earning a 429.
    const first = await watchOnce()
    expect(discord.requests).toHaveLength(1)
    expect(discord.accepted[0]!.body.embeds).toHaveLength(10)
    expect(first.delivery.deferred).toEqual([expect.objectContaining({ target: 'feed:eng', events: 3 })])

    // Run 2: Discord answers 429 (retry_after 2 s); run 3 at once: nothing is sent before it is due.
    await sleep(700)
    discord.rateLimitNext(2)
    const second = await watchOnce()
    expect(second.delivery.failed).toEqual([expect.objectContaining({ target: 'feed:eng', status: 429 })])
    const limitedAt = discord.requests.at(-1)!.at
    await watchOnce()
    const early = discord.requests.filter((r) => r.at > limitedAt && r.at < limitedAt + 2000)
    expect(early).toEqual([])
    // Then it goes once due: retry_after counts from when watch read the 429, a little after Discord
    // sent it (more on a loaded machine), so runs repeat until it is sent; none of them earlier.
    await sleep(Math.max(0, limitedAt + 2100 - Date.now()))
    let fourth = await watchOnce()
    for (const end = Date.now() + 40_000; fourth.delivery.deliveries === 0 && Date.now() < end; ) {
      await sleep(250)
      fourth = await watchOnce()
    }
    expect(fourth.delivery.deliveries).toBe(1)
    expect(discord.requests.filter((r) => r.at > limitedAt && r.at < limitedAt + 2000)).toEqual([])
    // Run 5: nothing left, nothing sent again.
    const sent = discord.requests.length
    await watchOnce()
    expect(discord.requests).toHaveLength(sent)

    // Every message within Discord's limits (the fake answers 400 otherwise) and waited for.
    expect(discord.requests.every((r) => r.wait && r.status !== 400)).toBe(true)
    // No 429 but the one Discord chose: the client kept to the bucket its headers described.
    expect(discord.requests.filter((r) => r.status === 429)).toHaveLength(1)
    const embeds = discord.accepted.flatMap((r) => r.body.embeds as any[])
    expect(discord.accepted).toHaveLength(2)
    expect(embeds).toHaveLength(13)
    for (let i = 0; i < 11; i++)
      expect(embeds.filter((e) => e.description.startsWith(`incident-${i}:`))).toHaveLength(1)
    expect(embeds.filter((e) => e.title === 'INFO OPERATION_STARTED')).toHaveLength(1)
    expect(embeds.find((e) => e.title === 'INFO OPERATION_FINISHED').description).toMatch(
      /^silence\.add op-\S+ finished \(ada@laptop as operator\)/,
    )
    expect(
      embeds.find((e) => e.description.startsWith('incident-0:')).description.length,
    ).toBeLessThanOrEqual(4096)
    expect(discord.accepted.every((r) => r.body.allowed_mentions.parse.length === 0)).toBe(true)
    expect(discord.accepted[0]!.body.content).toBe('clawops → eng: 10 fleet events')
  }, 120_000)

  it('keeps a rejected delivery (an unknown webhook) and names it, never the token', async () => {
    const urlFile = join(home, 'discord-webhook')
    writeFileSync(urlFile, `${discord.url.replace(TOKEN, 'revoked-token')}\n`)
    const ctx = await Context.create({ home, env: storeEnv(home) })
    emitEvent(
      ctx.store(),
      ctx.watchSettings(),
      { type: 'INCIDENT_RESOLVED', severity: 'info', summary: 'resolved', dedupeKey: 'res' },
      ctx.now(),
    )
    ctx.close()
    await sleep(700)
    const r = await watchOnce()
    expect(r.delivery.failed).toEqual([
      expect.objectContaining({
        target: 'feed:eng',
        status: 404,
        error: 'HTTP 404: Unknown Webhook (code 10015)',
      }),
    ])
    const status = clawops(['watch', 'status', '--json'], env())
    outputs.push(status.stdout, status.stderr)
    expect(status.code).toBe(0)
    // Neither the token nor the revoked one in anything clawops printed or stored.
    const dump = storeDump(storeLocation(home))
    for (const text of [...outputs, dump]) {
      expect(text).not.toContain(TOKEN)
      expect(text).not.toContain('revoked-token')
    }
    // The event waits for the operator to fix the URL: sending, not lost.
    const again = await Context.create({ home, env: storeEnv(home) })
    expect(again.store().repo(Outbox).stats()).toMatchObject({ sending: 1 })
    again.close()
  })
})

describe('the Discord stand-in keeps to the documented contract', () => {
  it('answers 204, 200 with wait, 400 on oversize content, 404 on a wrong token, 429 with retry_after', async () => {
    const d = await new FakeDiscord({ id: '9', token: 't', limit: 1, windowMs: 60_000 }).start()
    try {
      const post = (url: string, body: unknown) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      const big = await post(d.url, { content: 'x'.repeat(2001) })
      expect(big.status).toBe(400)
      expect(await big.json()).toMatchObject({ code: 50035, errors: { content: expect.anything() } })
      expect((await post(d.url, {})).status).toBe(400)
      expect((await post(d.url.replace('/t', '/u'), { content: 'x' })).status).toBe(404)
      const ok = await post(`${d.url}?wait=true`, { content: 'hi' })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toMatchObject({ content: 'hi', webhook_id: '9' })
      expect(ok.headers.get('x-ratelimit-remaining')).toBe('0')
      expect(Number(ok.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(0)
      const limited = await post(d.url, { content: 'again' })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(await limited.json()).toMatchObject({ retry_after: expect.any(Number), global: false })
      const d2 = await new FakeDiscord({ id: '9', token: 't', limit: 5, windowMs: 60_000 }).start()
      expect((await post(d2.url, { content: 'no wait' })).status).toBe(204)
      await d2.close()
    } finally {
      await d.close()
    }
  })
})
