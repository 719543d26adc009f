/**
 * Who acts, as opposed to the role policy judges (`Actor`): a human operator's name, or an agent's id.
 * An identity can come from an environment variable an agent's exec could set, so it is held to a
 * narrow charset and length before it reaches the audit trail, a table or a team channel.
 */
import { UserError } from '../errors.js'

export const IDENTITY_MAX = 64
const IDENTITY_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/

export function isIdentity(s: string): boolean {
  return s.length <= IDENTITY_MAX && IDENTITY_RE.test(s)
}

/** `value` as an identity, or INVALID_INPUT naming where it came from (never echoing a hostile value). */
export function parseIdentity(value: string, source: string): string {
  if (isIdentity(value)) return value
  throw new UserError('INVALID_INPUT', `${source} is not a valid identity`, {
    hint: `Use 1 to ${IDENTITY_MAX} characters: letters, digits and . _ @ + - (starting with a letter or digit), e.g. ada@laptop.`,
    details: { source, length: value.length },
  })
}

/**
 * The OS user at the host (`ada@build-01`), with anything outside the charset replaced, so a machine
 * with an unusual user or host name still gets a usable default rather than an error.
 */
export function defaultIdentity(user: string, host: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  const u = clean(user) || 'user'
  const h = clean(host.split('.')[0] ?? '') || 'host'
  return `${u}@${h}`.slice(0, IDENTITY_MAX)
}
