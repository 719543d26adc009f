/**
 * A credential that cannot leak by accident: it prints, stringifies, inspects and serialises as
 * `[redacted]`. Only `reveal()` gives the value, and only the HTTP layer calls it to build a header.
 */
import { inspect } from 'node:util'

const REDACTED = '[redacted]'

export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [inspect.custom](): string {
    return REDACTED
  }
}

/** Replaces every occurrence of any secret value in `text` (provider bodies may echo what we sent). */
export function redactSecrets(text: string, secrets: readonly Secret[]): string {
  let out = text
  for (const s of secrets) {
    const v = s.reveal()
    // Very short values would redact ordinary words; credentials are never that short.
    if (v.length >= 6) out = out.split(v).join(REDACTED)
  }
  return out
}
