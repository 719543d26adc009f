/**
 * A persistent ed25519 device identity, as the gateway expects it: `device.id` is the SHA-256 of the
 * raw 32-byte public key (hex), `device.publicKey` the raw key in base64url. gf-clawnode uses one per
 * node; clawops uses one when it talks to a remote gateway as a paired operator device.
 *
 * The key file holds a private key, so it is written 0600 through a temp file and a rename, and a
 * file that another user could read is tightened before use.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'
import { type DeviceProof, deviceAuthPayloadV3 } from './protocol.js'

export interface DeviceIdentity {
  deviceId: string
  publicKey: string
  privateKey: KeyObject
}

const IdentityFileSchema = z.object({
  version: z.literal(1),
  deviceId: z.string().regex(/^[0-9a-f]{64}$/),
  publicKey: z.string().min(1),
  privateKeyPem: z.string().includes('PRIVATE KEY'),
})

export class IdentityFileError extends Error {
  override name = 'IdentityFileError'
}

function rawPublicKey(key: KeyObject): Buffer {
  // The SPKI DER encoding of an ed25519 key ends with the 32 raw key bytes.
  return key.export({ type: 'spki', format: 'der' }).subarray(-32)
}

export function deviceIdForPublicKey(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex')
}

export function generateIdentity(): DeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = rawPublicKey(publicKey)
  return { deviceId: deviceIdForPublicKey(raw), publicKey: raw.toString('base64url'), privateKey }
}

/** Writes a file readable by its owner only, atomically. */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(tmp, content, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

/** Loads the identity at `path`, creating it on first use. */
export function loadOrCreateIdentity(path: string): { identity: DeviceIdentity; created: boolean } {
  if (!existsSync(path)) {
    const identity = generateIdentity()
    const file = {
      version: 1,
      deviceId: identity.deviceId,
      publicKey: identity.publicKey,
      privateKeyPem: identity.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }
    writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`)
    return { identity, created: true }
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  let parsed: z.infer<typeof IdentityFileSchema>
  try {
    parsed = IdentityFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')))
  } catch (err) {
    throw new IdentityFileError(
      `device identity file ${path} is not a valid identity (it was not modified)`,
      {
        cause: err,
      },
    )
  }
  const privateKey = createPrivateKey(parsed.privateKeyPem)
  const raw = rawPublicKey(createPublicKey(privateKey))
  if (raw.toString('base64url') !== parsed.publicKey || deviceIdForPublicKey(raw) !== parsed.deviceId) {
    throw new IdentityFileError(`device identity file ${path} does not match its own private key`)
  }
  return { identity: { deviceId: parsed.deviceId, publicKey: parsed.publicKey, privateKey }, created: false }
}

/** Signs a connect challenge with the v3 payload; `token` is exactly what goes into `auth`. */
export function signConnect(
  identity: DeviceIdentity,
  p: {
    clientId: string
    clientMode: string
    role: string
    scopes: readonly string[]
    token: string
    nonce: string
    signedAt: number
    platform: string
    deviceFamily: string
  },
): DeviceProof {
  const payload = deviceAuthPayloadV3({ deviceId: identity.deviceId, ...p })
  return {
    id: identity.deviceId,
    publicKey: identity.publicKey,
    signature: sign(null, Buffer.from(payload, 'utf8'), identity.privateKey).toString('base64url'),
    signedAt: p.signedAt,
    nonce: p.nonce,
  }
}
