/**
 * clawops' help (oclif's, configured as `oclif.helpClass`): every command is listed once (oclif takes
 * `provision` for a topic because `reprovision:` contains `provision:`), and no line is wider than the
 * help's width (80 columns off a terminal; oclif leaves a command's summary line unwrapped).
 */
import { type Command, Help, type Interfaces } from '@oclif/core'
import { wrap } from '../output/table.js'

export default class ClawopsHelp extends Help {
  /** Topics that really have commands under them. */
  protected override get sortedTopics(): Interfaces.Topic[] {
    return super.sortedTopics.filter((t) => this.config.commands.some((c) => c.id.startsWith(`${t.name}:`)))
  }

  /**
   * A root command that is also a topic (`watch`, with `watch status` under it) is listed once, as the
   * topic, whose description names the command too.
   */
  protected override get sortedCommands(): Command.Loadable[] {
    const topics = new Set(this.sortedTopics.map((t) => t.name))
    return super.sortedCommands.filter((c) => c.id.includes(':') || !topics.has(c.id))
  }

  protected override log(...args: string[]): void {
    const width = this.opts.maxWidth
    super.log(
      ...args.map((text) =>
        text
          .split('\n')
          .flatMap((line) => {
            if (line.length <= width) return [line]
            const indent = /^\s*/.exec(line)![0]
            return wrap(line.trimStart(), width - indent.length).map((l) => indent + l)
          })
          .join('\n'),
      ),
    )
  }
}
