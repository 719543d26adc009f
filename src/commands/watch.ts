import { Flags } from '@oclif/core'
import ms from 'ms'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { UserError } from '../lib/errors.js'
import type { WatchResult } from '../lib/watch/run.js'

type Result = WatchResult | { mode: 'systemd'; unit: string }

export default class Watch extends ClawopsCommand<typeof Watch, Result> {
  static override summary =
    'The fleet health monitor: sweeps, real-time heartbeat loss, detectors, events into agent sessions.'
  static override description =
    "Every cycle (5 min; watch.intervalSeconds): a full health sweep, then PAIR_FAILED, PROVISION_QUEUE_BACKLOG, PROVIDER_DEGRADED (with the provider's status page and an incident), COST_ANOMALY, and the reprovision queue. Between cycles a node that disconnects from the gateway is probed within seconds. Events go into the agents' persistent sessions (clawops:<agent>) through the gateway's /hooks/agent, from a durable outbox: deduplicated, silences respected, rate-limited per agent, delivered exactly once across restarts. With --heal, watch runs the heal tree itself as Guardian and tells the agents what it did. It serves GET /healthz and signed webhooks (POST /webhooks/<source>) on --listen. SIGTERM stops it cleanly; --once runs one cycle for cron; --print-systemd prints a unit file. One watch leads a fleet (a lease in the store, renewed every 4 s): a second one is refused with CONFLICT, or with --standby waits hot and takes over within 12 s of the leader vanishing (at once when the leader was a process of the same host that died); clawops watch status names the leader and the standbys."
  static override examples = [
    { description: 'The daemon, healing on its own', command: '<%= config.bin %> watch --heal' },
    { description: 'One cycle from cron, as JSON', command: '<%= config.bin %> watch --once --json' },
    {
      description: 'Install as a systemd service',
      command:
        '<%= config.bin %> watch --heal --print-systemd | sudo tee /etc/systemd/system/clawops-watch.service',
    },
  ]
  static override flags = {
    heal: Flags.boolean({
      summary:
        'Run the heal tree (restart, fail over) for Guardian-level actions without waiting for an agent.',
    }),
    once: Flags.boolean({ summary: 'One sweep, the detectors and a delivery pass, then exit (cron).' }),
    interval: Flags.string({ summary: 'Time between full sweeps, e.g. 5m (default watch.intervalSeconds).' }),
    listen: Flags.string({
      summary: 'host:port of /healthz and the webhook receiver (default watch.listen, 127.0.0.1:18790).',
    }),
    'no-http': Flags.boolean({ summary: 'Serve neither /healthz nor webhooks.' }),
    standby: Flags.boolean({
      summary: 'When another watch leads this fleet, wait hot and take over once its lease lapses.',
      exclusive: ['once'],
    }),
    'print-systemd': Flags.boolean({ summary: 'Print a systemd unit for this checkout and home, and exit.' }),
    user: Flags.string({
      summary: 'With --print-systemd: the user the service runs as.',
      dependsOn: ['print-systemd'],
    }),
  }

  protected async execute(): Promise<Result> {
    if (this.flags['print-systemd']) {
      const { systemdUnit } = await import('../lib/watch/systemd.js')
      return {
        mode: 'systemd',
        unit: systemdUnit({
          home: this.ctx.home,
          heal: this.flags.heal,
          ...(this.flags.user ? { user: this.flags.user } : {}),
        }),
      }
    }
    let intervalMs: number | undefined
    if (this.flags.interval) {
      const v = ms(this.flags.interval as ms.StringValue)
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 10_000) {
        throw new UserError(
          'INVALID_INPUT',
          `--interval must be a duration of at least 10s, not "${this.flags.interval}"`,
        )
      }
      intervalMs = v
    }
    const { runWatch } = await import('../lib/watch/run.js')
    const stop = new AbortController()
    const onSignal = (sig: NodeJS.Signals) => stop.abort(sig)
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
    try {
      return await runWatch(this.ctx, await this.engine(), {
        heal: this.flags.heal,
        once: this.flags.once,
        listen: this.flags['no-http'] ? null : this.flags.listen,
        ...(intervalMs ? { intervalMs } : {}),
        standby: this.flags.standby,
        signal: stop.signal,
        onStandby: (leader) => {
          if (!this.ctx.json)
            process.stderr.write(
              `clawops watch standing by: ${leader.holder} leads (lease until ${leader.until})\n`,
            )
        },
        onReady: ({ url }) => {
          // Humans get a line on stderr; stdout carries only the final result.
          if (!this.ctx.json)
            process.stderr.write(
              `clawops watch running${url ? ` (${url}/healthz)` : ''}; SIGTERM or Ctrl-C stops it\n`,
            )
        },
      })
    } finally {
      process.removeListener('SIGTERM', onSignal)
      process.removeListener('SIGINT', onSignal)
    }
  }

  /** The daemon keeps its gateway links reconnecting; a cron cycle does not. */
  protected override contextOptions() {
    return { daemon: !this.flags.once && !this.flags['print-systemd'] }
  }

  protected render(r: Result): string {
    if (r.mode === 'systemd') return r.unit
    if (r.mode === 'once') {
      const sweep =
        'skipped' in r.sweep
          ? `sweep skipped (${r.sweep.skipped})`
          : `swept ${r.sweep.swept}, ${r.sweep.transitions.length} state change(s)`
      return `${sweep}; ${r.pairsFailed} pair(s) without an ACTIVE member; queue ${r.backlog}; providers degraded: ${r.providers.degraded.join(', ') || 'none'}; heals: ${r.heals.map((h) => `${h.instanceId} ${h.outcome}`).join(', ') || 'none'}${r.healStorms.length ? `; heals held back past the restart budget: ${r.healStorms.map((x) => `${x.scope} (${x.held.length})`).join(', ')}` : ''}; delivered ${r.delivery.events} event(s) in ${r.delivery.deliveries} delivery(ies)${r.delivery.failed.length ? `; ${r.delivery.failed.length} delivery attempt(s) failed: ${r.delivery.failed[0]!.error}` : ''}\n`
    }
    if (r.mode === 'standby') return `watch stopped (${r.stoppedBy}) while standing by; it never led\n`
    return `watch stopped (${r.stoppedBy}) after ${r.cycles} cycle(s): ${r.eventsDelivered} event(s) delivered, ${r.heals} heal(s), ${r.realtimeChecks} real-time check(s)\n`
  }
}
