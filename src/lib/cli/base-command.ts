/**
 * The base of every clawops command (the SfCommand idea): it parses the shared flags, builds the
 * injected Context, and owns the output contract. A command implements `execute()` (a thin call into
 * src/lib) returning its typed result, and `render()` for humans. In JSON mode stdout receives exactly
 * one envelope; errors map to one stable code and exit code in both modes; nothing ever prompts when
 * stdin is not a TTY.
 */
import { Command, type Interfaces } from '@oclif/core'
import { Context, type ContextOptions, type OutputFormat } from '../context.js'
import type { Engine } from '../engine/engine.js'
import type { OperationKind } from '../engine/kind.js'
import type { MutationResult } from '../engine/types.js'
import { exitCodeFor } from '../errors.js'
import { failure, success, writeJson } from '../output/envelope.js'
import { requestedFormat } from '../output/mode.js'
import { createProgress, type Progress } from '../output/progress.js'
import { isCorruption, markDamaged } from '../store/integrity.js'
import { classify } from './classify.js'
import { globalFlags } from './flags.js'
import { formatError, formatWarning } from './human.js'
import { guardInterrupts } from './interrupt.js'
import { type CommandSpec, explainParseError } from './parse-errors.js'
import { askYesNo, canPrompt, planPrompt } from './prompt.js'

export type FlagsOf<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof ClawopsCommand)['baseFlags'] & T['flags']
>
export type ArgsOf<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

export abstract class ClawopsCommand<T extends typeof Command, R> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = globalFlags

  protected flags!: FlagsOf<T>
  protected args!: ArgsOf<T>
  protected ctx!: Context
  private contextRef?: Context
  private activeProgress?: Progress

  /** Options a command adds to its Context (watch: a long-lived process). */
  protected contextOptions(): Partial<ContextOptions> {
    return {}
  }

  /** The use case: parse nothing, decide nothing; call into src/lib and return the typed result. */
  protected abstract execute(): Promise<R>

  /** Human rendering of the result (tables, lines); JSON mode never calls it. */
  protected abstract render(result: R): string

  override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof ClawopsCommand & T
    const { flags, args } = await this.parse({
      flags: ctor.flags,
      baseFlags: ClawopsCommand.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as FlagsOf<T>
    this.args = args as ArgsOf<T>
    const format: OutputFormat = this.flags.json
      ? 'json'
      : (this.flags.output ?? requestedFormat([], process.env) ?? 'table')
    this.ctx = await Context.create({
      ...this.contextOptions(),
      actor: this.flags.as,
      format,
      stream: Boolean((this.flags as { stream?: boolean }).stream) && format === 'json',
    })
    this.contextRef = this.ctx
  }

  override async run(): Promise<R> {
    const result = await this.execute()
    if (!this.jsonEnabled()) {
      process.stdout.write(this.render(result))
      for (const w of this.ctx.warnings) process.stderr.write(formatWarning(w))
    }
    return result
  }

  /**
   * A list's footer ("showing 50 of 3,403 …"): under the table on a terminal; a warning on stderr when
   * stdout is a pipe, so the piped rows stay rows.
   */
  protected footer(text: string): string {
    if (!text) return ''
    if (process.stdout.isTTY) return `${text}\n`
    this.ctx.warnings.push(text)
    return ''
  }

  override jsonEnabled(): boolean {
    if (this.contextRef) return this.contextRef.json
    return requestedFormat(this.argv) === 'json'
  }

  protected override toSuccessJson(result: unknown): unknown {
    return success(result, this.ctx.warnings)
  }

  protected override logJson(json: unknown): void {
    writeJson(json)
  }

  override async catch(err: Error & { exitCode?: number }): Promise<void> {
    const body = explainParseError(err, this.spec()) ?? classify(err)
    // A read that met a damaged page: remember it, so no later command trusts the store either.
    if (this.contextRef && isCorruption(err)) markDamaged(this.contextRef.storePath, err.message)
    process.exitCode = exitCodeFor(body.code)
    if (body.code === 'INTERNAL') {
      try {
        ;(await this.contextRef?.logger())?.error({ err }, 'internal error')
      } catch {
        // Logging must never hide the error itself.
      }
    }
    if (this.jsonEnabled()) writeJson(failure(body, this.contextRef?.warnings ?? []))
    else {
      for (const w of this.contextRef?.warnings ?? []) process.stderr.write(formatWarning(w))
      process.stderr.write(formatError(body))
    }
  }

  /** This command as the parse-error explainer sees it: id, flags, args, examples. */
  private spec(): CommandSpec {
    const ctor = this.ctor as typeof ClawopsCommand & T
    return {
      id: this.id ?? ctor.id,
      flags: { ...ClawopsCommand.baseFlags, ...ctor.flags } as CommandSpec['flags'],
      args: ctor.args as CommandSpec['args'],
      examples: ctor.examples as CommandSpec['examples'],
    }
  }

  override async finally(err: Error | undefined): Promise<void> {
    await this.contextRef?.dispose()
    await super.finally(err)
  }

  private engineInstance?: Engine

  /** The engine, with every operation kind clawops knows; every change a command makes goes through it. */
  protected async engine(): Promise<Engine> {
    if (!this.engineInstance) {
      const [{ Engine }, { productionKinds }] = await Promise.all([
        import('../engine/engine.js'),
        import('../kinds.js'),
      ])
      this.engineInstance = new Engine(productionKinds())
    }
    return this.engineInstance
  }

  /**
   * Progress for long operations: NDJSON with --stream, a spinner on a sized terminal, else silent;
   * while it lasts, Ctrl-C is explained and a second one stops at once (see interrupt.ts).
   */
  protected async progress(): Promise<Progress> {
    const progress = await createProgress({ stream: this.ctx.stream, json: this.ctx.json })
    const guard = guardInterrupts({ json: this.ctx.json, beforeExit: () => progress.stop() })
    const tracked: Progress = {
      update: (m, d) => progress.update(m, d),
      suspend: (fn) => progress.suspend(fn),
      stop: () => {
        guard.dispose()
        progress.stop()
        if (this.activeProgress === tracked) this.activeProgress = undefined
      },
    }
    this.activeProgress = tracked
    return tracked
  }

  /**
   * A prompt for the human operator when one can answer, for the confirmation step of a plan. The
   * spinner of the command's progress steps aside while the question waits for an answer.
   */
  protected humanPrompt(): ((question: string) => Promise<boolean>) | undefined {
    if (this.ctx.json || !canPrompt()) return undefined
    return (question) => {
      const progress = this.activeProgress
      return progress ? progress.suspend(() => askYesNo(question)) : askYesNo(question)
    }
  }

  /**
   * Runs a mutating operation kind through the engine with the shared flags (--dry-run, --confirm,
   * --yes, --stream) and progress, and turns a failed or partial operation into the error of its
   * failed step.
   */
  protected async mutate<P>(kind: OperationKind<P>, params: unknown): Promise<MutationResult> {
    const f = this.flags as { 'dry-run'?: boolean; confirm?: string; yes?: boolean }
    const [engine, { throwIfFailed }] = await Promise.all([this.engine(), import('../engine/step-errors.js')])
    const progress = await this.progress()
    try {
      const r = await engine.mutate(this.ctx, kind, params, {
        dryRun: f['dry-run'],
        confirm: f.confirm,
        yes: f.yes,
        prompt: planPrompt(this.humanPrompt()),
        onProgress: (m, d) => progress.update(m, d),
      })
      throwIfFailed(r)
      return r
    } finally {
      progress.stop()
    }
  }
}
