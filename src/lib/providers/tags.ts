/**
 * clawops labels (k=v) on providers that only have string tags (DigitalOcean, Vultr). DigitalOcean
 * tags must match ^[a-zA-Z0-9_\-:]+$, so neither `=` nor the `/` and `.` of label keys can appear.
 * Encoding: `clawops:<key>:<value>`, where a key in the `clawops/` namespace drops that prefix and
 * any other key is marked with a leading `_x`; inside key and value `_` → `__`, `.` → `_d`, `/` → `_s`.
 * Labels contain no `:` (see domain/labels.ts), so the last `:` splits key from value, and the
 * escapes decode unambiguously. Example: clawops/role=primary ⇄ clawops:role:primary.
 */
import { LABEL_KEY, LABEL_VALUE, type Labels } from '../domain/labels.js'

const PREFIX = 'clawops:'
const NAMESPACE = 'clawops/'

function escapePart(s: string): string {
  return s.replace(/_/g, '__').replace(/\./g, '_d').replace(/\//g, '_s')
}

function unescapePart(s: string): string | null {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c !== '_') {
      out += c
      continue
    }
    const n = s[++i]
    if (n === '_') out += '_'
    else if (n === 'd') out += '.'
    else if (n === 's') out += '/'
    else return null
  }
  return out
}

export function labelToTag(key: string, value: string): string {
  const k = key.startsWith(NAMESPACE) ? escapePart(key.slice(NAMESPACE.length)) : `_x${escapePart(key)}`
  return `${PREFIX}${k}:${escapePart(value)}`
}

/** The label a tag encodes, or null for tags clawops did not write. */
export function tagToLabel(tag: string): [string, string] | null {
  if (!tag.startsWith(PREFIX)) return null
  const rest = tag.slice(PREFIX.length)
  const sep = rest.lastIndexOf(':')
  if (sep <= 0) return null
  const rawKey = rest.slice(0, sep)
  const foreign = rawKey.startsWith('_x')
  const key = unescapePart(foreign ? rawKey.slice(2) : rawKey)
  const value = unescapePart(rest.slice(sep + 1))
  if (key === null || value === null) return null
  const fullKey = foreign ? key : NAMESPACE + key
  if (!LABEL_KEY.test(fullKey) || !LABEL_VALUE.test(value)) return null
  return [fullKey, value]
}

export function labelsToTags(labels: Labels): string[] {
  return Object.entries(labels).map(([k, v]) => labelToTag(k, v))
}

/** Decodes the clawops tags among `tags`; other tags are ignored. */
export function tagsToLabels(tags: readonly string[]): Labels {
  const out: Labels = {}
  for (const t of tags) {
    const kv = tagToLabel(t)
    if (kv) out[kv[0]] = kv[1]
  }
  return out
}

export function matchesLabels(have: Labels, want: Labels | undefined): boolean {
  if (!want) return true
  return Object.entries(want).every(([k, v]) => have[k] === v)
}

/** Hetzner label selector for an equality match on every label (k8s-style, comma = AND). */
export function labelSelector(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}==${v}`)
    .join(',')
}
