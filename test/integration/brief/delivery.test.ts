// Briefings and alerts delivered through the real OpenClaw gateway (the shared test gateway). Its
// Telegram channel is switched on for this file with a hot-reloaded config patch whose apiRoot is a
// local Telegram Bot API, so a delivery goes all the way: clawops → gateway `send` RPC → the gateway's
// Telegram channel → "Telegram". WhatsApp is not configured on the gateway: a delivery there must end
// with a clear error, never a silent drop. The exported cron job definitions are checked against the
// gateway's own cron.add validation. Last, the `brief … --deliver` examples of --help run as written.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { OperatorAlerts } from '../../../src/lib/brief/alerts.js'
import { audioInfo } from '../../../src/lib/brief/audio-info.js'
import { channelGatewayOver } from '../../../src/lib/brief/channel-gateway.js'
import { sendDelivery } from '../../../src/lib/brief/delivery.js'
import { BRIEFING_JOBS, openclawCronJob } from '../../../src/lib/brief/schedules.js'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { GatewayClient } from '../../../src/lib/gateway/client.js'
import { BriefDeliveries } from '../../../src/lib/store/brief-deliveries.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { clawopsAsync, clawopsChild } from '../../support/cli.js'
import { testContext } from '../../support/context.js'
import { allExamples, type Example, substitute } from '../../support/examples.js'
import { type FakeTelegram, startFakeTelegram } from '../../support/fake-telegram.js'

const gw = inject('gateway')
const CHAT = '123456789'
let tg: FakeTelegram
let admin: GatewayClient
let home: string

interface Envelope {
  ok: boolean
  data: {
    id: string
    text: string
    markdown: string
    voice: { path: string; durationSec: number; codec: string }
    deliveries: { channel: string; state: string; messageId: string | null; voice: boolean }[]
  }
  error: { code: string; message: string; details: { reason: string; deliveries: { state: string }[] } }
}

async function patchGatewayConfig(patch: unknown, replacePaths: string[] = []): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const snap = await admin.request<{ hash?: string }>('config.get', {})
    try {
      await admin.request('config.patch', {
        raw: JSON.stringify(patch),
        ...(snap.hash ? { baseHash: snap.hash } : {}),
        ...(replacePaths.length ? { replacePaths } : {}),
        note: 'clawops brief integration test',
      })
      return
    } catch (err) {
      // Another test file may have changed the config between our get and patch: read it again.
      if (attempt >= 3) throw err
    }
  }
}

async function telegramState(): Promise<{ configured?: boolean; running?: boolean } | undefined> {
  const s = await admin.request<{ channels?: Record<string, { configured?: boolean; running?: boolean }> }>(
    'channels.status',
    {},
  )
  return s.channels?.telegram
}

/**
 * The built CLI, run asynchronously: the fake Telegram lives in this process, and a synchronous spawn
 * would block it while the gateway waits for it to answer.
 */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: unknown }> {
  const child = clawopsChild([...args, '--json'], { CLAWOPS_HOME: home, OPENCLAW_GATEWAY_TOKEN: gw.token })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    json = undefined
  }
  return { code, stdout, stderr, json }
}

beforeAll(async () => {
  tg = await startFakeTelegram()
  admin = await GatewayClient.connect({
    url: gw.url,
    auth: { kind: 'backend', token: gw.token },
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
  })
  await patchGatewayConfig({
    channels: {
      telegram: {
        enabled: true,
        botToken: tg.token,
        apiRoot: tg.url,
        dmPolicy: 'allowlist',
        allowFrom: [CHAT],
        network: { dangerouslyAllowPrivateNetwork: true },
      },
    },
  })
  const deadline = Date.now() + 60_000
  while (!(await telegramState())?.running) {
    if (Date.now() > deadline) throw new Error('the gateway did not start its Telegram channel')
    await sleep(500)
  }
  home = mkdtempSync(join(tmpdir(), 'clawops-brief-int-'))
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      gateway: { url: gw.url },
      briefer: {
        operatorName: 'Omar',
        channels: { telegram: { to: CHAT }, whatsapp: { to: '+15551234567' } },
      },
    }),
  )
  const seeded = await run(['lab', 'seed', '--pairs', '60', '--seed', '4', '--briefing-events'])
  expect(seeded.code, seeded.stderr).toBe(0)
})

afterAll(async () => {
  // Take the channel out again (its allowFrom list goes with it, which a patch must say explicitly).
  await patchGatewayConfig({ channels: { telegram: null } }, ['channels.telegram.allowFrom']).catch(() =>
    patchGatewayConfig({ channels: { telegram: { enabled: false } } }).catch(() => {}),
  )
  await admin?.close()
  await tg?.close()
})

