/**
 * Which outside parts a context uses. Commands and operation kinds ask here; nothing is registered in
 * production, so the real parts are built from the config (wiring.ts, loaded only when needed).
 * Tests register fakes for their context. Kinds find their deps here rather than in their params,
 * because a journaled operation must be resumable by `clawops ops resume` with nothing but its id.
 */
import type { Context } from '../context.js'
import type { WatchDeps } from './ports.js'

const provided = new WeakMap<Context, WatchDeps>()
const built = new WeakMap<Context, Promise<WatchDeps>>()

export function provideDeps(ctx: Context, deps: WatchDeps): void {
  provided.set(ctx, deps)
}

export async function depsFor(ctx: Context): Promise<WatchDeps> {
  const mine = provided.get(ctx)
  if (mine) return mine
  let p = built.get(ctx)
  if (!p) {
    p = import('./wiring.js').then((m) => m.buildWatchDeps(ctx))
    built.set(ctx, p)
  }
  return p
}

/** Closes what `depsFor` built for this context (provided fakes are the provider's to close). */
export async function releaseDeps(ctx: Context): Promise<void> {
  const p = built.get(ctx)
  built.delete(ctx)
  if (p) await (await p).close()
}
