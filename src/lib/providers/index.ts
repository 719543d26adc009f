/**
 * Building adapters: from explicit options (config, tests, the lab) or from the environment
 * (HCLOUD_TOKEN, VULTR_API_KEY, DIGITALOCEAN_ACCESS_TOKEN, CONTABO_CLIENT_ID/CONTABO_CLIENT_SECRET/
 * CONTABO_API_USER/CONTABO_API_PASSWORD, HOSTINGER_API_TOKEN; base URLs from
 * CLAWOPS_<PROVIDER>_BASE_URL, Contabo's token endpoint from CLAWOPS_CONTABO_AUTH_URL).
 */
import type { Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'
import type { AdapterDeps } from './adapter-options.js'
import { ContaboAdapter, type ContaboOptions } from './contabo.js'
import { DigitalOceanAdapter, type DigitalOceanOptions } from './digitalocean.js'
import { HetznerAdapter, type HetznerOptions } from './hetzner.js'
import { HostingerAdapter, type HostingerOptions } from './hostinger.js'
import type { ProviderAdapter } from './types.js'
import { VultrAdapter, type VultrOptions } from './vultr.js'

export type { AdapterDeps, AdapterTuning } from './adapter-options.js'
export { ContaboAdapter, type ContaboOptions } from './contabo.js'
export { DigitalOceanAdapter, type DigitalOceanOptions } from './digitalocean.js'
export { HetznerAdapter, type HetznerOptions } from './hetzner.js'
export { HostingerAdapter, type HostingerOptions } from './hostinger.js'
export { OP_LABEL, opMarker, serverName, shortOpId } from './names.js'
export { labelToTag, tagToLabel } from './tags.js'
export type * from './types.js'
export { VultrAdapter, type VultrOptions } from './vultr.js'

export type ProviderOptions =
  | ({ provider: 'hetzner' } & HetznerOptions)
  | ({ provider: 'vultr' } & VultrOptions)
  | ({ provider: 'digitalocean' } & DigitalOceanOptions)
  | ({ provider: 'contabo' } & ContaboOptions)
  | ({ provider: 'hostinger' } & HostingerOptions)

export function createProvider(o: ProviderOptions, deps?: AdapterDeps): ProviderAdapter {
  switch (o.provider) {
    case 'hetzner':
      return new HetznerAdapter(o, deps)
    case 'vultr':
      return new VultrAdapter(o, deps)
    case 'digitalocean':
      return new DigitalOceanAdapter(o, deps)
    case 'contabo':
      return new ContaboAdapter(o, deps)
    case 'hostinger':
      return new HostingerAdapter(o, deps)
  }
}

/** The environment variables holding each provider's credentials. */
export const CREDENTIAL_ENV = {
  hetzner: { token: 'HCLOUD_TOKEN' },
  vultr: { apiKey: 'VULTR_API_KEY' },
  digitalocean: { token: 'DIGITALOCEAN_ACCESS_TOKEN' },
  contabo: {
    clientId: 'CONTABO_CLIENT_ID',
    clientSecret: 'CONTABO_CLIENT_SECRET',
    username: 'CONTABO_API_USER',
    password: 'CONTABO_API_PASSWORD',
  },
  hostinger: { token: 'HOSTINGER_API_TOKEN' },
} as const satisfies Record<Provider, Record<string, string>>

/**
 * Provider options from environment variables. A missing credential is CONFIG_INVALID naming the
 * variable, never its value.
 */
export function providerOptionsFromEnv(
  provider: Provider,
  env: NodeJS.ProcessEnv = process.env,
): ProviderOptions {
  const vars: Record<string, string> = CREDENTIAL_ENV[provider]
  const creds: Record<string, string> = {}
  const missing: string[] = []
  for (const [field, name] of Object.entries(vars)) {
    const v = env[name]
    if (v === undefined || v.trim() === '') missing.push(name)
    else creds[field] = v.trim()
  }
  if (missing.length > 0) {
    throw new UserError('CONFIG_INVALID', `${provider} credentials missing: ${missing.join(', ')}`, {
      hint: `Set ${missing.join(', ')} in the environment or in the clawops config, or try it on the lab's emulated clouds first: clawops lab up.`,
      details: { provider, missing },
    })
  }
  const upper = provider.toUpperCase()
  const baseUrl = env[`CLAWOPS_${upper}_BASE_URL`]
  const authUrl = provider === 'contabo' ? env.CLAWOPS_CONTABO_AUTH_URL : undefined
  return {
    provider,
    ...creds,
    ...(baseUrl ? { baseUrl } : {}),
    ...(authUrl ? { authUrl } : {}),
  } as ProviderOptions
}
