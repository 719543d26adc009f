import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type LabStatus, labDown } from '../../lib/lab/lab.js'
import { renderLabStatus } from '../../lib/lab/render.js'

export default class LabDown extends ClawopsCommand<typeof LabDown, LabStatus> {
  static override summary = 'Stop the lab’s gateway, cloud and nodes; their state stays for the next lab up.'
  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --json']

  protected async execute(): Promise<LabStatus> {
    // Human-only (see command-rules.ts): refused to every agent here, not only by its exec allowlist.
    const engine = await this.engine()
    engine.permit(this.ctx, 'lab.manage')
    return labDown(this.ctx)
  }

  protected render(s: LabStatus): string {
    return renderLabStatus(s)
  }
}
