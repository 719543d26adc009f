/**
 * What a config push needs from outside: node.invoke through the operator's gateway (the shared
 * gateway link and its invoker) and a clock to pause between batches. Kinds find their deps here
 * rather than in their params, because a journaled rollout must be resumable with nothing but its id;
 * tests register fakes for their context.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Context } from '../context.js'
import type { NodeInvoker } from '../gateway/link.js'

export interface ConfigPushDeps {
  invoker: NodeInvoker
  sleep(ms: number): Promise<void>
  close(): Promise<void>
}

const provided = new WeakMap<Context, ConfigPushDeps>()
const built = new WeakMap<Context, Promise<ConfigPushDeps>>()

export function provideConfigPushDeps(ctx: Context, deps: ConfigPushDeps): void {
  provided.set(ctx, deps)
}

export function configPushDeps(ctx: Context): Promise<ConfigPushDeps> {
  const mine = provided.get(ctx)
  if (mine) return Promise.resolve(mine)
  let p = built.get(ctx)
  if (!p) {
    p = import('../gateway/link.js').then(async ({ openGatewayLink, gatewayInvoker }) => {
      const link = await openGatewayLink(ctx)
      return { invoker: gatewayInvoker(link), sleep: (ms: number) => sleep(ms), close: () => link.close() }
    })
    built.set(ctx, p)
  }
  return p
}

/** Closes what `configPushDeps` built for this context (provided fakes are the provider's to close). */
export async function releaseConfigPushDeps(ctx: Context): Promise<void> {
  const p = built.get(ctx)
  built.delete(ctx)
  if (p) await (await p.catch(() => null))?.close()
}
