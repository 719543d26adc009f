import { createPublicKey, verify } from 'node:crypto'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  IdentityFileError,
  loadOrCreateIdentity,
  signConnect,
} from '../../../src/lib/gateway/device-identity.js'
import { DeviceTokenStore } from '../../../src/lib/gateway/device-token-store.js'
import { deviceAuthPayloadV3 } from '../../../src/lib/gateway/protocol.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

describe('device identity', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  const path = join(tmp.dir, 'state', 'identity.json')

  it('is created once with mode 0600 and reloaded unchanged', () => {
    const a = loadOrCreateIdentity(path)
    expect(a.created).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(a.identity.deviceId).toMatch(/^[0-9a-f]{64}$/)
    const b = loadOrCreateIdentity(path)
    expect(b.created).toBe(false)
    expect(b.identity.deviceId).toBe(a.identity.deviceId)
  })

  it('tightens a file others could read', () => {
    chmodSync(path, 0o644)
    loadOrCreateIdentity(path)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('signs the v3 payload so that the public key verifies it', () => {
    const { identity } = loadOrCreateIdentity(path)
    const p = {
      clientId: 'node-host',
      clientMode: 'node',
      role: 'node',
      scopes: [],
      token: 'tok',
      nonce: 'n-1',
      signedAt: 1700000000000,
      platform: 'linux',
      deviceFamily: 'Linux',
    }
    const proof = signConnect(identity, p)
    const raw = Buffer.from(identity.publicKey, 'base64url')
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw])
    const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' })
    const payload = deviceAuthPayloadV3({ deviceId: identity.deviceId, ...p })
    expect(payload).toBe(`v3|${identity.deviceId}|node-host|node|node||1700000000000|tok|n-1|linux|linux`)
    expect(verify(null, Buffer.from(payload), pub, Buffer.from(proof.signature, 'base64url'))).toBe(true)
    expect(proof).toMatchObject({
      id: identity.deviceId,
      publicKey: identity.publicKey,
      signedAt: 1700000000000,
      nonce: 'n-1',
    })
  })

  it('refuses a tampered file instead of silently replacing the identity', () => {
    const j = JSON.parse(readFileSync(path, 'utf8'))
    writeFileSync(path, JSON.stringify({ ...j, deviceId: 'f'.repeat(64) }))
    expect(() => loadOrCreateIdentity(path)).toThrow(IdentityFileError)
    writeFileSync(path, 'not json')
    expect(() => loadOrCreateIdentity(path)).toThrow(IdentityFileError)
  })
})

describe('device token store', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  it('keeps the token 0600 and only returns it for the same gateway, device and role', () => {
    const store = new DeviceTokenStore(join(tmp.dir, 'device-token.json'))
    const key = { gatewayUrl: 'ws://127.0.0.1:1', deviceId: 'a', role: 'node' }
    expect(store.load(key)).toBeUndefined()
    store.save(key, 'secret-token', 1)
    expect(statSync(join(tmp.dir, 'device-token.json')).mode & 0o777).toBe(0o600)
    expect(store.load(key)).toBe('secret-token')
    expect(store.load({ ...key, gatewayUrl: 'ws://elsewhere:1' })).toBeUndefined()
    expect(store.load({ ...key, role: 'operator' })).toBeUndefined()
    store.clear()
    expect(store.load(key)).toBeUndefined()
  })
})
