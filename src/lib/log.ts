/**
 * Logging through pino, never to stdout (stdout belongs to the command's result). Where logs go is
 * chosen by CLAWOPS_LOG: `file` (default, $CLAWOPS_HOME/logs/clawops.log), `stderr`, or `off`.
 * Secrets are redacted by key name wherever they appear in a logged object.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { SECRET_KEYS } from './redact.js'

export type { Logger }

const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k.toLowerCase()}`])

export interface LogOptions {
  home: string
  name?: string
  level?: string
  target?: string
}

export function createLogger(opts: LogOptions): Logger {
  const target = opts.target ?? process.env.CLAWOPS_LOG ?? 'file'
  const level = opts.level ?? process.env.CLAWOPS_LOG_LEVEL ?? 'info'
  const base = { name: opts.name ?? 'clawops', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }
  if (target === 'off') return pino({ ...base, enabled: false })
  if (target === 'stderr') return pino(base, pino.destination({ fd: 2, sync: true }))
  const dir = join(opts.home, 'logs')
  mkdirSync(dir, { recursive: true })
  return pino(
    base,
    pino.destination({ dest: join(dir, `${opts.name ?? 'clawops'}.log`), sync: true, mkdir: true }),
  )
}
