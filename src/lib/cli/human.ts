/** Human-mode error and warning lines, on stderr. */
import type { ErrorBody } from '../errors.js'
import { paint } from '../output/style.js'

export function formatError(body: ErrorBody): string {
  const lines = [`${paint('red', 'Error', process.stderr)} (${body.code}): ${body.message}`]
  if (body.hint) lines.push(`${paint('dim', 'Hint:', process.stderr)} ${body.hint}`)
  return `${lines.join('\n')}\n`
}

export function formatWarning(message: string): string {
  return `${paint('yellow', 'Warning:', process.stderr)} ${message}\n`
}
