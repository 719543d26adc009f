/**
 * The team channels of `team.feeds` (P14): which events each hears, and its webhook URL. The URL is a
 * secret (a Discord webhook URL carries the token that posts to the channel): it is read only when
 * a delivery is sent, from a 0600 file or an environment variable, and never put in settings, logs,
 * JSON or the audit trail; errors name the feed and where the URL was looked for, never the URL.
 */
import type { EventType, Severity } from '../domain/event.js'
import { UserError } from '../errors.js'
import type { Config } from './schema.js'
import { readSecretFile } from './secret-file.js'

export type FeedKind = 'discord'

/** The outbox target of a feed: agents are plain names, feeds `feed:<name>`. */
export const FEED_PREFIX = 'feed:'

export const DEFAULT_FEED_EVENTS: readonly EventType[] = [
  'INCIDENT_OPENED',
  'INCIDENT_RESOLVED',
  'OPERATION_STARTED',
  'OPERATION_FINISHED',
  'OPERATION_FAILED',
]

export interface FeedRoute {
  name: string
  /** The outbox target (`feed:<name>`). */
  target: string
  kind: FeedKind
  events: readonly EventType[]
  minSeverity: Severity
  username: string
}

export function feedRoutes(config: Config): FeedRoute[] {
  return Object.entries(config.team?.feeds ?? {}).map(([name, f]) => ({
    name,
    target: `${FEED_PREFIX}${name}`,
    kind: f.kind,
    events: f.events ?? DEFAULT_FEED_EVENTS,
    minSeverity: f.minSeverity ?? 'info',
    username: f.username ?? 'clawops',
  }))
}

export function isFeedTarget(target: string): boolean {
  return target.startsWith(FEED_PREFIX)
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost'])

/**
 * The webhook URL of a feed: https, or http on loopback only (a local relay, the tests), so a token
 * never crosses a network in the clear. `env` is the trusted environment of the process that sends.
 */
export function feedUrl(config: Config, name: string, env: NodeJS.ProcessEnv): string {
  const f = config.team?.feeds?.[name]
  if (!f) throw new UserError('CONFIG_INVALID', `no team feed "${name}" in the config`)
  const where = f.urlFile ? `the file ${f.urlFile}` : `$${f.urlEnv}`
  const raw = f.urlFile ? readSecretFile(f.urlFile) : (env[f.urlEnv ?? ''] ?? '').trim()
  const bad = (why: string) =>
    new UserError('CONFIG_INVALID', `team feed "${name}": ${where} ${why}`, {
      hint: 'Put the channel webhook URL (https://discord.com/api/webhooks/<id>/<token>) there alone.',
      details: { feed: name },
    })
  if (!raw) throw bad('is empty or unset')
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw bad('does not hold a URL')
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname)))
    throw bad('does not hold an https URL')
  return u.toString()
}
