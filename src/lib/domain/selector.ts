/**
 * Label selectors in the Hetzner/Kubernetes syntax, evaluated client-side: `k=v` (or `k==v`),
 * `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; a comma means AND. Besides an instance's labels,
 * the fields provider, region, tier, role, state, user and pair can be selected on.
 */
import { UserError } from '../errors.js'
import { REGIONS } from './catalog.js'
import { INSTANCE_STATES, ROLES } from './instance.js'
import { PROVIDERS } from './provider.js'
import { TIERS } from './tier.js'

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

/**
 * The values a field can take. `tier=huge` or `state=FOO` match nothing ever, which is a typo, not an
 * empty fleet: it is refused with the accepted values.
 */
export const FIELD_VALUES: Readonly<Record<string, readonly string[]>> = {
  provider: PROVIDERS,
  region: [...new Set(REGIONS.map((r) => r.code))],
  tier: TIERS,
  role: ROLES,
  state: INSTANCE_STATES,
}

/** Refuses a value no instance can have in an enumerated field (`--region`, `-l tier=…`). */
export function checkFieldValue(key: string, value: string, shown = `${key}=${value}`): void {
  const accepted = FIELD_VALUES[key]
  if (!accepted || accepted.includes(value)) return
  const folded = accepted.find((a) => a.toLowerCase() === value.toLowerCase())
  throw new UserError(
    'INVALID_INPUT',
    `no ${key} "${value}" (in ${shown}); ${key} is one of: ${accepted.join(', ')}`,
    {
      hint: (() => {
        const as = (v: string) => (shown.startsWith('--') ? `--${key} ${v}` : `${key}=${v}`)
        return folded ? `Values are case-sensitive: ${as(folded)}.` : `For example: ${as(accepted[0]!)}`
      })(),
      details: { field: key, got: value, accepted },
    },
  )
}

export function parseSelector(selector: string): Selector {
  if (selector.trim() === '') return []
  const sel = splitTerms(selector).map((term): Requirement => {
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
  for (const r of sel) {
    if (r.op === 'eq' || r.op === 'neq') checkFieldValue(r.key, r.value, selector)
    if (r.op === 'in' || r.op === 'notin') for (const v of r.values) checkFieldValue(r.key, v, selector)
  }
  return sel
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
