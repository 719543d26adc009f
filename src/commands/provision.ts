import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { mutationFlags } from '../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../lib/cli/render-operation.js'
import { PROVIDERS, REGION_GROUPS } from '../lib/domain/provider.js'
import { TIERS } from '../lib/domain/tier.js'
import { UserError } from '../lib/errors.js'

interface Result extends OperationResult {
  pairs: { pairId: string; userId: string; totalMs: number }[]
  fastestMs: number | null
  slowestMs: number | null
}

function labelsOf(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const l of list ?? []) {
    const m = /^([^=]+)=(.*)$/.exec(l)
    if (!m) throw new UserError('INVALID_INPUT', `--label ${l}: use key=value`)
    out[m[1]!] = m[2]!
  }
  return out
}

export default class Provision extends ClawopsCommand<typeof Provision, Result> {
  static override summary =
    'Create user pairs: a primary and a standby on another provider, booted, joined and healthy.'
  static override description =
    'Plans first (pairs, providers and regions from the routing pools unless named, monthly cost delta); more than 10 users needs a confirmation (--confirm <planId>). Pairs are created in parallel with live progress; each pair is one journaled step, so an interrupted run resumes with clawops ops resume and never creates a second server. On completion a signed webhook goes to COMPANION (companion.webhookUrl).'
  static override examples = [
    {
      description: '20 standard pairs in the EU, Hetzner primary, Vultr standby',
      command:
        '<%= config.bin %> provision --count 20 --tier standard --region eu --primary hetzner --standby vultr',
    },
    {
      description: 'Providers from the routing pools; review the plan first',
      command: '<%= config.bin %> provision --count 3 --tier nano --region us --dry-run',
    },
    {
      description: 'Named users, streaming progress as NDJSON',
      command:
        '<%= config.bin %> provision --count 2 --tier pro --region eu --users u-ana,u-ben --json --stream',
    },
  ]
  static override flags = {
    count: Flags.integer({ required: true, min: 1, max: 1000, summary: 'How many pairs.' }),
    tier: Flags.option({ options: TIERS, required: true, summary: 'Instance size.' })(),
    region: Flags.option({
      options: REGION_GROUPS,
      required: true,
      summary: 'Region group: eu, us or ap.',
    })(),
    primary: Flags.option({ options: PROVIDERS, summary: 'Primary provider (default: the routing pool).' })(),
    standby: Flags.option({
      options: PROVIDERS,
      summary: 'Standby provider (default: the routing pool; never the primary’s).',
    })(),
    users: Flags.string({ summary: 'Comma-separated user ids, one per pair (default: generated).' }),
    label: Flags.string({
      multiple: true,
      summary: 'Label every pair and instance: key=value.',
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<Result> {
    const f = this.flags
    const { default: kind } = await import('../lib/lifecycle/provision.js')
    const r = await this.mutate(kind, {
      count: f.count,
      tier: f.tier,
      group: f.region,
      ...(f.primary ? { primary: f.primary } : {}),
      ...(f.standby ? { standby: f.standby } : {}),
      ...(f.users ? { users: f.users.split(',').map((u) => u.trim()) } : {}),
      labels: labelsOf(f.label),
    })
    const base = operationResult(r)
    const pairs = base.steps
      .filter((s) => s.name === 'pair' && s.state === 'done')
      .map((s) => {
        const res = s.result as { pairId: string; userId: string; timings: { totalMs: number } }
        return { pairId: res.pairId, userId: res.userId, totalMs: res.timings.totalMs }
      })
    const times = pairs.map((p) => p.totalMs)
    return {
      ...base,
      pairs,
      fastestMs: times.length ? Math.min(...times) : null,
      slowestMs: times.length ? Math.max(...times) : null,
    }
  }

  protected render(r: Result): string {
    const timing =
      r.fastestMs === null
        ? ''
        : `Fastest pair ${(r.fastestMs / 1000).toFixed(1)} s, slowest ${((r.slowestMs ?? 0) / 1000).toFixed(1)} s.\n`
    return renderOperation(r) + timing
  }
}
