/**
 * The adapter a command uses for a provider: base URL and credentials from the config's `providers`
 * section (a credentials file) or from the environment (README: provider credentials). One adapter
 * per provider per process, so its rate limiter sees every request the process makes.
 */
import { readSecretJson } from '../config/secret-file.js'
import type { Context } from '../context.js'
import type { Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'
import { CREDENTIAL_ENV, createProvider, type ProviderOptions, providerOptionsFromEnv } from './index.js'
import type { ProviderAdapter } from './types.js'

const cache = new WeakMap<Context, Map<Provider, ProviderAdapter>>()

function optionsFor(ctx: Context, provider: Provider): ProviderOptions {
  const entry = ctx.config().providers?.[provider]
  if (!entry?.credentialsFile) {
    const fromEnv = providerOptionsFromEnv(provider, ctx.env)
    return {
      ...fromEnv,
      ...(entry?.baseUrl ? { baseUrl: entry.baseUrl } : {}),
      ...(entry?.authUrl ? { authUrl: entry.authUrl } : {}),
    } as ProviderOptions
  }
  const creds = readSecretJson(entry.credentialsFile)
  const missing = Object.keys(CREDENTIAL_ENV[provider]).filter((k) => !creds[k])
  if (missing.length > 0) {
    throw new UserError(
      'CONFIG_INVALID',
      `${entry.credentialsFile} lacks ${provider} credential field(s): ${missing.join(', ')}`,
    )
  }
  const fields = Object.fromEntries(Object.keys(CREDENTIAL_ENV[provider]).map((k) => [k, creds[k]]))
  return {
    provider,
    ...fields,
    ...(entry.baseUrl ? { baseUrl: entry.baseUrl } : {}),
    ...(entry.authUrl ? { authUrl: entry.authUrl } : {}),
  } as ProviderOptions
}

/** Whether this home has credentials for `provider` (a credentials file, or every variable set). */
export function hasCredentials(ctx: Context, provider: Provider): boolean {
  if (ctx.config().providers?.[provider]?.credentialsFile) return true
  return Object.values(CREDENTIAL_ENV[provider] as Record<string, string>).every(
    (name) => (ctx.env[name] ?? '').trim() !== '',
  )
}

export async function providerFor(ctx: Context, provider: Provider): Promise<ProviderAdapter> {
  let byProvider = cache.get(ctx)
  if (!byProvider) {
    byProvider = new Map()
    cache.set(ctx, byProvider)
  }
  let adapter = byProvider.get(provider)
  if (!adapter) {
    const logger = (await ctx.logger()).child({ component: 'provider', provider })
    adapter = createProvider(optionsFor(ctx, provider), { logger })
    byProvider.set(provider, adapter)
  }
  return adapter
}
