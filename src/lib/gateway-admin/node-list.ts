/**
 * `clawops node list`: the gateway's nodes joined with the fleet store, so an operator sees in one
 * table which instances have a connected gf-clawnode, which nodes are strangers, and which instances
 * have no node at all.
 */
import type { Context } from '../context.js'
import { listNodes } from '../gateway/nodes.js'
import { Instances } from '../store/instances.js'

export interface NodeRow {
  nodeId: string | null
  instanceId: string | null
  displayName: string | null
  connected: boolean
  paired: boolean
  version: string | null
  lastSeenAt: string | null
  /** The instance's state in the store; null for a node clawops does not know. */
  state: string | null
  pairId: string | null
  role: string | null
  /** The gateway shard the node is on (for an instance without a node: the one it is assigned to). */
  gateway: string
}

export interface NodeList {
  nodes: NodeRow[]
  counts: { connected: number; disconnected: number; unknownNodes: number; instancesWithoutNode: number }
}

export async function nodeList(ctx: Context, opts: { includeMissing?: boolean } = {}): Promise<NodeList> {
  // Every shard at once; one that cannot be reached is a warning while another answers.
  const shards = ctx.shards().map((x) => x.name)
  const settled = await Promise.allSettled(
    shards.map(async (g) =>
      (await listNodes(await (await ctx.gateway('operator', g)).get())).map((n) => ({ ...n, g })),
    ),
  )
  const failed = settled.flatMap((r, i) =>
    r.status === 'rejected' ? [{ g: shards[i]!, err: r.reason }] : [],
  )
  if (failed.length === shards.length) throw failed[0]!.err
  for (const f of failed)
    ctx.warn(`gateway ${f.g} unreachable: its nodes are not listed (${String(f.err?.message ?? f.err)})`)
  const nodes = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))
  const instances = ctx.store().repo(Instances).list()
  const byId = new Map(instances.map((i) => [i.id, i]))
  const byNode = new Map(instances.filter((i) => i.nodeId).map((i) => [i.nodeId!, i]))
  const seen = new Set<string>()
  const rows: NodeRow[] = nodes.map((n) => {
    const inst = byNode.get(n.nodeId) ?? (n.instanceId ? byId.get(n.instanceId) : undefined)
    if (inst) seen.add(inst.id)
    const last = n.lastSeenAtMs ?? n.lastConnectedAtMs ?? n.connectedAtMs
    return {
      nodeId: n.nodeId,
      instanceId: inst?.id ?? n.instanceId ?? null,
      displayName: n.displayName ?? null,
      connected: n.connected,
      paired: n.paired,
      version: n.version ?? null,
      lastSeenAt: last ? new Date(last).toISOString() : null,
      state: inst?.state ?? null,
      pairId: inst?.pairId ?? null,
      role: inst?.role ?? null,
      gateway: n.g,
    }
  })
  const missing = instances.filter((i) => !seen.has(i.id) && i.state !== 'DELETED')
  if (opts.includeMissing) {
    for (const i of missing) {
      rows.push({
        nodeId: null,
        instanceId: i.id,
        displayName: null,
        connected: false,
        paired: false,
        version: null,
        lastSeenAt: i.lastHeartbeatAt,
        state: i.state,
        pairId: i.pairId,
        role: i.role,
        gateway: ctx.shardOf(i),
      })
    }
  }
  return {
    nodes: rows,
    counts: {
      connected: rows.filter((r) => r.connected).length,
      disconnected: rows.filter((r) => r.nodeId && !r.connected).length,
      unknownNodes: rows.filter((r) => r.nodeId && !r.state).length,
      instancesWithoutNode: missing.length,
    },
  }
}
