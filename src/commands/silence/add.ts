import { Flags } from '@oclif/core'
import ms from 'ms'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { UserError } from '../../lib/errors.js'
import { renderFields } from '../../lib/output/table.js'
import type { Silence } from '../../lib/store/silences.js'

interface Result {
  status: string
  planId: string | null
  opId: string | null
  silence: Silence | null
  summary: string
}

export default class SilenceAdd extends ClawopsCommand<typeof SilenceAdd, Result> {
  static override summary = 'Stop watch from pushing matching events to the agents until the silence expires.'
  static override description =
    "Match by provider, region, instance and event type (at least one; all given must match). Silenced events are still recorded and appear in incident reports. A critical event (a pair with no working gateway) is only silenced when --event names its type. The plan counts the users whose events the silence hides (the users with an instance its provider, region or instance matches today; every user for a silence that names only --event): more than 10 needs a confirmation (safety rule 5), and a silence with no provider, region or instance is refused to agents and needs the operator's confirmation."
  static override examples = [
    {
      description: 'Nuremberg health alerts for 30 minutes during a Hetzner incident',
      command:
        '<%= config.bin %> silence add --provider hetzner --region nbg1 --event INSTANCE_DEGRADED --for 30m --reason "Hetzner nbg1 network incident"',
    },
    {
      description: 'One instance under maintenance, as Guardian',
      command:
        '<%= config.bin %> silence add --instance i-7k2m9x4q1d --for 2h --reason "disk resize" --as guardian --json',
    },
  ]
  static override flags = {
    ...mutationFlags,
    provider: Flags.string({ summary: 'Only events of this provider.' }),
    region: Flags.string({ summary: 'Only events of this region.' }),
    instance: Flags.string({ summary: 'Only events of this instance.' }),
    event: Flags.string({ summary: 'Only this event type, e.g. INSTANCE_DEGRADED.' }),
    for: Flags.string({ required: true, summary: 'How long: 30m, 2h, 1d (1 minute to 7 days).' }),
    reason: Flags.string({ required: true, summary: 'Why; shown to the agents and in reports.' }),
  }

  protected async execute(): Promise<Result> {
    const duration = ms(this.flags.for as ms.StringValue)
    if (typeof duration !== 'number' || !Number.isFinite(duration)) {
      throw new UserError('INVALID_INPUT', `cannot read --for "${this.flags.for}"`, {
        hint: 'Use 30m, 2h or 1d.',
      })
    }
    const [{ default: kind }, { EVENT_TYPES }] = await Promise.all([
      import('../../lib/silences/add.js'),
      import('../../lib/domain/event.js'),
    ])
    if (this.flags.event && !(EVENT_TYPES as readonly string[]).includes(this.flags.event)) {
      throw new UserError('INVALID_INPUT', `unknown event type ${this.flags.event}`, {
        hint: `One of: ${EVENT_TYPES.join(', ')}`,
      })
    }
    const r = await this.mutate(kind, {
      provider: this.flags.provider,
      region: this.flags.region,
      instance: this.flags.instance,
      eventType: this.flags.event,
      forSeconds: Math.round(duration / 1000),
      reason: this.flags.reason,
    })
    if (r.status === 'dry-run')
      return { status: r.status, planId: null, opId: null, silence: null, summary: r.plan.summary }
    return {
      status: r.status,
      planId: r.plan.id,
      opId: r.operation.id,
      silence: (r.operation.steps[0]?.result as Silence | undefined) ?? null,
      summary: r.plan.summary,
    }
  }

  protected render(r: Result): string {
    if (!r.silence) return `Plan: ${r.summary}\n`
    const s = r.silence
    return renderFields([
      ['Silence', s.id],
      ['Matches', [s.provider, s.region, s.instanceId, s.eventType].filter(Boolean).join(' / ')],
      ['Until', s.expiresAt],
      ['Reason', s.reason],
    ])
  }
}
