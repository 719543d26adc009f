/**
 * Label selectors in the Hetzner/Kubernetes syntax, evaluated client-side: `k=v` (or `k==v`),
 * `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; a comma means AND. Besides an instance's labels,
 * the fields provider, region, tier, role, state, user and pair can be selected on.
 */
import { UserError } from '../errors.js'

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' }

export type Selector = Requirement[]

const KEY = /^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$/i
const VALUE = /^[a-z0-9._-]*$/i

function bad(selector: string, why: string): UserError {
  return new UserError('INVALID_INPUT', `bad selector "${selector}": ${why}`, {
    hint: 'Selectors look like: provider=hetzner,state!=ACTIVE,region in (nbg1,fsn1),!lab',
  })
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out.map((t) => t.trim())
}

export function parseSelector(selector: string): Selector {
  if (selector.trim() === '') return []
  return splitTerms(selector).map((term): Requirement => {
    if (term === '') throw bad(selector, 'empty term')
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term)
    if (set) {
      const [, key, op, list] = set as unknown as [string, string, 'in' | 'notin', string]
      const values = list.split(',').map((v) => v.trim())
      if (!KEY.test(key)) throw bad(selector, `"${key}" is not a label key`)
      if (values.some((v) => !VALUE.test(v))) throw bad(selector, `bad value in "${term}"`)
      return { key, op, values }
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(term)
    if (cmp) {
      const [, key, op, value] = cmp as unknown as [string, string, string, string]
      if (!KEY.test(key)) throw bad(selector, `"${key}" is not a label key`)
      if (!VALUE.test(value)) throw bad(selector, `"${value}" is not a label value`)
      return { key, op: op === '!=' ? 'neq' : 'eq', value }
    }
    const absent = /^!\s*(\S+)$/.exec(term)
    if (absent) {
      if (!KEY.test(absent[1]!)) throw bad(selector, `"${absent[1]}" is not a label key`)
      return { key: absent[1]!, op: 'absent' }
    }
    if (KEY.test(term)) return { key: term, op: 'exists' }
    throw bad(selector, `cannot read "${term}"`)
  })
}

export function matches(sel: Selector, labels: Readonly<Record<string, string>>): boolean {
  return sel.every((r) => {
    const v = labels[r.key]
    switch (r.op) {
      case 'eq':
        return v === r.value
      case 'neq':
        return v !== r.value
      case 'in':
        return v !== undefined && r.values.includes(v)
      case 'notin':
        return v === undefined || !r.values.includes(v)
      case 'exists':
        return v !== undefined
      case 'absent':
        return v === undefined
      default:
        return false
    }
  })
}

/** The labels an instance is selected by: its own labels plus its fields. */
export function selectableLabels(i: {
  labels: Readonly<Record<string, string>>
  provider: string
  region: string
  tier: string
  role: string
  state: string
  userId: string
  pairId: string
}): Record<string, string> {
  return {
    ...i.labels,
    provider: i.provider,
    region: i.region,
    tier: i.tier,
    role: i.role,
    state: i.state,
    user: i.userId,
    pair: i.pairId,
  }
}
