import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class AgentsInstall extends ClawopsCommand<typeof AgentsInstall, OperationResult> {
  static override summary =
    'Install the agent team (Commander, Forge, Guardian, Ledger, Triage, Briefer) on the operator’s OpenClaw gateway.'
  static override description =
    "Writes what the gateway needs, idempotently: per-agent workspaces with their soul files and skills; agents.entries with tool allow-lists, exec on the gateway host and each agent's own clawops wrapper (actor and home pinned); an exec allowlist per agent generated from the role table (Triage read-only, Guardian heal/restart/failover and no teardown, Ledger reads and plans, no --confirm for anyone: Commander's --confirm goes to the operator's approval); agent-to-agent messaging among the team; the hooks section clawops watch delivers to; cron jobs (Guardian's 5-minute sweep and hourly report, Ledger every 6 hours, the 07:00 UTC daily briefing, Monday's weekly and the monthly capacity report); the operator channel restricted to agents.operatorNumbers and routed to Commander; the clawops plugin (the clawops.fleet-status RPC and the Control UI's Fleet tab at <gateway>/fleet, reading this clawops home). A second run changes nothing. --dry-run shows the diff."
  static override examples = [
    { description: 'Preview every change', command: '<%= config.bin %> agents install --dry-run' },
    '<%= config.bin %> agents install --json',
    {
      description: 'A stopped gateway: its config file now, approvals and cron jobs on the next run',
      command: '<%= config.bin %> agents install --file ~/.openclaw/openclaw.json',
    },
  ]
  static override flags = {
    file: Flags.string({
      summary:
        "The gateway's config file (strict JSON), for a gateway that is not running; approvals and cron jobs wait for a run against the running gateway.",
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../../lib/agents/install.js')
    const r = await this.mutate(kind, this.flags.file ? { file: this.flags.file } : {})
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
