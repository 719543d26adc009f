/**
 * Turns anything a command throws into the error body of the contract. oclif's own parse errors
 * become INVALID_INPUT with just their message (oclif would dump its whole config in JSON mode).
 */
import { type ErrorBody, toErrorBody, UserError } from '../errors.js'
import { isCorruption } from '../store/integrity.js'

interface OclifLikeError {
  message?: string
  oclif?: { exit?: number }
  parse?: unknown
  code?: string
}

export function classify(err: unknown): ErrorBody {
  if (err instanceof UserError) return err.toBody()
  const e = err as OclifLikeError
  if (isCorruption(err)) {
    return {
      code: 'STORE_CORRUPT',
      message: `the fleet database is damaged: ${e.message}`,
      hint: 'Restore it from a backup (clawops store restore <file>); nothing was written.',
    }
  }
  if (e && typeof e.message === 'string' && /^command .+ not found$/.test(e.message)) {
    return { code: 'INVALID_INPUT', message: e.message, hint: 'Run clawops --help for the list of commands.' }
  }
  if (e && (e.parse !== undefined || e.oclif?.exit === 2)) {
    const message = (e.message ?? 'invalid arguments').split('\n')[0]!.trim()
    return { code: 'INVALID_INPUT', message, hint: 'See the command help with --help.' }
  }
  return toErrorBody(err)
}
