/**
 * Live, read-only views of one instance through its gf-clawnode: health (probe and score), metrics,
 * logs and the user gateway's config. Nothing here changes the fleet store.
 */
import type { Context } from '../context.js'
import type { Instance } from '../domain/instance.js'
import { getInstance } from '../fleet/instance-query.js'
import { type Probe, probeInstance } from '../health/probe.js'
import { type Score, scoreProbe } from '../health/score.js'

const TIMEOUT_MS = 15_000

function brief(i: Instance) {
  return {
    id: i.id,
    pairId: i.pairId,
    role: i.role,
    state: i.state,
    provider: i.provider,
    region: i.region,
    nodeId: i.nodeId,
  }
}

export interface InstanceHealth {
  instance: ReturnType<typeof brief>
  probe: Probe
  score: Score
}

export async function instanceHealth(ctx: Context, id: string): Promise<InstanceHealth> {
  const instance = getInstance(ctx, id)
  const invoker = await ctx.nodes()
  const probe = await probeInstance(invoker, instance, {
    timeoutMs: TIMEOUT_MS,
    now: ctx.clock(),
    lastHeartbeatAt: instance.lastHeartbeatAt,
    connected: null,
  })
  return { instance: brief(instance), probe, score: scoreProbe(probe) }
}

/** One node command on one instance; its payload as the node sent it. */
export async function nodeCall(
  ctx: Context,
  id: string,
  command: 'vps.metrics' | 'vps.info' | 'openclaw.logs' | 'config.get' | 'config.diff',
  params: Record<string, unknown> = {},
): Promise<{ instance: ReturnType<typeof brief>; result: unknown }> {
  const instance = getInstance(ctx, id)
  const invoker = await ctx.nodes()
  const result = await invoker.invoke(instance, command, params, TIMEOUT_MS)
  return { instance: brief(instance), result }
}
