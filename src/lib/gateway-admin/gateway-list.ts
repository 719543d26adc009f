/**
 * `clawops gateway list`: every gateway shard of the config (the operator's first) with its health as
 * seen from here (reachable, the OpenClaw version its hello names, how long the connect and node.list
 * took), its nodes (paired, connected) and the live instances the store assigns to it. Shards are
 * asked at the same time; one that cannot be reached is a row with its error, never the command's.
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { listNodes } from '../gateway/nodes.js'
import { shardLoad } from '../provisioning/member.js'

export interface ShardRow {
  name: string
  /** The operator's gateway (agents, hooks, channels). */
  operator: boolean
  url: string
  nodeUrl: string
  /** Being retired (`drain` in the config): takes no new node. */
  drain: boolean
  reachable: boolean
  version: string | null
  latencyMs: number | null
  error: { code: string; message: string } | null
  nodes: { paired: number; connected: number } | null
  /** Live (not DELETED) instances the store puts on this gateway. */
  instances: number
}

export interface GatewayList {
  gateways: ShardRow[]
  counts: { gateways: number; reachable: number; instances: number; connected: number }
}

/** A URL as shown: no userinfo, whatever the config holds. */
function shown(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString().replace(/\/$/, '')
  } catch {
    return url
  }
}

export async function gatewayList(ctx: Context): Promise<GatewayList> {
  const load = shardLoad(ctx)
  const rows = await Promise.all(
    ctx.shards().map(async (s): Promise<ShardRow> => {
      const base = {
        name: s.name,
        operator: s.operator,
        url: shown(s.url),
        nodeUrl: shown(s.nodeUrl),
        drain: s.drain,
        instances: load.get(s.name) ?? 0,
      }
      const t0 = performance.now()
      try {
        const client = await (await ctx.gateway('operator', s.name)).get()
        const nodes = await listNodes(client)
        return {
          ...base,
          reachable: true,
          version: client.hello.server.version,
          latencyMs: Math.round(performance.now() - t0),
          error: null,
          nodes: {
            paired: nodes.filter((n) => n.paired).length,
            connected: nodes.filter((n) => n.connected).length,
          },
        }
      } catch (err) {
        const code = err instanceof UserError ? err.code : 'GATEWAY_UNREACHABLE'
        return {
          ...base,
          reachable: false,
          version: null,
          latencyMs: null,
          error: { code, message: err instanceof Error ? err.message : String(err) },
          nodes: null,
        }
      }
    }),
  )
  return {
    gateways: rows,
    counts: {
      gateways: rows.length,
      reachable: rows.filter((r) => r.reachable).length,
      instances: rows.reduce((a, r) => a + r.instances, 0),
      connected: rows.reduce((a, r) => a + (r.nodes?.connected ?? 0), 0),
    },
  }
}
