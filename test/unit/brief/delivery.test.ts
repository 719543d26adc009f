import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runBriefing } from '../../../src/lib/brief/run.js'
import type { TtsProvider } from '../../../src/lib/brief/tts/provider.js'
import { pcmToWav } from '../../../src/lib/brief/tts/wav.js'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { UserError } from '../../../src/lib/errors.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { BriefDeliveries } from '../../../src/lib/store/brief-deliveries.js'
import { testContext } from '../../support/context.js'
import { FakeChannels, ok, queued, unsupported } from './fake-gateway.js'
import { pair } from './fixtures.js'
import { oggOpus } from './ogg-fixture.js'

const AT = '2026-11-26T07:00:00.000Z'
const channels = {
  whatsapp: { to: '+15551234567' },
  telegram: { to: '123456789', accountId: 'default' },
  slack: { to: 'channel:C0123' },
}
const base: Config = { ...structuredClone(DEFAULT_CONFIG), briefer: { operatorName: 'Omar', channels } }

function setup(config: Config = base, actor?: string) {
  const ctx = testContext({ clock: () => new Date(AT), config, ...(actor ? { actor } : {}) })
  pair(ctx.store(), 'p-1', ['ACTIVE', 'ACTIVE'])
  return ctx
}

/** A TTS that writes a fixed Ogg/Opus or WAV file, so delivery tests need no speech engine. */
const fakeTts: TtsProvider = {
  name: 'local',
  async synthesize(_text, o) {
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      o.outPath,
      o.format === 'ogg' ? oggOpus(3) : pcmToWav(Buffer.alloc(44_100), { sampleRate: 22_050 }),
    )
    return { path: o.outPath, format: o.format, engine: 'fake', notes: [] }
  },
}
const voicePath = () => join(mkdtempSync(join(tmpdir(), 'clawops-dl-')), 'daily.ogg')

