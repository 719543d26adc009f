import { z } from 'zod'

export const AUDIT_OUTCOMES = ['intent', 'ok', 'failed', 'denied', 'confirmation-required'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

export const AuditEntrySchema = z.object({
  seq: z.number().int().positive(),
  ts: z.string(),
  actor: z.string(),
  /** Who acted under the role: an operator's name or an agent's id; null on entries before identities. */
  identity: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  opId: z.string().nullable(),
  planId: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  details: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
})
export type AuditEntry = z.infer<typeof AuditEntrySchema>
