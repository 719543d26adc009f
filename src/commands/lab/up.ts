import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type LabStatus, labUp } from '../../lib/lab/lab.js'
import { renderLabStatus } from '../../lib/lab/render.js'

export default class LabUp extends ClawopsCommand<typeof LabUp, LabStatus> {
  static override summary =
    'Start the lab: a real OpenClaw gateway and the five provider APIs on loopback, in the background.'
  static override description =
    'Created servers boot real gf-clawnode processes from their cloud-init user data and join the gateway, as a VPS would. This home’s config is pointed at the lab (provider base URLs and credential files, gateway URL and token files); a home that configures a real gateway or real providers is refused. Idempotent; the lab’s state survives lab down and lab up.'
  static override examples = [
    '<%= config.bin %> lab up',
    {
      description: 'In a separate home, as JSON',
      command: 'CLAWOPS_HOME=~/.clawops-lab <%= config.bin %> lab up --json',
    },
    {
      description: 'A large fleet: virtual nodes, instant boots',
      command: '<%= config.bin %> lab up --driver clawnode-virtual --boot-seconds 0',
    },
  ]
  static override flags = {
    driver: Flags.option({
      options: ['clawnode', 'clawnode-virtual', 'instant'] as const,
      summary:
        'What a booting server runs: a gf-clawnode process (default), a virtual gf-clawnode in the lab process (large fleets), or nothing.',
    })(),
    'fleet-refresh': Flags.integer({
      min: 2,
      max: 3600,
      summary: "How often the gateway's Fleet tab reloads its snapshot, in seconds (default 30).",
    }),
    'boot-seconds': Flags.integer({
      min: 0,
      max: 600,
      summary: 'How long a server takes to boot (default 2).',
    }),
  }

  protected async execute(): Promise<LabStatus> {
    // Human-only (see command-rules.ts): refused to every agent here, not only by its exec allowlist.
    const engine = await this.engine()
    engine.permit(this.ctx, 'lab.manage')
    return labUp(this.ctx, {
      ...(this.flags.driver ? { driver: this.flags.driver } : {}),
      ...(this.flags['boot-seconds'] !== undefined ? { bootSeconds: this.flags['boot-seconds'] } : {}),
      ...(this.flags['fleet-refresh'] !== undefined
        ? { fleetRefreshSeconds: this.flags['fleet-refresh'] }
        : {}),
    })
  }

  protected render(s: LabStatus): string {
    return renderLabStatus(s)
  }
}
