/**
 * A step's input or result in words, for the Outcome column of human tables (JSON keeps the
 * structure). Pairs read as the user and each member with its role, instance, where it runs and
 * whether it is up; everything else as "key value" phrases: booleans as the word or "not" the word,
 * durations in ms or s, long hashes shortened, provider and region as one place.
 */

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** camelCase key → lower-case words: `archiveFrom` → `archive from`. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return /^[0-9a-f]{32,}$/i.test(v) ? `${v.slice(0, 12)}…` : v
  return String(v)
}

function where(o: Obj): string | undefined {
  return typeof o.provider === 'string' && typeof o.region === 'string'
    ? `${o.provider}/${o.region}`
    : undefined
}

function member(m: Obj): string {
  const up = m.active === true ? ' up' : m.active === false ? ' not healthy yet' : ''
  const state = typeof m.state === 'string' ? ` ${m.state}` : ''
  return [m.role, m.instanceId, where(m)].filter(Boolean).join(' ') + (state || up)
}

function change(c: Obj): string {
  const to = c.toTier ?? c.tier
  const tier = c.fromTier ? ` ${c.fromTier}${to ? ` → ${to}` : ''}` : ''
  const place = where(c) ? ` on ${where(c)}` : ''
  const how = c.strategy ? ` (${c.strategy}${c.newInstanceId ? `, new ${c.newInstanceId}` : ''})` : ''
  return `${c.instanceId ?? ''}${tier}${place}${how}`.trim()
}

const LIST_MAX = 5

function list(items: readonly unknown[]): string {
  const shown = items.slice(0, LIST_MAX).map((i) => (isObj(i) ? `(${describe(i)})` : scalar(i)))
  return items.length > LIST_MAX ? `${shown.join(', ')} … (${items.length} in all)` : shown.join(', ')
}

function phrase(key: string, value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) return value.length === 0 ? null : `${words(key)} ${list(value)}`
  if (isObj(value)) {
    const inner = describe(value)
    return inner === '' ? null : `${words(key)} (${inner})`
  }
  if (typeof value === 'boolean') return value ? words(key) : `not ${words(key)}`
  if (typeof value === 'number' && /Ms$|^ms$/.test(key)) {
    const name = words(key.replace(/Ms$/, ''))
    return key === 'ms' ? duration(value) : `${name} ${duration(value)}`
  }
  return `${words(key)} ${scalar(value)}`
}

/** Keys said once already by the pair form, or noise in a table cell. */
const SKIP = new Set(['pairId', 'labels', 'salt', 'provider', 'region'])

export function describe(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return list(value)
  if (!isObj(value)) return scalar(value)
  const parts: string[] = []
  if (typeof value.userId === 'string') parts.push(`user ${value.userId}`)
  if (typeof value.tier === 'string' && !Array.isArray(value.changes)) parts.push(value.tier)
  if (Array.isArray(value.members)) parts.push(value.members.filter(isObj).map(member).join(', '))
  if (Array.isArray(value.changes) && value.changes.every(isObj))
    parts.push((value.changes as Obj[]).map((c) => change({ tier: value.tier, ...c })).join(', '))
  const place = where(value)
  if (place) parts.push(place)
  const total = isObj(value.timings) ? value.timings.totalMs : undefined
  if (typeof total === 'number') parts.push(`in ${duration(total)}`)
  const handled = new Set([
    ...SKIP,
    'userId',
    'tier',
    'members',
    'changes',
    ...(total !== undefined ? ['timings'] : []),
  ])
  for (const [k, v] of Object.entries(value)) {
    if (handled.has(k)) continue
    const p = phrase(k, v)
    if (p) parts.push(p)
  }
  return parts.filter((p) => p !== '').join(', ')
}
