/**
 * JSON Schema validation of the lab's answers and the adapters' requests against the schemas
 * derived from the providers' published OpenAPI documents (digitalocean-spec.ts, contabo-spec.ts).
 */
import { Ajv, type ErrorObject } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { expect } from 'vitest'

// ajv-formats is CommonJS: under NodeNext its default export arrives as the module object, whose
// `default` is the plugin.
type FormatsPlugin = (a: Ajv) => Ajv
const formats = addFormatsModule as unknown as FormatsPlugin | { default: FormatsPlugin }
const addFormats: FormatsPlugin = typeof formats === 'function' ? formats : formats.default

const ajv = new Ajv({ allErrors: true, strict: false })
addFormats(ajv)

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n')
}

/** Asserts that `value` validates against `schema`, naming the failing fields when it does not. */
export function expectValid(schema: object, value: unknown, what: string): void {
  const validate = ajv.compile(schema)
  const ok = validate(value)
  expect(ok, `${what} does not match the published schema:\n${describeErrors(validate.errors)}`).toBe(true)
}

/** True when `value` validates (for the tests that prove the check can fail). */
export function isValid(schema: object, value: unknown): boolean {
  return ajv.compile(schema)(value) as boolean
}