describe('delivering a briefing through the gateway', () => {
  it('sends the Markdown and the voice note as a WhatsApp voice message, audited, with the delivery id as idempotency key', async () => {
    const ctx = setup()
    const gw = new FakeChannels()
    const b = await runBriefing(ctx, {
      kind: 'daily',
      voice: voicePath(),
      deliver: true,
      gateway: async () => gw,
      ttsProvider: fakeTts,
    })
    expect(b.deliveries).toEqual([
      expect.objectContaining({
        channel: 'whatsapp',
        target: '+15551234567',
        state: 'sent',
        messageId: 'm-1',
        voice: true,
      }),
    ])
    const [p] = gw.sent
    expect(p).toMatchObject({
      channel: 'whatsapp',
      to: '+15551234567',
      message: b.markdown,
      filename: 'daily.ogg',
      contentType: 'audio/ogg',
      asVoice: true,
      idempotencyKey: b.deliveries![0]!.id,
    })
    expect(Buffer.from(p!.buffer!, 'base64').equals(readFileSync(b.voice!.path))).toBe(true)
    expect(gw.closed).toBe(1)
    const audit = ctx.store().repo(AuditTrail).query({ action: 'brief.deliver' })
    expect(audit).toEqual([
      expect.objectContaining({
        outcome: 'ok',
        target: 'whatsapp:+15551234567',
        details: expect.objectContaining({ briefingId: b.id, voice: true }),
      }),
    ])
  })

  it('attaches the voice note as a file on Slack, and sends to every --channel', async () => {
    const ctx = setup()
    const gw = new FakeChannels({ slack: ok(), telegram: ok() })
    const b = await runBriefing(ctx, {
      kind: 'weekly',
      voice: voicePath(),
      deliver: true,
      channels: ['slack', 'telegram'],
      gateway: async () => gw,
      ttsProvider: fakeTts,
    })
    expect(gw.sent.map((s) => [s.channel, s.asVoice, s.accountId])).toEqual([
      ['slack', false, undefined],
      ['telegram', true, 'default'],
    ])
    expect(b.deliveries!.every((d) => d.state === 'sent')).toBe(true)
  })

  it('refuses a channel clawops has no target for: CONFIG_INVALID, recorded and audited, nothing sent', async () => {
    const ctx = setup()
    const gw = new FakeChannels()
    const err = (await runBriefing(ctx, {
      kind: 'daily',
      deliver: true,
      channels: ['discord'],
      gateway: async () => gw,
    }).catch((e: unknown) => e)) as UserError
    expect(err).toBeInstanceOf(UserError)
    expect(err.code).toBe('CONFIG_INVALID')
    expect(err.message).toMatch(/briefer\.channels\.discord\.to/)
    expect(err.details).toMatchObject({
      reason: 'CHANNEL_NOT_CONFIGURED',
      deliveries: [{ channel: 'discord', state: 'failed' }],
    })
    expect(gw.sent).toEqual([])
    const id = (err.details as { briefingId: string }).briefingId
    expect(ctx.store().repo(BriefDeliveries).forBriefing(id)).toEqual([
      expect.objectContaining({ state: 'failed', channel: 'discord' }),
    ])
    expect(ctx.store().repo(AuditTrail).query({ action: 'brief.deliver' })).toEqual([
      expect.objectContaining({ outcome: 'failed' }),
    ])
  })

  it('refuses a channel the gateway has not configured, before sending (channels.status) or when it says so', async () => {
    const ctx = setup()
    const notThere = new FakeChannels({ telegram: ok() })
    const err = (await runBriefing(ctx, {
      kind: 'daily',
      deliver: true,
      gateway: async () => notThere,
    }).catch((e: unknown) => e)) as UserError
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', details: { reason: 'CHANNEL_NOT_CONFIGURED' } })
    expect(err.message).toMatch(/no whatsapp channel configured \(it serves: telegram\)/)
    expect(notThere.sent).toEqual([])

    const says = new FakeChannels()
    says.answers.set('whatsapp', () => unsupported('whatsapp'))
    const err2 = (await runBriefing(ctx, { kind: 'daily', deliver: true, gateway: async () => says }).catch(
      (e: unknown) => e,
    )) as UserError
    expect(err2.details).toMatchObject({
      reason: 'CHANNEL_NOT_CONFIGURED',
      deliveries: [
        { error: { gateway: { code: 'INVALID_REQUEST', message: 'unsupported channel: whatsapp' } } },
      ],
    })
  })

  it('treats a send the gateway queued as pending (warned, never resent) and a mix of outcomes as PARTIAL_FAILURE', async () => {
    const ctx = setup()
    const gw = new FakeChannels({
      whatsapp: ok(),
      telegram: ok(),
      slack: { configured: false, running: false, lastError: null },
    })
    gw.answers.set('telegram', () => queued())
    const err = (await runBriefing(ctx, {
      kind: 'daily',
      deliver: true,
      channels: ['whatsapp', 'telegram', 'slack'],
      gateway: async () => gw,
    }).catch((e: unknown) => e)) as UserError
    expect(err.code).toBe('PARTIAL_FAILURE')
    expect(
      (err.details as { deliveries: { channel: string; state: string }[] }).deliveries.map((d) => [
        d.channel,
        d.state,
      ]),
    ).toEqual([
      ['whatsapp', 'sent'],
      ['telegram', 'queued'],
      ['slack', 'failed'],
    ])
    expect(ctx.warnings.join('\n')).toMatch(/telegram: the gateway queued the message/)
  })

  it('says GATEWAY_UNREACHABLE when there is no gateway, and keeps the rows', async () => {
    const ctx = setup()
    const err = (await runBriefing(ctx, {
      kind: 'daily',
      deliver: true,
      gateway: async () => {
        throw new UserError('GATEWAY_UNREACHABLE', 'cannot reach the gateway at ws://127.0.0.1:1')
      },
    }).catch((e: unknown) => e)) as UserError
    expect(err).toMatchObject({ code: 'GATEWAY_UNREACHABLE', details: { reason: 'GATEWAY_UNREACHABLE' } })
  })

  it('lets only operator, commander and briefer deliver', async () => {
    const ctx = setup(base, 'triage')
    await expect(
      runBriefing(ctx, { kind: 'daily', deliver: true, gateway: async () => new FakeChannels() }),
    ).rejects.toMatchObject({
      code: 'POLICY_DENIED',
    })
    expect(ctx.store().repo(AuditTrail).query({ action: 'brief.deliver' })).toEqual([
      expect.objectContaining({ outcome: 'denied' }),
    ])
    const briefer = setup(base, 'briefer')
    const b = await runBriefing(briefer, {
      kind: 'daily',
      deliver: true,
      gateway: async () => new FakeChannels(),
    })
    expect(b.deliveries![0]!.state).toBe('sent')
  })
})
