/**
 * Fault injection for the lab cloud: rules per provider and region that add latency, answer a
 * share of requests with an error (in the provider's own error shape), answer a share with malformed
 * bodies (of the wrong shape, or cut off after the request was handled),
 * take a region down (its API calls fail, its servers' boot drivers stop) or make new servers hang
 * while booting. Rules live in the lab state, so they survive a restart of the lab process.
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { PROVIDERS, type Provider } from '../../domain/provider.js'
import type { FaultRule } from './model.js'

/** What a client may send to add a rule; everything but one effect is optional. */
export const FaultInputSchema = z
  .object({
    provider: z.enum(PROVIDERS).nullable().optional(),
    region: z.string().min(1).nullable().optional(),
    match: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s)
          return true
        } catch {
          return false
        }
      }, 'match must be a regular expression')
      .nullable()
      .optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    errorStatus: z.number().int().min(400).max(599).optional(),
    retryAfterSec: z.number().int().min(0).max(3600).nullable().optional(),
    malformed: z.boolean().optional(),
    malformedRate: z.number().min(0).max(1).optional(),
    malformedAs: z.enum(['shape', 'truncated']).optional(),
    outage: z.boolean().optional(),
    hangBoot: z.boolean().optional(),
    count: z.number().int().min(1).nullable().optional(),
  })
  .strict()
  .refine(
    (f) =>
      (f.latencyMs ?? 0) > 0 ||
      (f.errorRate ?? 0) > 0 ||
      f.malformed ||
      (f.malformedRate ?? 0) > 0 ||
      f.outage ||
      f.hangBoot,
    { message: 'a fault needs an effect: latencyMs, errorRate, malformed(Rate), outage or hangBoot' },
  )
  .refine((f) => !f.outage || (f.provider && f.region), {
    message: 'an outage names a provider and a region',
  })
export type FaultInput = z.infer<typeof FaultInputSchema>

export function newFault(input: FaultInput, now: string): FaultRule {
  return {
    id: `fault-${randomUUID().slice(0, 8)}`,
    provider: input.provider ?? null,
    region: input.region ?? null,
    match: input.match ?? null,
    latencyMs: input.latencyMs ?? 0,
    errorRate: input.errorRate ?? 0,
    errorStatus: input.errorStatus ?? 503,
    retryAfterSec: input.retryAfterSec ?? null,
    malformedRate: input.malformed ? 1 : (input.malformedRate ?? 0),
    malformedAs: input.malformedAs ?? 'shape',
    outage: input.outage ?? false,
    hangBoot: input.hangBoot ?? false,
    remaining: input.count ?? null,
    createdAt: now,
  }
}

export interface FaultVerdict {
  latencyMs: number
  /** Answer with this error instead of handling the request. */
  error: { status: number; retryAfterSec: number | null; outage: boolean; ruleId: string } | null
  malformed: FaultRule['malformedAs'] | null
}

/**
 * The combined effect of the rules on one request. `region` is the region the request concerns
 * (a create's region, the region of the server in the path), null for region-less requests.
 * Consumes one of a counted rule's injections when it fires.
 */
export function judge(
  rules: FaultRule[],
  req: { provider: Provider; region: string | null; route: string },
  random: () => number,
): FaultVerdict {
  const v: FaultVerdict = { latencyMs: 0, error: null, malformed: null }
  for (const r of rules) {
    if (r.provider !== null && r.provider !== req.provider) continue
    if (r.region !== null && r.region !== req.region) continue
    if (r.match !== null && !new RegExp(r.match).test(req.route)) continue
    v.latencyMs += r.latencyMs
    if (v.error) continue
    if (r.outage) {
      v.error = { status: 503, retryAfterSec: r.retryAfterSec, outage: true, ruleId: r.id }
    } else if (r.errorRate > 0 && random() < r.errorRate) {
      v.error = { status: r.errorStatus, retryAfterSec: r.retryAfterSec, outage: false, ruleId: r.id }
      if (r.remaining !== null) r.remaining -= 1
    } else if (!v.malformed && r.malformedRate > 0 && random() < r.malformedRate) {
      v.malformed = r.malformedAs
      if (r.remaining !== null) r.remaining -= 1
    }
  }
  return v
}

/** Rules whose counted injections are used up. */
export function expired(rules: FaultRule[]): FaultRule[] {
  return rules.filter((r) => r.remaining !== null && r.remaining <= 0)
}

/** The rule that makes a new server in this region hang while booting (it uses up one count). */
export function takeHangBoot(rules: FaultRule[], provider: Provider, region: string): FaultRule | undefined {
  const rule = rules.find(
    (r) =>
      r.hangBoot &&
      (r.remaining === null || r.remaining > 0) &&
      (r.provider === null || r.provider === provider) &&
      (r.region === null || r.region === region),
  )
  if (rule && rule.remaining !== null) rule.remaining -= 1
  return rule
}

/** `${provider}:${region}` for every region under an outage rule. */
export function outageKeys(rules: FaultRule[]): Set<string> {
  return new Set(
    rules.filter((r) => r.outage && r.provider && r.region).map((r) => `${r.provider}:${r.region}`),
  )
}
