import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type LabStatus, labStatus } from '../../lib/lab/lab.js'
import { renderLabStatus } from '../../lib/lab/render.js'

export default class LabStatusCommand extends ClawopsCommand<typeof LabStatusCommand, LabStatus> {
  static override summary =
    'Whether the lab’s gateway and cloud run, and how many servers each provider holds.'
  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --json']

  protected async execute(): Promise<LabStatus> {
    return labStatus(this.ctx)
  }

  protected render(s: LabStatus): string {
    return renderLabStatus(s)
  }
}
