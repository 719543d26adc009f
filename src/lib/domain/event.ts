import { z } from 'zod'

export const EVENT_TYPES = [
  'INSTANCE_DEGRADED',
  'INSTANCE_RECOVERED',
  'INSTANCE_FAILED',
  'PAIR_FAILED',
  'PAIR_NO_PRIMARY',
  'FAILOVER_COMPLETE',
  'HEAL_COMPLETE',
  'COST_ANOMALY',
  'PROVISION_QUEUE_BACKLOG',
  'PROVIDER_DEGRADED',
  'PROVISION_COMPLETE',
  'PROVISION_FAILED',
  'HEAL_ESCALATED',
  'REPROVISION_READY',
  'INCIDENT_OPENED',
  'INCIDENT_RESOLVED',
  'PROVIDER_STATUS_UNKNOWN',
  'HEAL_STORM',
  'OPERATION_STARTED',
  'OPERATION_FINISHED',
  'OPERATION_FAILED',
] as const
export const EventTypeSchema = z.enum(EVENT_TYPES)
export type EventType = z.infer<typeof EventTypeSchema>
export const SEVERITIES = ['info', 'warning', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export const FleetEventSchema = z.object({
  id: z.string(),
  type: EventTypeSchema,
  severity: z.enum(SEVERITIES),
  instanceId: z.string().nullable(),
  pairId: z.string().nullable(),
  provider: z.string().nullable(),
  region: z.string().nullable(),
  payload: z.unknown(),
  createdAt: z.string(),
})
export type FleetEvent = z.infer<typeof FleetEventSchema>
