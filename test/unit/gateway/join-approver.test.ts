import { describe, expect, it } from 'vitest'
import { judgeDevice, judgeSurface, MemoryJoinRegistry } from '../../../src/lib/gateway/join-approver.js'
import { deriveJoinSecret, joinProof, nodeDisplayName } from '../../../src/lib/gateway/join-proof.js'
import type { PendingDevice, PendingSurface } from '../../../src/lib/gateway/pairing.js'

const dev = '1'.repeat(64)
const stranger = '2'.repeat(64)
const secret = 'join-secret-issued-by-clawops-0001'

function device(displayName: string | undefined, over: Partial<PendingDevice> = {}): PendingDevice {
  return {
    requestId: 'r1',
    deviceId: dev,
    role: 'node',
    roles: ['node'],
    scopes: [],
    clientId: 'node-host',
    clientMode: 'node',
    ...(displayName === undefined ? {} : { displayName }),
    ...over,
  }
}

function surface(displayName: string, commands: string[], nodeId = dev): PendingSurface {
  return { requestId: 's1', nodeId, displayName, caps: ['clawops'], commands }
}

describe('join approval decisions', () => {
  const registry = () => {
    const r = new MemoryJoinRegistry()
    r.issue('vps-1', secret)
    return r
  }
  const good = nodeDisplayName('vps-1', joinProof(secret, 'vps-1', dev))

  it('admits a node only on the gateway shard its join secret was issued for', async () => {
    const r = registry()
    r.lookup('vps-1')!.gateway = 'b'
    expect(await judgeDevice(device(good), r, 'main')).toMatchObject({
      action: 'ignore',
      reason: /for gateway b, not main/,
    })
    expect(await judgeSurface(surface(good, ['vps.health']), r, 'main')).toMatchObject({ action: 'ignore' })
    expect(await judgeDevice(device(good), r, 'b')).toMatchObject({ action: 'approve', instanceId: 'vps-1' })
  })

  it('approves a node whose proof verifies against the issued secret', async () => {
    expect(await judgeDevice(device(good), registry())).toMatchObject({
      action: 'approve',
      instanceId: 'vps-1',
    })
  })

  it('rejects a wrong proof, an unknown instance, and a proof copied to another key', async () => {
    const r = registry()
    expect(
      await judgeDevice(
        device(nodeDisplayName('vps-1', joinProof('wrong-secret-wrong-secret', 'vps-1', dev))),
        r,
      ),
    ).toMatchObject({
      action: 'reject',
      reason: 'join proof does not verify',
    })
    expect(
      await judgeDevice(device(nodeDisplayName('vps-9', joinProof(secret, 'vps-9', dev))), r),
    ).toMatchObject({ action: 'reject' })
    expect(await judgeDevice(device(good, { deviceId: stranger }), r)).toMatchObject({ action: 'reject' })
  })

  it('the secret is one-time: once bound, another device is rejected', async () => {
    const r = registry()
    r.bind('vps-1', dev)
    // Approving the same device twice would rotate its token under a live connection.
    expect(await judgeDevice(device(good), r)).toMatchObject({ action: 'ignore', reason: /already joined/ })
    const clone = nodeDisplayName('vps-1', joinProof(secret, 'vps-1', stranger))
    expect(await judgeDevice(device(clone, { deviceId: stranger }), r)).toMatchObject({
      action: 'reject',
      reason: 'instance already joined by another device',
    })
  })

  it('leaves everything that is not a scopeless node-host node request to a human', async () => {
    const r = registry()
    expect(await judgeDevice(device(good, { role: 'operator', roles: ['operator'] }), r)).toMatchObject({
      action: 'ignore',
    })
    expect(await judgeDevice(device(good, { roles: ['node', 'operator'] }), r)).toMatchObject({
      action: 'ignore',
    })
    expect(await judgeDevice(device(good, { scopes: ['operator.admin'] }), r)).toMatchObject({
      action: 'ignore',
    })
    expect(await judgeDevice(device(good, { clientId: 'cli' }), r)).toMatchObject({ action: 'ignore' })
    expect(await judgeDevice(device('My iPhone'), r)).toMatchObject({ action: 'ignore' })
    expect(await judgeDevice(device(undefined), r)).toMatchObject({ action: 'ignore' })
    expect(await judgeDevice(device(nodeDisplayName('vps-1')), r)).toMatchObject({ action: 'ignore' })
  })

  it('approves a command surface only for a proven or bound node declaring clawnode commands', async () => {
    const r = registry()
    expect(await judgeSurface(surface(good, ['vps.health', 'exec.run']), r)).toMatchObject({
      action: 'approve',
    })
    expect(await judgeSurface(surface(good, ['vps.health', 'system.run']), r)).toMatchObject({
      action: 'reject',
    })
    // Without the proof in its name, only the device already bound to the instance gets its surface.
    expect(await judgeSurface(surface(nodeDisplayName('vps-1'), ['vps.health']), r)).toMatchObject({
      action: 'ignore',
    })
    r.bind('vps-1', dev)
    expect(await judgeSurface(surface(nodeDisplayName('vps-1'), ['vps.health']), r)).toMatchObject({
      action: 'approve',
    })
    expect(await judgeSurface(surface(nodeDisplayName('vps-1'), ['vps.health'], stranger), r)).toMatchObject({
      action: 'ignore',
    })
  })

  it('derives swarm secrets on lookup', async () => {
    const r = new MemoryJoinRegistry((id) =>
      id.startsWith('swarm-') ? deriveJoinSecret('master-secret', id) : undefined,
    )
    const name = nodeDisplayName(
      'swarm-7',
      joinProof(deriveJoinSecret('master-secret', 'swarm-7'), 'swarm-7', dev),
    )
    expect(await judgeDevice(device(name), r)).toMatchObject({ action: 'approve' })
    expect(
      await judgeDevice(device(nodeDisplayName('other-1', joinProof('x'.repeat(20), 'other-1', dev))), r),
    ).toMatchObject({
      action: 'reject',
    })
  })
})
