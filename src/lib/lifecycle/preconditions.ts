/**
 * What a lifecycle plan makes sure of before anything changes: that every provider it will call has
 * its credentials, and that the gateway it will reach nodes through has its token. A missing one is
 * CONFIG_INVALID at plan time, never found halfway through an operation.
 */
import type { Context } from '../context.js'
import type { Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'

/** Builds each provider's adapter, which reads (and checks) its credentials. */
export async function requireProviders(ctx: Context, providers: Iterable<Provider>): Promise<void> {
  for (const p of new Set(providers)) await ctx.provider(p)
}

/** Every gateway shard's token: a node may be on any of them. */
export async function requireGateway(ctx: Context, why: string): Promise<void> {
  for (const shard of ctx.shards()) {
    const ep = await ctx.gatewayEndpoint(shard.name)
    if (ep.token) continue
    const which = shard.operator ? "the operator gateway's" : `gateway ${shard.name}'s`
    throw new UserError(
      'CONFIG_INVALID',
      `no gateway token (${ep.tokenSource}): ${why} goes through the gateway`,
      {
        hint: `Provide ${which} token through ${ep.tokenSource}, then plan again.`,
        details: { gateway: ep.url },
      },
    )
  }
}
