/**
 * The Briefer's settings: the optional `briefer` section of the config over these defaults (plain
 * constants, no zod: the config loader validated the section). Routes follow the PRD (9.2): the daily
 * voice note and unrecoverable failures on WhatsApp; the weekly cost report, the monthly capacity
 * report, provisioning failures and cost anomalies on Telegram.
 */
import type { Config } from '../config/schema.js'

export const BRIEF_CHANNELS = ['whatsapp', 'telegram', 'slack', 'discord'] as const
export type BriefChannel = (typeof BRIEF_CHANNELS)[number]

export const BRIEFING_KINDS = ['daily', 'weekly', 'monthly'] as const
export type BriefingKind = (typeof BRIEFING_KINDS)[number]

export const ALERT_RULES = ['unrecoverable', 'provisionFailed', 'costAnomaly'] as const
export type AlertRule = (typeof ALERT_RULES)[number]

export type RouteName = BriefingKind | AlertRule

export interface ChannelTarget {
  to: string
  accountId?: string
  asVoice?: boolean
}

export interface BrieferSettings {
  operatorName: string | null
  agentId: string | null
  channels: Partial<Record<BriefChannel, ChannelTarget>>
  routes: Record<RouteName, BriefChannel[]>
  voice: {
    provider: 'local' | 'elevenlabs'
    local: { voice: string; wordsPerMinute: number }
    elevenlabs: { apiKeyEnv: string; voiceId: string; modelId: string; baseUrl: string }
  }
  sla: { maxUnservedMinutes: number }
  alerts: { enabled: boolean; maxAgeMinutes: number; provisionMinAttempts: number }
  workspace: string | null
}

export const DEFAULT_ROUTES: Record<RouteName, BriefChannel[]> = {
  daily: ['whatsapp'],
  weekly: ['telegram'],
  monthly: ['telegram'],
  unrecoverable: ['whatsapp'],
  provisionFailed: ['telegram'],
  costAnomaly: ['telegram'],
}

export const BRIEFER_DEFAULTS = {
  voice: {
    provider: 'local' as const,
    local: { voice: 'en-us', wordsPerMinute: 165 },
    elevenlabs: {
      apiKeyEnv: 'ELEVENLABS_API_KEY',
      // ElevenLabs' stock voice "Adam" and multilingual model (the ones OpenClaw's own TTS defaults to).
      voiceId: 'pMsXgVXv3BLzUgSXRplE',
      modelId: 'eleven_multilingual_v2',
      baseUrl: 'https://api.elevenlabs.io',
    },
  },
  // A user without an ACTIVE gateway for longer than this is an SLA breach. Ten minutes is the heal
  // tree's budget (detection within a sweep, 90 s restart wait, failover) with room to spare.
  sla: { maxUnservedMinutes: 10 },
  alerts: { enabled: true, maxAgeMinutes: 60, provisionMinAttempts: 3 },
}

/** Whether voice notes go as voice messages by default on a channel (its users expect push-to-talk). */
export const VOICE_NOTE_CHANNELS: readonly BriefChannel[] = ['whatsapp', 'telegram']

export function brieferSettings(config: Config): BrieferSettings {
  const b = config.briefer ?? {}
  const d = BRIEFER_DEFAULTS
  return {
    operatorName: b.operatorName ?? null,
    agentId: b.agentId ?? null,
    channels: { ...b.channels },
    routes: { ...DEFAULT_ROUTES, ...b.routes },
    voice: {
      provider: b.voice?.provider ?? d.voice.provider,
      local: { ...d.voice.local, ...b.voice?.local },
      elevenlabs: { ...d.voice.elevenlabs, ...b.voice?.elevenlabs },
    },
    sla: { ...d.sla, ...b.sla },
    alerts: { ...d.alerts, ...b.alerts },
    workspace: b.workspace ?? null,
  }
}
