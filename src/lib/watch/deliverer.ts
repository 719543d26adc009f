/**
 * Delivers the outbox into agent sessions, exactly once per (event, agent).
 *
 * Per target agent, oldest first: a delivery not yet accepted is retried (same id, same body) before
 * anything new is sent; then pending rows are batched (most urgent first, at most `maxBatch`) into a
 * new delivery, as long as the target's rate limit allows (`ratePerMinute` deliveries in any 60 s,
 * counted from the store so it holds across restarts; critical events are not held back by it).
 *
 * Exactly once, and the crash window. A delivery moves pending → sending (rows bound to it, body
 * fixed) in one transaction; `attempts` is incremented and committed before each POST; the POST
 * carries the delivery id as Idempotency-Key; the answer is committed as delivered. If the process
 * dies between the gateway accepting and our commit, the delivery is still `sending` on restart and
 * is sent again with the same key and the same body: the gateway answers a repeated key with the
 * original run and does not dispatch again (its replay entries live until the run settles and 5 min
 * after). What that cannot cover is a gateway that also restarted in that window (its replay state is
 * in memory): for deliveries already attempted, `recover()` first asks the DeliveryVerifier whether
 * the session transcript holds the delivery marker and marks them delivered if so.
 *
 * Team feeds (`feed:<name>` targets) go through the same outbox, claims and retries, posted to the
 * feed's webhook instead (feeds/discord.ts), at most 10 events a message, paced by what Discord's
 * rate-limit headers and 429 answers say rather than by `ratePerMinute`. Discord has no idempotency
 * key: a crash between Discord accepting a message and our commit posts that message twice.
 */

import { isFeedTarget } from '../config/team-feeds.js'
import { type AgentName, SEVERITY_PRIORITY, type WatchSettings } from '../config/watch-settings.js'
import { matchingSilence } from '../events/silence-match.js'
import { DISCORD_MAX_EMBEDS, discordMessage, type FeedAnswer, postDiscord } from '../feeds/discord.js'
import { newId } from '../ids.js'
import type { Logger } from '../log.js'
import { FleetEvents } from '../store/fleet-events.js'
import { type Delivery, Outbox } from '../store/outbox.js'
import { Silences } from '../store/silences.js'
import type { Store } from '../store/store.js'
import { postAgentHook } from './hooks-client.js'
import { composeMessage } from './message.js'
import type { DeliveryVerifier, HooksEndpoint } from './ports.js'

export interface DelivererOptions {
  store: Store
  settings: WatchSettings
  hooks: HooksEndpoint | null
  verifier: DeliveryVerifier | null
  clock: () => Date
  logger?: Logger
  /** A team feed's webhook URL (a secret, read when a delivery is sent); absent: feeds wait in the outbox. */
  feedUrl?: ((name: string) => string) | null
  /** Runs after the gateway answered and before the answer is recorded: the crash window, for tests. */
  afterPost?: (deliveryId: string) => void | Promise<void>
}

export interface DeliveryReport {
  deliveries: number
  events: number
  failed: { deliveryId: string; target: string; status: number | null; error: string }[]
  /** Targets with events held back by their rate limit, and when the next slot opens. */
  deferred: { target: string; events: number; until: string }[]
  silenced: number
  /** Earliest time something becomes due (a retry or a rate-limit slot); null when idle. */
  nextDueAt: string | null
}

const WINDOW_MS = 60_000

export class Deliverer {
  /** Feeds whose rate-limit bucket is spent, until when (ms): Discord said so in its headers. */
  private readonly holds = new Map<string, number>()

  constructor(private readonly o: DelivererOptions) {}

  private get outbox(): Outbox {
    return this.o.store.repo(Outbox)
  }

