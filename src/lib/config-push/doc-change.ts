/** A document's changes as plans, versions and tables show them (no parsing libraries: read-only commands load this). */
import type { Json } from '../gateway/config-diff.js'

/** One change the document makes, read from the document alone (values redacted). */
export interface DocChange {
  op: 'set' | 'remove' | 'add' | 'replace' | 'move' | 'copy' | 'test'
  path: string
  value?: Json
  from?: string
}

/** One line per change, for plans and tables: `agents.defaults.model.primary = "moonshot/kimi-k2.5"`. */
export function formatDocChange(c: DocChange): string {
  const v =
    c.value === undefined
      ? ''
      : typeof c.value === 'string'
        ? JSON.stringify(c.value)
        : JSON.stringify(c.value)
  switch (c.op) {
    case 'remove':
      return `remove ${c.path}`
    case 'move':
    case 'copy':
      return `${c.op} ${c.from} → ${c.path}`
    case 'test':
      return `require ${c.path} = ${v}`
    case 'replace':
      return c.path === '(root)' ? `replace ${c.value}` : `${c.path} = ${v}`
    default:
      return `${c.path} = ${v}`
  }
}
