/**
 * Ctrl-C during a long command. The operations executor stops a journaled operation at its first
 * SIGINT (no new step starts; the steps in flight finish and are journaled; the operation reports
 * INTERRUPTED with the `ops resume` command). This guard tells the person what is happening and makes
 * a second Ctrl-C stop at once: the steps in flight are cut short as a crash would cut them, which
 * `clawops ops resume` is built to continue. Where nothing else handles SIGINT (a sweep, or a plan
 * still being made) the first Ctrl-C stops at once; nothing is half-written in the store either way
 * (every store write is one transaction).
 */
import { failure, writeJson } from '../output/envelope.js'
import { formatError } from './human.js'

export interface InterruptGuard {
  dispose(): void
}

export interface InterruptOptions {
  json: boolean
  /** Called before the process exits on a hard stop (the spinner gives the cursor back). */
  beforeExit?: () => void
  write?: (text: string) => void
  exit?: (code: number) => void
  /** Where SIGINT is heard (the process; a test passes its own emitter). */
  signals?: NodeJS.EventEmitter
}

export function guardInterrupts(o: InterruptOptions): InterruptGuard {
  const write = o.write ?? ((t: string) => process.stderr.write(t))
  const exit = o.exit ?? ((code: number) => process.exit(code))
  const signals = o.signals ?? process
  let presses = 0
  const stopNow = (message: string) => {
    o.beforeExit?.()
    const body = {
      code: 'INTERRUPTED' as const,
      message,
      hint: 'An operation left unfinished continues with clawops ops resume (clawops ops list shows it).',
    }
    if (o.json) writeJson(failure(body))
    else write(`\n${formatError(body)}`)
    exit(130)
  }
  const onSigint = () => {
    presses++
    // Listeners run in the order they were added; ours comes first, so anything else still listening
    // (the executor, for the operation in flight) is about to stop it gracefully.
    const othersHandle = signals.listenerCount('SIGINT') > 1
    if (presses === 1 && othersHandle) {
      if (!o.json)
        write(
          '\nInterrupted: no new step starts; the steps in flight finish and are journaled. Press Ctrl-C again to stop at once.\n',
        )
      return
    }
    stopNow(presses === 1 ? 'interrupted' : 'interrupted again: stopped at once, steps in flight cut short')
  }
  signals.on('SIGINT', onSigint)
  return { dispose: () => signals.removeListener('SIGINT', onSigint) }
}
