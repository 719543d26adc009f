/**
 * The Statuspage summary shape providers publish (status.digitalocean.com, status.vultr.com, ...; the
 * lab serves the same with a `region` per component). Loose: unknown fields are ignored, and every
 * field clawops does not need may be missing.
 */
import { z } from 'zod'

const Component = z.looseObject({
  name: z.string(),
  region: z.string().nullable().optional(),
  status: z.string(),
})

const IncidentSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  name: z.string(),
  status: z.string().default('investigating'),
  impact: z.string().default('none'),
  regions: z.array(z.string()).optional(),
  started_at: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
})

export const StatusSummarySchema = z.looseObject({
  status: z.looseObject({ indicator: z.string(), description: z.string().default('') }),
  components: z.array(Component).default([]),
  incidents: z.array(IncidentSchema).default([]),
})
