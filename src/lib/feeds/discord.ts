/**
 * A team feed on Discord: the message a delivery posts (Execute Webhook, `?wait=true`) and how
 * Discord's answer is read.
 *
 * The message: a content line (Discord allows 2000 characters) and one embed per event (at most 10
 * per message, a title of at most 256 characters, a description of at most 4096, 6000 characters
 * over all embeds); mentions are switched off (`allowed_mentions.parse: []`), so text that came
 * from the fleet (a provider's status line, a summary) can never ping @everyone or a role.
 *
 * The answer: 200 (with wait) or 204 is accepted. 429 waits what Discord says: `retry_after`
 * (seconds, in the JSON body), else the Retry-After header. After any answer, X-RateLimit-Remaining 0
 * holds the feed for X-RateLimit-Reset-After seconds, so the next message does not earn a 429. Other
 * 4xx answers (a deleted webhook, a malformed message) are retried slowly, never dropped. The URL
 * carries the webhook's token: no error or log line here contains it.
 */

import { backoffMs, MINUTE } from '../delivery-backoff.js'
import type { FleetEvent, Severity } from '../domain/event.js'
import type { EventPayload } from '../events/emit.js'
import { networkReason } from '../net-error.js'

export const DISCORD_MAX_EMBEDS = 10
const MAX_CONTENT = 2000
const MAX_TITLE = 256
const MAX_DESCRIPTION = 4096
const MAX_EMBED_TOTAL = 6000

const COLOR: Record<Severity, number> = {
  info: 0x3498db,
  warning: 0xf1c40f,
  high: 0xe67e22,
  critical: 0xe74c3c,
}

export interface DiscordMessage {
  content: string
  username: string
  embeds: { title: string; description: string; color: number; timestamp: string }[]
  allowed_mentions: { parse: [] }
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`)

/** The message for up to DISCORD_MAX_EMBEDS events (the deliverer claims no more than that). */
export function discordMessage(
  feed: string,
  username: string,
  events: readonly FleetEvent[],
): DiscordMessage {
  const shown = events.slice(0, DISCORD_MAX_EMBEDS)
  const perEmbed = Math.floor(MAX_EMBED_TOTAL / Math.max(1, shown.length)) - MAX_TITLE
  const embeds = shown.map((e) => {
    const p = e.payload as EventPayload
    const where = [e.provider, e.region, e.pairId, e.instanceId].filter(Boolean).join(' · ')
    const lines = [p.summary, ...(where ? [where] : []), ...(p.suggest ?? []).map((s) => `\`${s}\``)]
    return {
      title: cut(`${e.severity.toUpperCase()} ${e.type}`, MAX_TITLE),
      description: cut(lines.join('\n'), Math.min(MAX_DESCRIPTION, perEmbed)),
      color: COLOR[e.severity],
      timestamp: e.createdAt,
    }
  })
  const n = events.length
  return {
    content: cut(`clawops → ${feed}: ${n} fleet event${n === 1 ? '' : 's'}`, MAX_CONTENT),
    username: cut(username, 80),
    embeds,
    allowed_mentions: { parse: [] },
  }
}

export type FeedAnswer =
  | { kind: 'accepted'; status: number; messageId: string | null; holdMs: number }
  | { kind: 'retry' | 'rejected'; status: number | null; error: string; retryAfterMs: number; holdMs: number }

const seconds = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN
  return Number.isFinite(n) && n >= 0 ? n * 1000 : null
}

/** Milliseconds the bucket is spent for, from X-RateLimit-Remaining 0 and X-RateLimit-Reset-After. */
function bucketHoldMs(h: Headers): number {
  if (h.get('x-ratelimit-remaining') !== '0') return 0
  return seconds(h.get('x-ratelimit-reset-after')) ?? 1_000
}

/** The URL with `wait=true` (kept with any thread_id the operator put there). */
export function waitUrl(url: string): string {
  const u = new URL(url)
  u.searchParams.set('wait', 'true')
  return u.toString()
}

export async function postDiscord(
  url: string,
  body: string,
  o: { timeoutMs: number; attempts: number },
): Promise<FeedAnswer> {
  let res: Response
  try {
    res = await fetch(waitUrl(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(o.timeoutMs),
    })
  } catch (err) {
    return {
      kind: 'retry',
      status: null,
      error: `Discord unreachable: ${networkReason(err, o.timeoutMs)}`,
      retryAfterMs: backoffMs(o.attempts),
      holdMs: 0,
    }
  }
  const text = await res.text().catch(() => '')
  let json: { id?: unknown; message?: unknown; retry_after?: unknown; code?: unknown } | null = null
  try {
    json = JSON.parse(text)
  } catch {
    // 204 has no body; a proxy in between may answer in plain text.
  }
  const holdMs = bucketHoldMs(res.headers)
  if (res.status === 200 || res.status === 204) {
    return {
      kind: 'accepted',
      status: res.status,
      messageId: typeof json?.id === 'string' ? json.id : null,
      holdMs,
    }
  }
  const said = typeof json?.message === 'string' ? json.message : text.slice(0, 200)
  const error = `HTTP ${res.status}: ${said}${typeof json?.code === 'number' ? ` (code ${json.code})` : ''}`
  if (res.status === 429) {
    const wait =
      seconds(json?.retry_after) ?? seconds(res.headers.get('retry-after')) ?? backoffMs(o.attempts)
    return { kind: 'retry', status: 429, error, retryAfterMs: Math.max(wait, holdMs), holdMs: wait }
  }
  if (res.status >= 400 && res.status < 500) {
    return { kind: 'rejected', status: res.status, error, retryAfterMs: 5 * MINUTE, holdMs }
  }
  return { kind: 'retry', status: res.status, error, retryAfterMs: backoffMs(o.attempts), holdMs }
}