  /** After a restart: deliveries that were attempted and may have been accepted are checked first. */
  async recover(): Promise<{ unsent: number; confirmed: number }> {
    const unsent = this.outbox.unsent()
    let confirmed = 0
    if (!this.o.verifier) return { unsent: unsent.length, confirmed }
    for (const d of unsent.filter((x) => x.attempts > 0 && !isFeedTarget(x.target))) {
      const seen = await this.o.verifier
        .wasDelivered({ agentId: d.agentId, sessionKey: d.sessionKey, deliveryId: d.id })
        .catch(() => null)
      if (seen === true) {
        this.outbox.markDelivered(d.id, { runId: null, status: null }, this.o.clock().toISOString())
        confirmed++
        this.o.logger?.info({ deliveryId: d.id }, 'delivery found in the session transcript after a restart')
      }
    }
    return { unsent: unsent.length, confirmed }
  }

  /** Moves pending rows covered by a silence in force to `silenced` (silences added after queueing). */
  private applySilences(now: string): number {
    const silences = this.o.store.repo(Silences).active(now)
    if (silences.length === 0) return 0
    const events = this.o.store.repo(FleetEvents)
    let n = 0
    for (const target of this.outbox.pendingTargets()) {
      for (const row of this.outbox.pendingFor(target, 10_000)) {
        const e = events.get(row.eventId)
        if (!e) continue
        const s = matchingSilence(silences, e)
        if (s) {
          this.outbox.markSilenced(row.id, s.id, now)
          n++
        }
      }
    }
    return n
  }

  async deliverDue(): Promise<DeliveryReport> {
    const report: DeliveryReport = {
      deliveries: 0,
      events: 0,
      failed: [],
      deferred: [],
      silenced: 0,
      nextDueAt: null,
    }
    if (!this.o.hooks && !this.o.feedUrl) return report
    const now = this.o.clock().toISOString()
    report.silenced = this.applySilences(now)
    const targets = new Set(
      [...this.outbox.pendingTargets(), ...this.outbox.unsent().map((d) => d.target)].filter((t) =>
        isFeedTarget(t) ? this.o.feedUrl : this.o.hooks,
      ),
    )
    await Promise.all([...targets].map((t) => this.deliverTarget(t, report)))
    const later = [
      ...this.outbox.unsent().map((d) => d.nextAttemptAt),
      ...report.deferred.map((d) => d.until),
    ].sort()
    report.nextDueAt = later[0] ?? null
    return report
  }

  private async deliverTarget(target: string, report: DeliveryReport): Promise<void> {
    for (const d of this.outbox.unsent().filter((x) => x.target === target)) {
      if (d.nextAttemptAt > this.o.clock().toISOString()) return
      if (this.held(target, report)) return
      if (!(await this.send(d, report))) return
    }
    if (isFeedTarget(target)) return this.deliverFeed(target, report)
    const agent = this.o.settings.agents[target as AgentName]
    if (!agent) {
      report.failed.push({ deliveryId: '-', target, status: null, error: `no agent "${target}" configured` })
      return
    }
    for (;;) {
      const rows = this.outbox.pendingFor(target, this.o.settings.delivery.maxBatch)
      if (rows.length === 0) return
      const nowMs = this.o.clock().getTime()
      const windowStart = new Date(nowMs - WINDOW_MS).toISOString()
      const critical = rows[0]!.priority >= SEVERITY_PRIORITY.critical
      if (
        !critical &&
        this.outbox.deliveriesSince(target, windowStart) >= this.o.settings.delivery.ratePerMinute
      ) {
        const oldest = this.outbox.oldestDeliverySince(target, windowStart)
        const until = new Date((oldest ? Date.parse(oldest) : nowMs) + WINDOW_MS + 1).toISOString()
        report.deferred.push({ target, events: this.outbox.pendingFor(target, 10_000).length, until })
        return
      }
      const d = this.outbox.claim(
        target,
        this.o.settings.delivery.maxBatch,
        this.o.clock().toISOString(),
        (claimed) => {
          const id = newId('dlv')
          const events = this.o.store.repo(FleetEvents).getMany(claimed.map((r) => r.eventId))
          const byId = new Map(events.map((e) => [e.id, e]))
          const ordered = claimed.map((r) => byId.get(r.eventId)).filter((e) => e !== undefined)
          const body = JSON.stringify({
            message: composeMessage(target, id, ordered),
            name: 'clawops watch',
            agentId: agent.agentId,
            sessionKey: agent.sessionKey,
            sessionMode: 'persistent',
            deliver: agent.deliver,
            idempotencyKey: id,
          })
          return { id, target, agentId: agent.agentId, sessionKey: agent.sessionKey, body }
        },
      )
      // Another deliverer claimed what was pending.
      if (!d) return
      if (!(await this.send(d, report))) return
    }
  }

