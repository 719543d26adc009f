/**
 * Where a paired device keeps the token the gateway issued in `hello-ok.auth.deviceToken`. Once it
 * exists it replaces the shared gateway token (or bootstrap credential) on every reconnect, so a
 * node never needs the shared secret again. A token is only valid for the gateway, device and role
 * it was issued for; a record for anything else is ignored rather than sent to the wrong gateway.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { z } from 'zod'
import { writePrivateFile } from './device-identity.js'

const TokenFileSchema = z.object({
  version: z.literal(1),
  gatewayUrl: z.string(),
  deviceId: z.string(),
  role: z.string(),
  token: z.string().min(1),
  issuedAtMs: z.number().optional(),
})

export interface DeviceTokenKey {
  gatewayUrl: string
  deviceId: string
  role: string
}

export class DeviceTokenStore {
  constructor(private readonly path: string) {}

  load(key: DeviceTokenKey): string | undefined {
    if (!existsSync(this.path)) return undefined
    try {
      const rec = TokenFileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')))
      if (rec.gatewayUrl !== key.gatewayUrl || rec.deviceId !== key.deviceId || rec.role !== key.role) return
      return rec.token
    } catch {
      // A torn or foreign file is treated as "no token": the node falls back to first-contact auth.
      return undefined
    }
  }

  save(key: DeviceTokenKey, token: string, issuedAtMs?: number): void {
    const rec = { version: 1, ...key, token, ...(issuedAtMs === undefined ? {} : { issuedAtMs }) }
    writePrivateFile(this.path, `${JSON.stringify(rec, null, 2)}\n`)
  }

  clear(): void {
    rmSync(this.path, { force: true })
  }
}
