/**
 * THE WIRING POINT: builds the real outside parts of health, heal, failover and watch from the config.
 *
 * - NodeInvoker: `node.invoke` through the operator's gateway (src/lib/gateway: GatewayClient +
 *   invokeNode), backend auth with the shared token from `gateway.tokenEnv` (loopback gateways). The
 *   instance's node is `instances.node_id`, else found in `node.list` by its display name
 *   ("clawnode <instanceId>").
 * - PresenceSource: every gateway shard's `presence` events (src/lib/gateway/presence.ts:
 *   watchNodePresence), re-attached after a gateway link comes back; the link is up while every
 *   shard's is.
 * - ProviderStatusSource: the status pages named in `watch.statusPages` / `watch.statusPageBase`
 *   (the lab cloud serves `<lab>/_status/<provider>`).
 * - HooksEndpoint: `watch.hooksUrl` (default: the gateway's /hooks/agent) with the token from
 *   `gateway.hooksTokenEnv` or `gateway.hooksTokenFile`.
 * - DeliveryVerifier: the session transcript (`chat.history`) searched for the delivery marker.
 * - CostSource / ProviderScoreSource: the Ledger (src/lib/ledger: detectCostAnomalies, providerHealth).
 * - OperatorAlertsPort: the Briefer's real-time alerts to the operator (src/lib/brief/alerts.ts) over the
 *   same gateway connection, when briefer.channels is configured.
 *
 * Tests never load this module: they register fakes with `provideDeps`.
 */
import { operatorAlertsFor } from '../brief/alerts.js'
import { channelGatewayOver } from '../brief/channel-gateway.js'
import type { Context } from '../context.js'
import type { GatewayLink } from '../gateway/link.js'
import { watchNodePresence } from '../gateway/presence.js'
import { detectCostAnomalies } from '../ledger/cost-report.js'
import { providerHealth } from '../ledger/provider-health.js'
import type { Logger } from '../log.js'
import { Instances } from '../store/instances.js'
import { deliveryMarker } from './message.js'
import type { CostSource, DeliveryVerifier, PresenceSource, ProviderScoreSource, WatchDeps } from './ports.js'

const PRESENCE_RETRY_MS = 5_000

function gatewayPresence(ctx: Context, link: GatewayLink, logger: Logger): PresenceSource {
  let retry: NodeJS.Timeout | undefined
  let stopped = false
  const off: (() => void)[] = []
  return {
    async start(h) {
      const attach = async () => {
        try {
          const client = await link.get()
          off.push(
            client.onConnection((state) => h.link(state === 'connected')),
            watchNodePresence(client, (p) => {
              const instanceId = p.instanceId ?? ctx.store().repo(Instances).idOfNode(p.nodeId)
              if (!instanceId || !ctx.store().repo(Instances).get(instanceId)) return
              h.change({
                instanceId,
                nodeId: p.nodeId,
                state: p.connected ? 'connected' : 'disconnected',
                at: new Date(p.ts ?? Date.now()),
              })
            }),
          )
          h.link(true)
        } catch (err) {
          h.link(false)
          logger.warn({ err: String(err) }, 'gateway not reachable for presence; retrying in 5 s')
          if (!stopped) retry = setTimeout(() => void attach(), PRESENCE_RETRY_MS)
        }
      }
      await attach()
    },
    async stop() {
      stopped = true
      clearTimeout(retry)
      for (const f of off) f()
    },
  }
}

/**
 * Presence from every gateway shard as one source. The link reads up only while every shard's is: a
 * shard that is down makes the absence of its nodes' presence mean nothing, and watch cannot tell
 * which nodes' silence to trust without it.
 */
function shardsPresence(sources: PresenceSource[]): PresenceSource {
  if (sources.length === 1) return sources[0]!
  const up = sources.map(() => false)
  return {
    async start(h) {
      await Promise.all(
        sources.map((src, i) =>
          src.start({
            change: (c) => h.change(c),
            link: (state) => {
              up[i] = state
              h.link(up.every(Boolean))
            },
          }),
        ),
      )
    },
    async stop() {
      await Promise.all(sources.map((src) => src.stop()))
    },
  }
}

/** COST_ANOMALY from the Ledger: the week and the month against their projections. */
function ledgerCost(ctx: Context): CostSource {
  return {
    async anomalies(now, thresholdPct) {
      return detectCostAnomalies(ctx, { at: now, ...(thresholdPct === null ? {} : { thresholdPct }) }).map(
        (a) => ({
          period: a.period,
          periodStart: a.periodStart,
          actualUsdCents: a.actualUsdCents,
          projectedUsdCents: a.projectedUsdCents,
          overPct: a.overPct,
          thresholdPct: a.thresholdPct,
          severity: a.severity,
          detail: {
            basis: a.basis,
            forecastUsdCents: a.forecastUsdCents,
            projectionSource: a.projectionSource,
            topMovers: a.topMovers,
          },
        }),
      )
    },
  }
}

/** PROVIDER_DEGRADED over days: the Ledger's 7-day provider health score. */
function ledgerProviderScores(ctx: Context): ProviderScoreSource {
  return {
    async scores(now) {
      const r = providerHealth(ctx, { at: now })
      return r.providers.map((p) => ({
        provider: p.provider,
        score: p.score,
        detail: {
          components: p.components,
          recommendations: r.recommendations.filter((x) => x.provider === p.provider).map((x) => x.command),
        },
      }))
    },
  }
}

function historyVerifier(link: GatewayLink): DeliveryVerifier {
  return {
    async wasDelivered(d) {
      try {
        const client = await link.get()
        const history = await client.request('chat.history', {
          sessionKey: `agent:${d.agentId}:${d.sessionKey}`,
          limit: 200,
        })
        return JSON.stringify(history).includes(deliveryMarker(d.deliveryId))
      } catch {
        return null
      }
    },
  }
}

export async function buildWatchDeps(ctx: Context, o: { daemon?: boolean } = {}): Promise<WatchDeps> {
  const settings = ctx.watchSettings()
  const logger = (await ctx.logger()).child({ component: 'gateway' })
  const link = await ctx.gateway()
  const hooks = await ctx.hooksToken()
  const shards = ctx.shards().map((x) => x.name)
  const presence = o.daemon
    ? shardsPresence(
        await Promise.all(
          shards.map(async (name) =>
            gatewayPresence(ctx, await ctx.gateway('operator', name), logger.child({ gateway: name })),
          ),
        ),
      )
    : null
  return {
    presence,
    cost: ledgerCost(ctx),
    providerScores: ledgerProviderScores(ctx),
    hooks: hooks ? { url: settings.hooksUrl, token: hooks } : null,
    verifier: historyVerifier(link),
    // The Briefer's alerts share watch's gateway connection (the `send` RPC); they never close it.
    operatorAlerts: operatorAlertsFor(ctx, {
      gateway: async () => channelGatewayOver(await link.get(), { closeClient: false }),
      logger: (await ctx.logger()).child({ component: 'alerts' }),
    }),
    // The link is the Context's: it closes it.
    close: async () => {},
  }
}
