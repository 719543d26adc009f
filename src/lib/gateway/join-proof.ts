/**
 * Join proofs: how a gf-clawnode that clawops provisioned proves it, so clawops can approve it
 * without a human while a stranger's device is never approved.
 *
 * Design (verified against openclaw 2026.9.6):
 * - At provisioning clawops issues a random per-instance join secret and puts it in the server's user
 *   data (the node's config). It never travels over the gateway.
 * - The node derives `proof = HMAC-SHA256(joinSecret, "clawops-join/v1\n" + instanceId + "\n" +
 *   deviceId)` and sends it inside `client.displayName` ("clawnode <instanceId> join1.<proof>").
 *   The display name is the one free-form field the gateway copies into both the pending
 *   device-pairing request (`device.pair.list`, `device.pair.requested`) and the pending
 *   command-surface request (`node.pair.list`); caps reach only the latter, and `node.event` is not
 *   available before pairing.
 * - The proof is bound to the device id, which is the hash of the public key the gateway has just
 *   verified a challenge signature for. Copying a display name therefore gains nothing: another key
 *   gives another device id and the proof no longer matches. The challenge nonce cannot be part of
 *   the proof because the operator side never sees it; the gateway's own signature check covers it.
 * - clawops approves a device only if the proof verifies against the secret it issued for that
 *   instance AND the instance is not already bound to a different device (the secret is one-time:
 *   the first device that joins binds it). Everything else is left for a human, or rejected when it
 *   claims to be a clawops node with a wrong proof.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const PROOF_LEN = 32 // base64url chars: 192 bits of the HMAC
const INSTANCE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/
const DISPLAY_RE = /^clawnode (\S{1,64}) join1\.([A-Za-z0-9_-]{32})$/
const CLEAN_RE = /^clawnode (\S{1,64})$/

export function isValidInstanceId(id: string): boolean {
  return INSTANCE_ID_RE.test(id)
}

/** A fresh join secret for one instance (256 bits, base64url). */
export function generateJoinSecret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The per-node secret of a swarm or lab fleet, derived from one master secret so that a process
 * hosting thousands of virtual nodes does not need thousands of secrets in its config.
 */
export function deriveJoinSecret(masterSecret: string, instanceId: string): string {
  return createHmac('sha256', masterSecret).update(`clawops-swarm/v1\n${instanceId}`).digest('base64url')
}

export function joinProof(joinSecret: string, instanceId: string, deviceId: string): string {
  return createHmac('sha256', joinSecret)
    .update(`clawops-join/v1\n${instanceId}\n${deviceId}`)
    .digest('base64url')
    .slice(0, PROOF_LEN)
}

export function verifyJoinProof(
  joinSecret: string,
  instanceId: string,
  deviceId: string,
  proof: string,
): boolean {
  const expected = Buffer.from(joinProof(joinSecret, instanceId, deviceId))
  const given = Buffer.from(proof)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** The display name a node presents: with a proof while it may need approval, plain otherwise. */
export function nodeDisplayName(instanceId: string, proof?: string): string {
  return proof ? `clawnode ${instanceId} join1.${proof}` : `clawnode ${instanceId}`
}

export interface ParsedDisplayName {
  instanceId: string
  proof?: string
}

/** Reads a clawnode display name; undefined for anything that does not claim to be a clawnode. */
export function parseNodeDisplayName(displayName: string | undefined): ParsedDisplayName | undefined {
  if (!displayName) return undefined
  const withProof = DISPLAY_RE.exec(displayName)
  if (withProof) return { instanceId: withProof[1]!, proof: withProof[2]! }
  const clean = CLEAN_RE.exec(displayName)
  if (clean) return { instanceId: clean[1]! }
  return undefined
}
