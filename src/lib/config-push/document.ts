/**
 * The change a config push carries, in one of three forms: a JSON merge document (RFC 7386), a JSON
 * patch (RFC 6902), or a full config that replaces each instance's file. It is applied to the config
 * each instance's gf-clawnode returns, which already has its secrets replaced by a placeholder; the
 * node puts the real values back when it writes the file. So clawops never holds a user's secret, and
 * a document that tries to set one is refused: secrets stay on the hosts, or are referenced by name
 * (`${MOONSHOT_API_KEY}` is resolved by OpenClaw on the host).
 */
import jsonPatch, { type Operation } from 'fast-json-patch'
import mergePatch from 'json-merge-patch'
import { UserError } from '../errors.js'
import { isPlainObject, isSecretKey, type Json, OPENCLAW_REDACTED, REDACTED } from '../gateway/config-diff.js'
import type { DocChange } from './doc-change.js'

export type { DocChange } from './doc-change.js'
export { formatDocChange } from './doc-change.js'

export const DOCUMENT_FORMATS = ['merge', 'patch', 'full'] as const
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number]

export interface ConfigDocument {
  format: DocumentFormat
  body: Json
}

/** The document does not apply to one instance's config (a failed `test`, a missing path). */
export class DocumentMismatch extends Error {
  override name = 'DocumentMismatch'
}

const ENV_REFERENCE = /^\$\{[A-Z_][A-Z0-9_]*\}$/
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

function refuse(message: string, hint?: string): never {
  throw new UserError('INVALID_INPUT', message, hint ? { hint } : {})
}

const SECRET_HINT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an OpenClaw env reference, not a template
  'Secrets stay on the hosts: use "[redacted]" to keep each instance\'s own value, or reference an environment variable on the host, e.g. "${MOONSHOT_API_KEY}" (OpenClaw resolves it there).'

/** Walks a value: no prototype keys; strings under secret-looking keys must be placeholders or env references. */
function checkValue(value: unknown, path: string[], key: string): Json {
  if (typeof value === 'string') {
    if (key && isSecretKey(key) && value !== '') {
      if (value === OPENCLAW_REDACTED) return REDACTED
      if (value !== REDACTED && !ENV_REFERENCE.test(value)) {
        refuse(
          `the document sets a secret at ${path.join('.') || '(root)'}; clawops never carries secrets`,
          SECRET_HINT,
        )
      }
    }
    return value
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) refuse(`${path.join('.')} is not a JSON number`)
    return value
  }
  if (Array.isArray(value)) return value.map((v, i) => checkValue(v, [...path, String(i)], key))
  if (isPlainObject(value)) {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(k))
        refuse(`the document uses the reserved key "${k}" at ${path.join('.') || '(root)'}`)
      out[k] = checkValue(v, [...path, k], k)
    }
    return out
  }
  return refuse(`${path.join('.') || '(root)'} is not JSON`)
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) refuse(`"${pointer}" is not a JSON pointer (RFC 6901)`)
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function dotted(segments: readonly string[]): string {
  return segments.join('.') || '(root)'
}

/** Validates a raw document for its format; throws INVALID_INPUT naming what is wrong. */
export function parseDocument(format: string, raw: unknown): ConfigDocument {
  if (!(DOCUMENT_FORMATS as readonly string[]).includes(format)) {
    refuse(`unknown document format "${format}"`, `Use one of: ${DOCUMENT_FORMATS.join(', ')}.`)
  }
  const f = format as DocumentFormat
  if (f === 'merge' || f === 'full') {
    if (!isPlainObject(raw))
      refuse(`a ${f === 'merge' ? 'merge document' : 'config file'} must be a JSON object`)
    const body = checkValue(raw, [], '')
    if (f === 'merge' && Object.keys(body as object).length === 0)
      refuse('the merge document changes nothing')
    return { format: f, body }
  }
  if (!Array.isArray(raw) || raw.length === 0) refuse('a JSON patch must be a non-empty array of operations')
  const ops = (raw as unknown[]).map((op, i) => {
    if (!isPlainObject(op)) refuse(`patch operation ${i} is not an object`)
    const segments = pointerSegments(String(op.path ?? ''))
    for (const s of segments)
      if (FORBIDDEN_KEYS.has(s)) refuse(`patch operation ${i} uses the reserved key "${s}"`)
    if (typeof op.from === 'string')
      for (const s of pointerSegments(op.from))
        if (FORBIDDEN_KEYS.has(s)) refuse(`patch operation ${i} uses the reserved key "${s}"`)
    const checked = checkValue(op, [], '') as Record<string, Json>
    if ('value' in op) checked.value = checkValue(op.value, segments, segments.at(-1) ?? '')
    return checked
  })
  const error = jsonPatch.validate(ops as unknown as Operation[])
  if (error) refuse(`patch operation ${error.index ?? '?'} is invalid: ${error.message.split('\n')[0]}`)
  return { format: f, body: ops }
}

/** The document applied to one instance's config (as config.get returned it). Never mutates `current`. */
export function applyDocument(doc: ConfigDocument, current: Record<string, Json>): Record<string, Json> {
  let next: unknown
  if (doc.format === 'full') next = structuredClone(doc.body)
  else if (doc.format === 'merge')
    next = mergePatch.apply(structuredClone(current), structuredClone(doc.body))
  else {
    try {
      next = jsonPatch.applyPatch(
        structuredClone(current),
        structuredClone(doc.body) as unknown as Operation[],
        true,
        true,
        true,
      ).newDocument
    } catch (err) {
      const e = err as { index?: number; name?: string; message?: string }
      const first = (e.message ?? String(err)).split('\n')[0]
      throw new DocumentMismatch(`patch operation ${e.index ?? '?'} does not apply: ${first}`)
    }
  }
  if (!isPlainObject(next)) throw new DocumentMismatch('the result is not a JSON object')
  return next
}

function redactAt(value: Json, key: string): Json {
  if (typeof value === 'string') return key && isSecretKey(key) && value !== '' ? REDACTED : value
  if (Array.isArray(value)) return value.map((v) => redactAt(v, key))
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAt(v, k)]))
  return value
}

function describeMerge(body: Json, path: string[]): DocChange[] {
  if (!isPlainObject(body))
    return [{ op: 'set', path: dotted(path), value: redactAt(body, path.at(-1) ?? '') }]
  const entries = Object.entries(body)
  if (entries.length === 0 && path.length > 0) return [{ op: 'set', path: dotted(path), value: {} }]
  return entries.flatMap(([k, v]) =>
    v === null ? [{ op: 'remove' as const, path: dotted([...path, k]) }] : describeMerge(v, [...path, k]),
  )
}

/** What the document changes, path by path, with redacted values: the diff a plan shows once. */
export function describeDocument(doc: ConfigDocument): DocChange[] {
  if (doc.format === 'merge') return describeMerge(doc.body, [])
  if (doc.format === 'full') {
    const keys = Object.keys(doc.body as object).sort()
    return [{ op: 'replace', path: '(root)', value: `the whole config (top-level keys: ${keys.join(', ')})` }]
  }
  return (doc.body as Record<string, Json>[]).map((op) => {
    const segments = pointerSegments(String(op.path))
    const change: DocChange = { op: op.op as DocChange['op'], path: dotted(segments) }
    if ('value' in op) change.value = redactAt(op.value as Json, segments.at(-1) ?? '')
    if (typeof op.from === 'string') change.from = dotted(pointerSegments(op.from))
    return change
  })
}