describe('clawops brief --deliver through the real gateway', () => {
  it('sends the daily briefing and its voice note to Telegram (a voice message)', async () => {
    const voice = join(home, 'briefings', 'daily.ogg')
    const r = await run([
      'brief',
      'daily',
      '--voice',
      voice,
      '--deliver',
      '--channel',
      'telegram',
      '--as',
      'briefer',
    ])
    expect(r.code, `${r.stderr}${r.stdout}`).toBe(0)
    const d = (r.json as Envelope).data
    expect(d.deliveries).toEqual([
      expect.objectContaining({ channel: 'telegram', state: 'sent', voice: true }),
    ])
    expect(d.voice.codec).toBe('opus')
    const voiceSend = tg.sends.find((s) => s.method === 'sendVoice')
    expect(voiceSend).toBeDefined()
    expect(voiceSend!.chatId).toBe(CHAT)
    expect(voiceSend!.file!.bytes.equals(readFileSync(voice))).toBe(true)
    expect(audioInfo(voiceSend!.file!.bytes).durationSec).toBeCloseTo(d.voice.durationSec, 1)
    // The briefing's words reached the chat (as the voice note's caption or a message after it).
    const words = tg.sends.map((s) => s.caption ?? s.text ?? '').join('\n')
    expect(words).toMatch(/Good (morning|afternoon|evening) Omar/)
    // The gateway rendered the Markdown for Telegram (bold as HTML).
    expect(words).toMatch(/<b>Daily briefing, /)
    expect(words).toMatch(/<b>Fleet<\/b>: \d+ active pairs across \d+ providers/)
    expect(d.deliveries[0]!.messageId).toMatch(/^\d+$/)
  })

  it('refuses WhatsApp, which the gateway has not configured: CONFIG_INVALID, CHANNEL_NOT_CONFIGURED', async () => {
    const before = tg.sends.length
    const r = await run(['brief', 'daily', '--deliver', '--channel', 'whatsapp'])
    expect(r.code).toBe(3)
    const e = (r.json as Envelope).error
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.details.reason).toBe('CHANNEL_NOT_CONFIGURED')
    expect(e.message).toMatch(/the gateway has no whatsapp channel configured \(it serves: .*telegram/)
    expect(tg.sends.length).toBe(before)
  })

  it('maps the gateway refusing a send on an unconfigured channel to CHANNEL_NOT_CONFIGURED too', async () => {
    const ctx = testContext()
    const repo = ctx.store().repo(BriefDeliveries)
    repo.create({
      id: 'dlv-int-wa',
      subject: 'briefing',
      channel: 'whatsapp',
      target: '+15551234567',
      body: 'x',
      createdAt: ctx.now(),
    })
    // Pretend channels.status said yes, so the send itself reaches the gateway and is refused there.
    const d = await sendDelivery(
      repo,
      channelGatewayOver(admin, { closeClient: false }),
      repo.get('dlv-int-wa')!,
      {
        channels: { whatsapp: { configured: true, running: true, lastError: null } },
        agentId: null,
        now: () => ctx.now(),
      },
    )
    expect(d).toMatchObject({
      state: 'failed',
      error: {
        code: 'CONFIG_INVALID',
        reason: 'CHANNEL_NOT_CONFIGURED',
        gateway: { code: 'INVALID_REQUEST' },
      },
    })
  })

  it('sends a repeated delivery once: the gateway answers its idempotency key with the first send', async () => {
    const ctx = testContext()
    const repo = ctx.store().repo(BriefDeliveries)
    repo.create({
      id: 'dlv-int-once',
      subject: 'briefing',
      channel: 'telegram',
      target: CHAT,
      body: 'only once please',
      createdAt: ctx.now(),
    })
    const channels = { telegram: { configured: true, running: true, lastError: null } }
    const gateway = channelGatewayOver(admin, { closeClient: false })
    const first = await sendDelivery(repo, gateway, repo.get('dlv-int-once')!, {
      channels,
      agentId: null,
      now: () => ctx.now(),
    })
    const second = await sendDelivery(repo, gateway, repo.get('dlv-int-once')!, {
      channels,
      agentId: null,
      now: () => ctx.now(),
    })
    expect(first.state).toBe('sent')
    expect(second.messageId).toBe(first.messageId)
    expect(tg.sends.filter((s) => s.text?.includes('only once please'))).toHaveLength(1)
  })
})

