import { z } from 'zod'
import { LabelsSchema } from './labels.js'

/**
 * A user's pair: the primary and standby instances that serve one user gateway. Which member is the
 * primary is a fact of the instances (their role), not stored twice here.
 */
export const PairSchema = z.object({
  id: z.string(),
  userId: z.string(),
  labels: LabelsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Pair = z.infer<typeof PairSchema>
