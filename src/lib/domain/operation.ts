import { z } from 'zod'

export const OPERATION_STATES = ['running', 'done', 'failed', 'partial'] as const
export type OperationState = (typeof OPERATION_STATES)[number]
export const STEP_STATES = ['pending', 'running', 'done', 'failed'] as const
export type StepState = (typeof STEP_STATES)[number]

export const OperationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  planId: z.string(),
  actor: z.string(),
  /** Who started it under that role; null on operations from before identities. */
  identity: z.string().nullable(),
  state: z.enum(OPERATION_STATES),
  params: z.unknown(),
  summary: z.string(),
  leaseOwner: z.string().nullable(),
  leaseUntil: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.unknown().nullable(),
})
export type Operation = z.infer<typeof OperationSchema>

export const OperationStepSchema = z.object({
  opId: z.string(),
  seq: z.number().int(),
  name: z.string(),
  target: z.string().nullable(),
  input: z.unknown(),
  state: z.enum(STEP_STATES),
  attempts: z.number().int(),
  checkpoint: z.unknown().nullable(),
  result: z.unknown().nullable(),
  error: z.unknown().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  final: z.boolean(),
})
export type OperationStep = z.infer<typeof OperationStepSchema>