describe('operator alerts through the real gateway', () => {
  it('pages the operator about a user without a gateway within one pass', async () => {
    const config: Config = {
      ...structuredClone(DEFAULT_CONFIG),
      briefer: { channels: { telegram: { to: CHAT } }, routes: { unrecoverable: ['telegram'] } },
    }
    const ctx = testContext({ config })
    ctx
      .store()
      .repo(FleetEvents)
      .insert({
        id: 'ev-int-1',
        type: 'PAIR_FAILED',
        severity: 'critical',
        instanceId: 'i-int',
        pairId: 'p-int',
        provider: 'hetzner',
        region: 'nbg1',
        payload: {
          summary: 'pair p-int (user u-int) has no ACTIVE member',
          suggest: ['clawops pair status p-int --json'],
          data: {},
        },
        createdAt: ctx.now(),
      })
    const r = await new OperatorAlerts(ctx, {
      gateway: async () => channelGatewayOver(admin, { closeClient: false }),
    }).deliverDue()
    expect(r).toMatchObject({ sent: 1, failed: [] })
    const page = tg.sends.find((s) => s.text?.includes('p-int'))
    expect(page?.text).toMatch(/URGENT/)
    expect(page?.text).toContain('clawops pair status p-int --json')
  })
})

describe('the Briefer cron job definitions', () => {
  it('are accepted by the gateway as cron jobs (created disabled, then removed)', async () => {
    const ws = join(home, 'ws')
    mkdirSync(ws, { recursive: true })
    for (const job of BRIEFING_JOBS) {
      const added = await admin.request<{ id?: string; job?: { id: string; schedule: unknown } }>(
        'cron.add',
        openclawCronJob(job, { home, agentId: 'main', enabled: false }),
      )
      const id = added.id ?? added.job?.id
      expect(id, JSON.stringify(added)).toBeTruthy()
      const listed = await admin.request<{
        jobs: { id: string; name: string; schedule: { expr?: string; tz?: string } }[]
      }>('cron.list', { includeDisabled: true })
      expect(listed.jobs.find((j) => j.id === id)).toMatchObject({
        name: `clawops-${job.id}`,
        schedule: { expr: job.cron, tz: 'UTC' },
      })
      await admin.request('cron.remove', { id })
    }
  })
})

describe('the --deliver examples of --help, as written', () => {
  // A home of their own: the operator's Telegram chat as the only target, and the daily briefing
  // routed there (briefer.routes.daily; the PRD's default, WhatsApp, is not a channel this gateway
  // has). The weekly and monthly ones go to Telegram by default.
  let exHome: string
  const KIND = { 'brief:daily': 'Daily briefing', 'brief:weekly': 'Weekly cost report' } as Record<
    string,
    string
  >
  beforeAll(async () => {
    exHome = mkdtempSync(join(tmpdir(), 'clawops-brief-examples-'))
    writeFileSync(
      join(exHome, 'config.json'),
      JSON.stringify({
        gateway: { url: gw.url },
        briefer: {
          operatorName: 'Omar',
          channels: { telegram: { to: CHAT } },
          routes: { daily: ['telegram'] },
        },
      }),
    )
    const env = { CLAWOPS_HOME: exHome }
    const seeded = await clawopsAsync(
      ['lab', 'seed', '--pairs', '20', '--seed', '4', '--briefing-events'],
      env,
    )
    expect(seeded.code, seeded.stderr).toBe(0)
  })

  const examples = allExamples().filter((e) => e.mode === 'deliver')
  it.each(examples.map((e) => [e.line, e] as const))('%s', async (_line, e: Example) => {
    const before = tg.sends.length
    const argv = substitute(e.argv, {}, exHome)
    const r = await clawopsAsync(argv, { CLAWOPS_HOME: exHome, OPENCLAW_GATEWAY_TOKEN: gw.token })
    expect(r.code, `${e.line}\n${r.stdout}${r.stderr}`).toBe(e.exit)
    // The briefing reached the operator's chat, rendered for Telegram.
    const sent = tg.sends.slice(before)
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every((s) => s.chatId === CHAT)).toBe(true)
    const words = sent.map((s) => s.caption ?? s.text ?? '').join('\n')
    expect(words).toContain(`<b>${KIND[e.id] ?? 'Monthly capacity report'}, `)
    if (e.argv.includes('--json'))
      expect((r.json as Envelope).data.deliveries).toEqual([
        expect.objectContaining({ channel: 'telegram', state: 'sent' }),
      ])
    // The voice note written where the example says, and sent as a voice message.
    const at = argv.indexOf('--voice')
    if (at !== -1) {
      expect(argv[at + 1]).toBe(join(exHome, 'briefings', 'daily.ogg'))
      const voice = sent.find((s) => s.method === 'sendVoice')
      expect(voice?.file?.bytes.equals(readFileSync(argv[at + 1]!))).toBe(true)
    }
  })
})
