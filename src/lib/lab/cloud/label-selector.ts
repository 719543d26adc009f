/**
 * Hetzner label selectors (docs.hetzner.cloud, "Label Selector"): `k==v` or `k=v`, `k!=v`, `k`
 * (exists), `!k` (absent), `k in (a,b)`, `k notin (a,b)`; a comma outside parentheses means AND.
 */

type Labels = Record<string, string>
type Predicate = (labels: Labels) => boolean

/** A predicate for the selector; null when it does not parse (Hetzner answers invalid_input). */
export function parseSelector(raw: string | null): Predicate | null {
  if (raw === null || raw.trim() === '') return () => true
  const terms: Predicate[] = []
  for (const part of splitTerms(raw)) {
    const term = parseTerm(part.trim())
    if (!term) return null
    terms.push(term)
  }
  return (l) => terms.every((t) => t(l))
}

function splitTerms(raw: string): string[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of raw) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  return parts
}

function parseTerm(part: string): Predicate | null {
  const eq = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(part)
  if (eq) {
    const [, k, v] = eq as unknown as [string, string, string]
    return (l) => l[k] === v
  }
  const ne = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(part)
  if (ne) {
    const [, k, v] = ne as unknown as [string, string, string]
    return (l) => l[k] !== v
  }
  const set = /^([^!=\s]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part)
  if (set) {
    const [, k, op, list] = set as unknown as [string, string, string, string]
    const values = list.split(',').map((v) => v.trim())
    if (op === 'in') return (l) => l[k] !== undefined && values.includes(l[k])
    return (l) => !values.includes(l[k] ?? '')
  }
  const absent = /^!([^!=\s]+)$/.exec(part)
  if (absent) {
    const k = absent[1]!
    return (l) => !(k in l)
  }
  const exists = /^([^!=\s()]+)$/.exec(part)
  if (exists) {
    const k = exists[1]!
    return (l) => k in l
  }
  return null
}