  /** Is the feed's rate-limit bucket spent? Then its events wait (reported as deferred). */
  private held(target: string, report: DeliveryReport): boolean {
    const until = this.holds.get(target)
    if (until === undefined || until <= this.o.clock().getTime()) return false
    report.deferred.push({
      target,
      events: this.outbox.pendingFor(target, 10_000).length,
      until: new Date(until).toISOString(),
    })
    return true
  }

  private async deliverFeed(target: string, report: DeliveryReport): Promise<void> {
    const feed = this.o.settings.feeds.find((f) => f.target === target)
    if (!feed) {
      report.failed.push({
        deliveryId: '-',
        target,
        status: null,
        error: `no team feed "${target}" configured`,
      })
      return
    }
    for (;;) {
      if (this.held(target, report)) return
      const d = this.outbox.claim(
        target,
        Math.min(this.o.settings.delivery.maxBatch, DISCORD_MAX_EMBEDS),
        this.o.clock().toISOString(),
        (claimed) => {
          const events = this.o.store.repo(FleetEvents).getMany(claimed.map((r) => r.eventId))
          const byId = new Map(events.map((e) => [e.id, e]))
          const ordered = claimed.map((r) => byId.get(r.eventId)).filter((e) => e !== undefined)
          const body = JSON.stringify(discordMessage(feed.name, feed.username, ordered))
          return { id: newId('dlv'), target, agentId: feed.name, sessionKey: '', body }
        },
      )
      if (!d) return
      if (!(await this.send(d, report))) return
    }
  }

  /** Posts a feed delivery to its webhook; a URL that cannot be read is a rejection the operator fixes. */
  private async postFeed(d: Delivery): Promise<FeedAnswer> {
    let url: string
    try {
      url = this.o.feedUrl!(d.agentId)
    } catch (err) {
      return {
        kind: 'rejected',
        status: null,
        error: (err as Error).message,
        retryAfterMs: 5 * 60_000,
        holdMs: 0,
      }
    }
    const answer = await postDiscord(url, d.body, {
      timeoutMs: this.o.settings.delivery.timeoutMs,
      attempts: d.attempts + 1,
    })
    if (answer.holdMs > 0) this.holds.set(d.target, this.o.clock().getTime() + answer.holdMs)
    return answer
  }

  /** One attempt; true when the gateway (or the feed) accepted it. */
  private async send(d: Delivery, report: DeliveryReport): Promise<boolean> {
    this.outbox.markAttempt(d.id, this.o.clock().toISOString())
    const answer = isFeedTarget(d.target)
      ? await this.postFeed(d)
      : await postAgentHook(this.o.hooks!, d.id, d.body, {
          timeoutMs: this.o.settings.delivery.timeoutMs,
          attempts: d.attempts + 1,
        })
    await this.o.afterPost?.(d.id)
    const now = this.o.clock()
    if (answer.kind === 'accepted') {
      const runId = 'runId' in answer ? answer.runId : answer.messageId
      this.outbox.markDelivered(d.id, { runId, status: answer.status }, now.toISOString())
      report.deliveries++
      report.events += d.events
      this.o.logger?.info({ deliveryId: d.id, target: d.target, events: d.events, runId }, 'delivered')
      return true
    }
    this.outbox.scheduleRetry(d.id, {
      status: answer.status,
      error: answer.error,
      nextAttemptAt: new Date(now.getTime() + answer.retryAfterMs).toISOString(),
    })
    report.failed.push({ deliveryId: d.id, target: d.target, status: answer.status, error: answer.error })
    this.o.logger?.warn(
      { deliveryId: d.id, target: d.target, status: answer.status, error: answer.error },
      'delivery failed',
    )
    return false
  }
}
