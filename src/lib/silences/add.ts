/**
 * `clawops silence add`: stops watch from pushing matching events into agent sessions until the
 * silence expires. Matchers: provider, region, instance, event type (each optional, at least one).
 * Silenced events are still recorded (incident reports show them), and a critical event is only
 * silenced by a silence that names its type. A journaled operation like every other change, so the
 * audit trail says who silenced what and why.
 *
 * Hiding events is an action on the users whose events they are (safety rule 5): the plan counts the
 * users with an instance the scope matches today (every user of the fleet for a silence that names
 * only an event type), and policy reads the `silence` fact (see SilenceFact in policy/rules.ts).
 */

import { PROVIDERS } from '../domain/provider.js'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { silenceScoped } from '../events/silence-match.js'
import type { SilenceFact } from '../policy/rules.js'
import { Instances } from '../store/instances.js'
import { Silences } from '../store/silences.js'

export interface SilenceAddParams {
  provider?: string
  region?: string
  instance?: string
  eventType?: string
  /** Seconds from when the silence is created; params stay the same for a --confirm re-run. */
  forSeconds: number
  reason: string
}

/** A silence longer than a week is a configuration change, not a silence. */
export const MAX_SILENCE_SECONDS = 7 * 24 * 3600

const silenceAdd: OperationKind<SilenceAddParams> = {
  kind: 'silence.add',
  action: 'silence.manage',

  parseParams(raw) {
    const p = raw as Partial<SilenceAddParams> | null
    if (!p) throw new UserError('INVALID_INPUT', 'no silence given')
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
    const out: SilenceAddParams = {
      forSeconds: Number(p.forSeconds),
      reason: str(p.reason) ?? '',
    }
    for (const k of ['provider', 'region', 'instance', 'eventType'] as const) {
      const v = str(p[k])
      if (v) out[k] = v
    }
    if (!out.provider && !out.region && !out.instance && !out.eventType) {
      throw new UserError(
        'INVALID_INPUT',
        'a silence needs at least one of --provider, --region, --instance, --event',
        {
          hint: 'A silence of everything would hide users without a gateway; name what to silence.',
        },
      )
    }
    if (!Number.isInteger(out.forSeconds) || out.forSeconds < 60 || out.forSeconds > MAX_SILENCE_SECONDS) {
      throw new UserError('INVALID_INPUT', 'a silence lasts from 1 minute to 7 days', {
        hint: 'Use --for with a duration such as 30m, 2h or 1d.',
      })
    }
    if (!out.reason) throw new UserError('INVALID_INPUT', 'a silence needs a --reason')
    if (out.provider && !(PROVIDERS as readonly string[]).includes(out.provider)) {
      throw new UserError('INVALID_INPUT', `unknown provider "${out.provider}"`, {
        hint: `One of: ${PROVIDERS.join(', ')}.`,
      })
    }
    return out
  },

  plan(ctx, p) {
    const instances = ctx.store().repo(Instances)
    if (p.instance && !instances.get(p.instance)) {
      throw new UserError('NOT_FOUND', `no instance ${p.instance}`, {
        hint: 'List instances with clawops instance list.',
      })
    }
    const scope = { provider: p.provider ?? null, region: p.region ?? null, instanceId: p.instance ?? null }
    const users = instances.countUsers(scope)
    const fact: SilenceFact = {
      ...scope,
      eventType: p.eventType ?? null,
      scoped: silenceScoped(scope),
      users,
    }
    const what = [
      p.provider && `provider ${p.provider}`,
      p.region && `region ${p.region}`,
      p.instance && `instance ${p.instance}`,
      p.eventType && `${p.eventType} events`,
    ]
      .filter(Boolean)
      .join(', ')
    const whose = fact.scoped ? `${users} user${users === 1 ? '' : 's'}` : `every user (${users})`
    return {
      summary: `silence ${what} for ${Math.round(p.forSeconds / 60)} min, hiding events of ${whose}: ${p.reason}`,
      targets: p.instance ? [p.instance] : [],
      affectedUsers: users,
      costDeltaMonthlyUsdCents: 0,
      steps: [{ name: 'add', target: null, input: {} }],
      facts: { silence: fact },
    }
  },

  async runStep(run, p) {
    const { ctx } = run
    const silences = ctx.store().repo(Silences)
    // Named after the operation, so a resumed step finds the silence it already created.
    const id = `sil-${run.opId.slice(3)}`
    if (!silences.get(id)) {
      const now = ctx.clock()
      silences.insert({
        id,
        provider: p.provider ?? null,
        region: p.region ?? null,
        instanceId: p.instance ?? null,
        eventType: p.eventType ?? null,
        reason: p.reason,
        createdBy: run.actor,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + p.forSeconds * 1000).toISOString(),
      })
    }
    return silences.get(id)
  },
}

export default silenceAdd
