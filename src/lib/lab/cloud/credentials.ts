/**
 * The credentials the lab cloud accepts, one set per provider in the same fields as clawops's
 * credential files (CREDENTIAL_ENV): a bearer token for Hetzner, Vultr, DigitalOcean and Hostinger,
 * Contabo's client id, client secret, API user and password for its password grant. A request with
 * anything else gets the provider's own 401, as a real account would answer.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'
import { PROVIDERS, type Provider } from '../../domain/provider.js'
import { CREDENTIAL_ENV } from '../../providers/index.js'

type Fields<P extends Provider> = keyof (typeof CREDENTIAL_ENV)[P]
export type LabCredentials = { [P in Provider]: Record<Fields<P>, string> }

const field = z.string().min(1)
const LabCredentialsSchema = z.object({
  hetzner: z.object({ token: field }),
  vultr: z.object({ apiKey: field }),
  digitalocean: z.object({ token: field }),
  contabo: z.object({ clientId: field, clientSecret: field, username: field, password: field }),
  hostinger: z.object({ token: field }),
})

/** Fresh random credentials, prefixed so they are recognisably the lab's and never a real account's. */
export function generateCredentials(): LabCredentials {
  const one = () => `lab-${randomBytes(12).toString('hex')}`
  return Object.fromEntries(
    PROVIDERS.map((p) => [p, Object.fromEntries(Object.keys(CREDENTIAL_ENV[p]).map((k) => [k, one()]))]),
  ) as LabCredentials
}

export function parseCredentials(value: unknown, source: string): LabCredentials {
  const r = LabCredentialsSchema.safeParse(value)
  if (!r.success) {
    const where = r.error.issues.map((i) => i.path.join('.')).join(', ')
    throw new Error(`${source}: lab credentials incomplete or invalid (${where})`)
  }
  return r.data
}

/** Reads the credentials file, or creates it (mode 0600) with fresh credentials when it is missing. */
export function loadOrCreateCredentials(path: string): LabCredentials {
  if (existsSync(path)) return parseCredentials(JSON.parse(readFileSync(path, 'utf8')), path)
  const creds = generateCredentials()
  writeCredentials(path, creds)
  return creds
}

export function writeCredentials(path: string, creds: LabCredentials): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
}
