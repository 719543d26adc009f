import { z } from 'zod'
import { LabelsSchema } from './labels.js'
import { ProviderSchema } from './provider.js'
import { TierSchema } from './tier.js'

export const INSTANCE_STATES = [
  'CREATING',
  'BOOTSTRAPPING',
  'ACTIVE',
  'DEGRADED',
  'FAILED',
  'STANDBY_PROMOTING',
  'RESIZING',
  'QUARANTINED',
  'ARCHIVING',
  'DELETED',
] as const
export const InstanceStateSchema = z.enum(INSTANCE_STATES)
export type InstanceState = z.infer<typeof InstanceStateSchema>

export const ROLES = ['primary', 'standby'] as const
export const RoleSchema = z.enum(ROLES)
export type Role = z.infer<typeof RoleSchema>

/** Which state may follow which; anything else is a bug in the caller, not a user error. */
export const TRANSITIONS: Record<InstanceState, readonly InstanceState[]> = {
  CREATING: ['BOOTSTRAPPING', 'FAILED', 'DELETED'],
  // Back to CREATING when provisioning replaces a server that never came up.
  BOOTSTRAPPING: ['ACTIVE', 'DEGRADED', 'FAILED', 'DELETED', 'CREATING'],
  ACTIVE: ['DEGRADED', 'FAILED', 'STANDBY_PROMOTING', 'RESIZING', 'ARCHIVING', 'QUARANTINED'],
  DEGRADED: ['ACTIVE', 'FAILED', 'STANDBY_PROMOTING', 'RESIZING', 'ARCHIVING', 'QUARANTINED'],
  FAILED: ['ACTIVE', 'DEGRADED', 'QUARANTINED', 'ARCHIVING', 'DELETED'],
  STANDBY_PROMOTING: ['ACTIVE', 'FAILED'],
  RESIZING: ['ACTIVE', 'DEGRADED', 'FAILED'],
  QUARANTINED: ['ACTIVE', 'ARCHIVING', 'DELETED'],
  // A teardown that stops before anything was destroyed puts the member back as it was.
  ARCHIVING: ['DELETED', 'FAILED', 'ACTIVE', 'DEGRADED', 'QUARANTINED'],
  DELETED: [],
}

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return from === to || TRANSITIONS[from].includes(to)
}

export const InstanceSchema = z.object({
  id: z.string(),
  pairId: z.string(),
  userId: z.string(),
  provider: ProviderSchema,
  region: z.string(),
  tier: TierSchema,
  role: RoleSchema,
  state: InstanceStateSchema,
  providerId: z.string().nullable(),
  ip: z.string().nullable(),
  tailscaleName: z.string().nullable(),
  nodeId: z.string().nullable(),
  labels: LabelsSchema,
  healthScore: z.number().int().min(0).max(100).nullable(),
  lastHeartbeatAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /**
   * The gateway shard the instance's node is on (src/lib/gateway/shards.ts); null or absent for
   * instances from before shards: the operator's gateway.
   */
  gateway: z.string().nullable().optional(),
})
export type Instance = z.infer<typeof InstanceSchema>
