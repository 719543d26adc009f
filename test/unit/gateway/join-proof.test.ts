import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  deriveJoinSecret,
  generateJoinSecret,
  joinProof,
  nodeDisplayName,
  parseNodeDisplayName,
  verifyJoinProof,
} from '../../../src/lib/gateway/join-proof.js'

const dev = 'a'.repeat(64)
const other = 'b'.repeat(64)

describe('join proofs', () => {
  const secret = generateJoinSecret()

  it('verifies for the same secret, instance and device only', () => {
    const proof = joinProof(secret, 'vps-1', dev)
    expect(proof).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(verifyJoinProof(secret, 'vps-1', dev, proof)).toBe(true)
    expect(verifyJoinProof(secret, 'vps-1', other, proof)).toBe(false)
    expect(verifyJoinProof(secret, 'vps-2', dev, proof)).toBe(false)
    expect(verifyJoinProof(generateJoinSecret(), 'vps-1', dev, proof)).toBe(false)
  })

  it('never verifies a forged proof', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 64 }), (forged) => {
        fc.pre(forged !== joinProof(secret, 'vps-1', dev))
        expect(verifyJoinProof(secret, 'vps-1', dev, forged)).toBe(false)
      }),
    )
  })

  it('derives distinct per-node secrets for a swarm', () => {
    expect(deriveJoinSecret('m', 'lab-1')).not.toBe(deriveJoinSecret('m', 'lab-2'))
    expect(deriveJoinSecret('m', 'lab-1')).toBe(deriveJoinSecret('m', 'lab-1'))
  })

  it('round-trips display names and rejects look-alikes', () => {
    const proof = joinProof(secret, 'vps-1', dev)
    expect(parseNodeDisplayName(nodeDisplayName('vps-1', proof))).toEqual({ instanceId: 'vps-1', proof })
    expect(parseNodeDisplayName(nodeDisplayName('vps-1'))).toEqual({ instanceId: 'vps-1' })
    for (const s of [
      undefined,
      '',
      'clawops-agent',
      'clawnode',
      'clawnode vps-1 join1.short',
      `xclawnode vps-1 join1.${proof}`,
      `clawnode vps-1 join2.${proof}`,
    ]) {
      expect(parseNodeDisplayName(s)).toBeUndefined()
    }
    fc.assert(fc.property(fc.string(), (s) => void parseNodeDisplayName(s)))
  })
})
