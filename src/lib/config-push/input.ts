/**
 * Reads the document of `clawops config push` from the one flag that names it (--merge, --patch or
 * --file): a path, or `-` for stdin. The content must be JSON; its shape is checked by parseDocument.
 */
import { readFileSync } from 'node:fs'
import { UserError } from '../errors.js'
import type { DocumentFormat } from './document.js'

export function readDocument(flags: { merge?: string; patch?: string; file?: string }): {
  format: DocumentFormat
  document: unknown
  source: string
} {
  const given = (['merge', 'patch', 'file'] as const).filter((k) => flags[k] !== undefined)
  if (given.length !== 1) {
    throw new UserError(
      'INVALID_INPUT',
      given.length ? 'give only one of --merge, --patch, --file' : 'nothing to push',
      {
        hint: 'clawops config push --merge kimi.json (RFC 7386), --patch ops.json (RFC 6902) or --file openclaw.json (a full config).',
      },
    )
  }
  const key = given[0]!
  const source = flags[key]!
  let text: string
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8')
  } catch (err) {
    throw new UserError(
      'INVALID_INPUT',
      `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (err) {
    throw new UserError(
      'INVALID_INPUT',
      `${source === '-' ? 'stdin' : source} is not JSON: ${(err as Error).message.split('\n')[0]}`,
    )
  }
  return { format: key === 'file' ? 'full' : key, document, source }
}
