/**
 * Dispatches one `node.invoke.request` to its command and always comes back with a structured
 * outcome: unknown command, malformed params, a command that throws, runs past its deadline or
 * produces too much output each become an error result. Nothing a caller sends can crash the node.
 */
import type { z } from 'zod'
import { isClawnodeCommand, type NodeErrorCode } from '../../src/lib/gateway/node-commands.js'
import type { NodeContext } from './context.js'
import { NodeCommandError } from './errors.js'

/**
 * Per-invocation context. The command table itself is built once and shared by every node a process
 * hosts (a swarm has thousands), so everything node-specific arrives here.
 */
export interface CommandRunContext {
  node: NodeContext
  signal: AbortSignal
  /** Milliseconds left before the caller gives up; commands size their own child timeouts by it. */
  remainingMs(): number
}

export interface CommandSpec<S extends z.ZodType = z.ZodType> {
  name: string
  params: S
  /** Overrides the node's default time limit for this command. */
  timeoutMs?: number
  run(params: z.infer<S>, ctx: CommandRunContext): Promise<unknown>
}

/** Helps TypeScript infer the params type of one spec. */
export function defineCommand<S extends z.ZodType>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec
}

export type InvokeOutcome =
  | { ok: true; payloadJSON: string }
  | { ok: false; error: { code: NodeErrorCode; message: string } }

export interface RegistryOptions {
  defaultTimeoutMs: number
  maxOutputBytes: number
}

function fail(code: NodeErrorCode, message: string): InvokeOutcome {
  return { ok: false, error: { code, message: message.slice(0, 2_000) || code } }
}

export class CommandRegistry {
  private readonly specs = new Map<string, CommandSpec>()

  constructor(
    specs: readonly CommandSpec[],
    private readonly opts: RegistryOptions,
  ) {
    for (const s of specs) {
      if (!isClawnodeCommand(s.name)) throw new Error(`command ${s.name} is not in CLAWNODE_COMMANDS`)
      if (this.specs.has(s.name)) throw new Error(`command ${s.name} registered twice`)
      this.specs.set(s.name, s)
    }
  }

  names(): string[] {
    return [...this.specs.keys()]
  }

  async invoke(
    command: string,
    paramsJSON: string | null | undefined,
    opts: { node: NodeContext; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<InvokeOutcome> {
    const spec = this.specs.get(command)
    if (!spec) return fail('UNKNOWN_COMMAND', `unknown command: ${JSON.stringify(command.slice(0, 80))}`)

    let raw: unknown = {}
    if (paramsJSON !== null && paramsJSON !== undefined && paramsJSON !== '') {
      try {
        raw = JSON.parse(paramsJSON)
      } catch {
        return fail('INVALID_PARAMS', 'params are not valid JSON')
      }
    }
    if (raw === null) raw = {}
    const parsed = spec.params.safeParse(raw)
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`)
      return fail('INVALID_PARAMS', `invalid params for ${command}: ${issues.join('; ')}`)
    }

    // Leave the gateway a moment to carry the answer back before its own deadline passes.
    const callerMs = opts.timeoutMs && opts.timeoutMs > 0 ? Math.max(50, opts.timeoutMs - 250) : Infinity
    const limitMs = Math.min(spec.timeoutMs ?? this.opts.defaultTimeoutMs, callerMs)
    const deadline = Date.now() + limitMs
    const controller = new AbortController()
    const onAbort = () => controller.abort()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<InvokeOutcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort()
        resolve(fail('TIMEOUT', `${command} did not finish within ${limitMs} ms`))
      }, limitMs)
    })

    try {
      const run = (async (): Promise<InvokeOutcome> => {
        const result = await spec.run(parsed.data, {
          node: opts.node,
          signal: controller.signal,
          remainingMs: () => Math.max(0, deadline - Date.now()),
        })
        const payloadJSON = JSON.stringify(result ?? null)
        if (Buffer.byteLength(payloadJSON) > this.opts.maxOutputBytes) {
          return fail('OUTPUT_TOO_LARGE', `${command} result exceeds ${this.opts.maxOutputBytes} bytes`)
        }
        return { ok: true, payloadJSON }
      })().catch((err: unknown): InvokeOutcome => {
        if (err instanceof NodeCommandError) return fail(err.code, err.message)
        if (controller.signal.aborted) return fail('TIMEOUT', `${command} was cancelled`)
        return fail('INTERNAL', `${command} failed: ${err instanceof Error ? err.message : String(err)}`)
      })
      return await Promise.race([run, timedOut])
    } finally {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }
}
