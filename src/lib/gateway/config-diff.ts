/**
 * JSON config helpers shared by `clawops gateway setup` and gf-clawnode's config.* commands:
 * secret redaction by key name and a leaf-level diff whose values are already redacted, so a diff
 * can be printed or sent over the gateway without carrying a token.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

export const REDACTED = '[redacted]'
/** Values OpenClaw's own config.get already replaced. */
export const OPENCLAW_REDACTED = '__OPENCLAW_REDACTED__'

const SECRET_KEY =
  /(token|password|passwd|secret|apikey|api_key|privatekey|private_key|authkey|credential|bearer)/i

export function isPlainObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/** Replaces every non-empty string stored under a secret-looking key. */
export function redact(value: Json, key = ''): Json {
  if (typeof value === 'string' && key && isSecretKey(key)) return value ? REDACTED : value
  if (Array.isArray(value)) return value.map((v) => redact(v, key))
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]))
  return value
}

export interface Change {
  path: string
  op: 'add' | 'remove' | 'change'
  before?: Json
  after?: Json
}

/** Leaf-level differences; arrays compare as whole values. Values in the result are redacted. */
export function diffConfigs(
  before: Json | undefined,
  after: Json | undefined,
  path: string[] = [],
): Change[] {
  const at = path.join('.') || '(root)'
  const key = path.at(-1) ?? ''
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    return keys.flatMap((k) => diffConfigs(before[k], after[k], [...path, k]))
  }
  if (before === undefined && after === undefined) return []
  if (before === undefined) return [{ path: at, op: 'add', after: redact(after as Json, key) }]
  if (after === undefined) return [{ path: at, op: 'remove', before: redact(before, key) }]
  if (JSON.stringify(before) === JSON.stringify(after)) return []
  return [{ path: at, op: 'change', before: redact(before, key), after: redact(after, key) }]
}
