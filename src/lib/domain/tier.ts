import { z } from 'zod'

export const TIERS = ['nano', 'standard', 'pro'] as const
export const TierSchema = z.enum(TIERS)
export type Tier = z.infer<typeof TierSchema>
