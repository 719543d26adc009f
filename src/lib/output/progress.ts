/**
 * Progress of long operations: NDJSON events on stdout with `--stream` (before the final envelope),
 * an ora spinner on stderr when a human watches a terminal that has a size, and nothing otherwise.
 * The spinner starts with the first update (not while a plan is being made or a question asked) and
 * steps aside while the operator answers a question, so a prompt is never drawn over.
 */
import type { Ora } from 'ora'
import { writeJson } from './envelope.js'

export interface Progress {
  update(message: string, data?: Record<string, unknown>): void
  /** Stops drawing while `fn` runs (a question to the operator), then draws again if it was. */
  suspend<T>(fn: () => Promise<T>): Promise<T>
  stop(): void
}

export interface ProgressOptions {
  stream: boolean
  json: boolean
  /** The terminal a spinner would draw on (default stderr). */
  terminal?: Pick<NodeJS.WriteStream, 'isTTY' | 'columns' | 'write'>
  env?: NodeJS.ProcessEnv
}

/**
 * Whether a spinner may draw: a terminal (not a pipe or file), with a width (a pseudo-terminal nobody
 * sized reports 0 columns, and redrawing on it floods it with cursor codes), that can move the cursor.
 */
export function canAnimate(
  terminal: Pick<NodeJS.WriteStream, 'isTTY' | 'columns'>,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (terminal.isTTY !== true) return false
  if (!Number.isInteger(terminal.columns) || (terminal.columns ?? 0) < 1) return false
  if (env.TERM === 'dumb') return false
  return true
}

const silent: Progress = { update: () => {}, suspend: (fn) => fn(), stop: () => {} }

export async function createProgress(opts: ProgressOptions): Promise<Progress> {
  if (opts.stream) {
    return {
      update: (message, data) =>
        writeJson({ type: 'progress', ts: new Date().toISOString(), message, ...data }),
      suspend: (fn) => fn(),
      stop: () => {},
    }
  }
  const terminal = opts.terminal ?? process.stderr
  if (opts.json || !canAnimate(terminal, opts.env)) return silent
  const { default: ora } = await import('ora')
  let spinner: Ora | undefined
  let text = ''
  let stopped = false
  const draw = () => {
    // discardStdin off: ora's discarder puts the terminal in raw mode (Ctrl-C no longer raises SIGINT)
    // and, as it never starts reading stdin, swallows Ctrl-C altogether.
    spinner ??= ora({ stream: terminal as NodeJS.WriteStream, isEnabled: true, discardStdin: false })
    spinner.start(text)
  }
  return {
    update: (message) => {
      text = message
      if (stopped) return
      if (spinner?.isSpinning) spinner.text = message
      else draw()
    },
    suspend: async (fn) => {
      const was = spinner?.isSpinning === true
      if (was) spinner!.stop()
      try {
        return await fn()
      } finally {
        if (was && !stopped) draw()
      }
    },
    stop: () => {
      stopped = true
      spinner?.stop()
    },
  }
}
