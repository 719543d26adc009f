import { z } from 'zod'

export const PROVIDERS = ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger'] as const
export const ProviderSchema = z.enum(PROVIDERS)
export type Provider = z.infer<typeof ProviderSchema>

export const REGION_GROUPS = ['eu', 'us', 'ap'] as const
export type RegionGroup = (typeof REGION_GROUPS)[number]
