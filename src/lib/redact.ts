/**
 * Secrets never reach the audit trail, the logs or JSON output. Values under secret-looking keys are
 * replaced, recursively; the logger uses the same key list for pino's redaction.
 */
export const SECRET_KEYS = [
  'token',
  'apiKey',
  'api_key',
  'apiToken',
  'password',
  'secret',
  'secrets',
  'authorization',
  'clientSecret',
  'client_secret',
  'deviceToken',
  'joinSecret',
  'authKey',
  'privateKey',
  'hmacSecret',
] as const

const SECRET = new RegExp(`^(${SECRET_KEYS.join('|')})$|token$|secret$|password$|key$`, 'i')
const NOT_SECRET = /^(publicKey|idempotencyKey|sessionKey|key)$/i

export function isSecretKey(key: string): boolean {
  return SECRET.test(key) && !NOT_SECRET.test(key)
}

export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecrets) as T
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value))
      out[k] = isSecretKey(k) && v != null ? '[redacted]' : redactSecrets(v)
    return out as T
  }
  return value
}
