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

export async function requireGateway(ctx: Context, why: string): Promise<void> {
  const ep = await ctx.gatewayEndpoint()
  if (!ep.token) {
    throw new UserError(
      'CONFIG_INVALID',
      `no gateway token (${ep.tokenSource}): ${why} goes through the gateway`,
      {
        hint: `Provide the operator gateway's token through ${ep.tokenSource}, then plan again.`,
        details: { gateway: ep.url },
      },
    )
  }
}
