/**
 * Progress of long operations: NDJSON events on stdout with `--stream` (before the final envelope),
 * an ora spinner on stderr when a human watches a terminal, and nothing otherwise.
 */
import type { Ora } from 'ora'
import { writeJson } from './envelope.js'

export interface Progress {
  update(message: string, data?: Record<string, unknown>): void
  stop(): void
}

export interface ProgressOptions {
  stream: boolean
  json: boolean
  tty?: boolean
}

export async function createProgress(opts: ProgressOptions): Promise<Progress> {
  if (opts.stream) {
    return {
      update: (message, data) =>
        writeJson({ type: 'progress', ts: new Date().toISOString(), message, ...data }),
      stop: () => {},
    }
  }
  const tty = opts.tty ?? process.stderr.isTTY === true
  if (opts.json || !tty) return { update: () => {}, stop: () => {} }
  const { default: ora } = await import('ora')
  const spinner: Ora = ora({ stream: process.stderr }).start()
  return {
    update: (message) => {
      spinner.text = message
    },
    stop: () => spinner.stop(),
  }
}
