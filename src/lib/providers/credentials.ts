/**
 * Where a provider adapter's endpoint and credentials come from: the config's `providers` section
 * (a 0600 credentials file, optional base and auth URLs) or, for the human operator only, the
 * environment (README: provider credentials). Under an agent the environment is never read for them:
 * an agent's exec can set variables, and a base URL of its choosing would send the provider's token to
 * a host of its choosing.
 */
import type { Config } from '../config/schema.js'
import { readSecretJson } from '../config/secret-file.js'
import type { Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'
import { CREDENTIAL_ENV, type ProviderOptions, providerOptionsFromEnv } from './index.js'

export function providerOptions(
  config: Config,
  provider: Provider,
  env: NodeJS.ProcessEnv,
  o: { trustEnv: boolean },
): ProviderOptions {
  const entry = config.providers?.[provider]
  const urls = {
    ...(entry?.baseUrl ? { baseUrl: entry.baseUrl } : {}),
    ...(entry?.authUrl ? { authUrl: entry.authUrl } : {}),
  }
  if (!entry?.credentialsFile) {
    if (!o.trustEnv) {
      throw new UserError('CONFIG_INVALID', `no credentials file configured for ${provider}`, {
        hint: `Agents read provider credentials only from the config: set providers.${provider}.credentialsFile in $CLAWOPS_HOME/config.json.`,
        details: { provider },
      })
    }
    return { ...providerOptionsFromEnv(provider, env), ...urls } as ProviderOptions
  }
  const creds = readSecretJson(entry.credentialsFile)
  const fields = Object.keys(CREDENTIAL_ENV[provider])
  const missing = fields.filter((k) => !creds[k])
  if (missing.length > 0) {
    throw new UserError(
      'CONFIG_INVALID',
      `${entry.credentialsFile} lacks ${provider} credential field(s): ${missing.join(', ')}`,
      { details: { provider, missing } },
    )
  }
  return { provider, ...Object.fromEntries(fields.map((k) => [k, creds[k]])), ...urls } as ProviderOptions
}

/** Whether `provider` has credentials: a credentials file, or (trusted environment only) every variable. */
export function hasCredentials(config: Config, provider: Provider, env: NodeJS.ProcessEnv): boolean {
  if (config.providers?.[provider]?.credentialsFile) return true
  return Object.values(CREDENTIAL_ENV[provider] as Record<string, string>).every(
    (name) => (env[name] ?? '').trim() !== '',
  )
}
