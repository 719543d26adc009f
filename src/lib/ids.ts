/** Short, readable, collision-resistant ids: `plan-7k2m9x4q1d`. 50 bits of randomness. */
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

export function newId(prefix: string, length = 10): string {
  const bytes = randomBytes(length)
  let s = ''
  for (const b of bytes) s += ALPHABET[b & 31]
  return `${prefix}-${s}`
}
