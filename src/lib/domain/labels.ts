import { z } from 'zod'

/** Label keys follow the Hetzner/Kubernetes shape so they map onto provider labels and tags. */
export const LABEL_KEY = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/i
export const LABEL_VALUE = /^([a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?)?$/i

export const LabelsSchema = z.record(
  z.string().regex(LABEL_KEY, 'label keys are DNS-like names of at most 63 characters, optionally prefixed'),
  z.string().regex(LABEL_VALUE, 'label values are at most 63 alphanumerics, with . _ - inside'),
)
export type Labels = z.infer<typeof LabelsSchema>
