/**
 * `clawops brief daily|weekly|monthly`: gather the facts, bring the incident log up to date and name
 * its patterns, render text, Markdown and speech, keep the briefing, then optionally make the voice
 * note, write the log into the Briefer's workspace memory and deliver to the operator.
 */
import type { Context } from '../context.js'
import { newId } from '../ids.js'
import { Briefings } from '../store/briefings.js'
import type { ChannelGateway } from './channel-gateway.js'
import { composeBriefing } from './compose.js'
import { assertMayDeliver, deliverBriefing } from './deliver-briefing.js'
import { type DeliveryOutcome, deliveryFailure } from './delivery.js'
import { type BriefFacts, gatherFacts } from './facts.js'
import { syncIncidentLog } from './incident-log.js'
import { type MemoryWriteResult, writeIncidentMemory } from './memory.js'
import { type BriefChannel, type BriefingKind, brieferSettings } from './settings.js'
import type { TtsProvider } from './tts/provider.js'
import { makeVoiceNote, type VoiceNote } from './voice.js'
import { type BriefWindow, briefingWindow } from './window.js'

export interface BriefOptions {
  kind: BriefingKind
  since?: string
  /** Write the spoken variant to this .ogg or .wav file. */
  voice?: string
  tts?: 'local' | 'elevenlabs'
  deliver?: boolean
  channels?: readonly BriefChannel[]
  /** The Briefer's workspace: the incident log goes to memory/ there (default briefer.workspace). */
  workspace?: string
  /** Seams for tests. */
  gateway?: () => Promise<ChannelGateway>
  ttsProvider?: TtsProvider
}

export interface BriefingResult {
  id: string
  kind: BriefingKind
  asOf: string
  window: BriefWindow
  text: string
  markdown: string
  spoken: string
  patterns: string[]
  /** Entries of the Briefer's incident log in the window. */
  log: { kind: string; at: string; title: string; provider: string | null; region: string | null }[]
  facts: BriefFacts
  voice: VoiceNote | null
  memory: MemoryWriteResult | null
  deliveries: DeliveryOutcome[] | null
}

export async function runBriefing(ctx: Context, o: BriefOptions): Promise<BriefingResult> {
  if (o.deliver) assertMayDeliver(ctx)
  const settings = brieferSettings(ctx.config())
  const window = briefingWindow(o.kind, ctx.clock(), o.since)
  const facts = gatherFacts(ctx, window)
  const store = ctx.store()
  const id = newId('brf')
  const { entries, patterns } = syncIncidentLog(store, {
    since: window.since,
    until: window.until,
    briefingId: id,
    maxUnservedMinutes: settings.sla.maxUnservedMinutes,
    now: ctx.now(),
  })
  const r = composeBriefing(facts, entries, patterns)
  store.repo(Briefings).insert({
    id,
    kind: o.kind,
    windowStart: window.since,
    windowEnd: window.until,
    actor: ctx.actor,
    facts,
    text: r.text,
    markdown: r.markdown,
    spoken: r.spoken,
    createdAt: ctx.now(),
  })

  const voice = o.voice
    ? await makeVoiceNote(ctx, r.spoken, o.voice, {
        ...(o.tts ? { provider: o.tts } : {}),
        ...(o.ttsProvider ? { tts: o.ttsProvider } : {}),
      })
    : null
  const workspace = o.workspace ?? settings.workspace
  const memory = workspace ? writeIncidentMemory(store, workspace, { until: window.until }) : null

  const result: BriefingResult = {
    id,
    kind: o.kind,
    asOf: window.until,
    window,
    text: r.text,
    markdown: r.markdown,
    spoken: r.spoken,
    patterns: r.patterns,
    log: entries.map((e) => ({
      kind: e.kind,
      at: e.at,
      title: e.title,
      provider: e.provider,
      region: e.region,
    })),
    facts,
    voice,
    memory,
    deliveries: null,
  }
  if (!o.deliver) return result
  result.deliveries = await deliverBriefing(
    ctx,
    { id, kind: o.kind, markdown: r.markdown },
    {
      ...(o.channels ? { channels: o.channels } : {}),
      voicePath: voice?.path ?? null,
      ...(o.gateway ? { gateway: o.gateway } : {}),
    },
  )
  const failure = deliveryFailure(result.deliveries, { briefingId: id, text: r.text, voice })
  if (failure) throw failure
  return result
}
