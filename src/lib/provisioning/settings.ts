/** The `provisioning` config section with its defaults (plain constants: no zod on read paths). */
import type { Config } from '../config/schema.js'

export interface TailscaleSettings {
  /** The API origin (https://api.tailscale.com unless the lab's). */
  baseUrl: string | null
  /** The tailnet name, or `-` for the credential's own tailnet. */
  tailnet: string
  /** A 0600 JSON file: {"apiKey"} or {"oauthClientId","oauthClientSecret"}. */
  credentialsFile: string
  /** Tags every server's key carries (an OAuth client must own them). */
  tags: string[]
  /** How long an unused key stays valid. */
  keyExpirySeconds: number
}

export const DEFAULT_KEY_EXPIRY_SECONDS = 3600

export interface ProvisioningSettings {
  /** Prefix of server names: claw-<fleet>-<pair>-<role>-<op>. */
  fleet: string
  /** The gateway URL nodes use (over Tailscale in production); the operator's gateway URL by default. */
  nodeGatewayUrl: string | null
  /** The user's OpenClaw gateway image. */
  openclawImage: string
  /** npm spec of the package carrying gf-clawnode, installed by cloud-init. */
  clawnodePackage: string
  /** Also put the shared gateway token in user data, as a fallback when a bootstrap token expires. */
  sharedTokenFallback: boolean
  concurrency: number
  bootTimeoutSeconds: number
  joinTimeoutSeconds: number
  /** Tries per member: a server that fails to create, boot, join or answer is replaced up to this many times in all. */
  createAttempts: number
  /** One auth key minted per server through the Tailscale API; null: servers join no tailnet. */
  tailscale: TailscaleSettings | null
}

export const DEFAULT_PROVISIONING: ProvisioningSettings = {
  fleet: 'fleet',
  nodeGatewayUrl: null,
  openclawImage: 'ghcr.io/openclaw/openclaw:2026.9.6',
  clawnodePackage: 'clawops@0.1.0',
  sharedTokenFallback: false,
  concurrency: 8,
  bootTimeoutSeconds: 900,
  joinTimeoutSeconds: 600,
  createAttempts: 3,
  tailscale: null,
}

export function provisioningSettings(config: Config): ProvisioningSettings {
  const p = config.provisioning ?? {}
  return {
    ...DEFAULT_PROVISIONING,
    ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
    tailscale: p.tailscale
      ? {
          baseUrl: p.tailscale.baseUrl ?? null,
          tailnet: p.tailscale.tailnet ?? '-',
          credentialsFile: p.tailscale.credentialsFile,
          tags: p.tailscale.tags,
          keyExpirySeconds: p.tailscale.keyExpirySeconds ?? DEFAULT_KEY_EXPIRY_SECONDS,
        }
      : null,
  } as ProvisioningSettings
}
