/**
 * The two approvals a node needs, as gateway RPCs (what `openclaw devices …` and `openclaw nodes
 * pending|approve|reject` call): device pairing (`device.pair.list|approve|reject|remove`) admits the
 * device's key; the command-surface approval (`node.pair.list|approve|reject`) exposes its declared
 * commands. Tokens are never part of these payloads.
 */
import { z } from 'zod'
import type { GatewayClient } from './client.js'

export const PendingDeviceSchema = z.looseObject({
  requestId: z.string(),
  deviceId: z.string(),
  publicKey: z.string().optional(),
  displayName: z.string().optional(),
  platform: z.string().optional(),
  clientId: z.string().optional(),
  clientMode: z.string().optional(),
  role: z.string().optional(),
  roles: z.array(z.string()).optional(),
  scopes: z.array(z.string()).optional(),
  remoteIp: z.string().optional(),
  isRepair: z.boolean().optional(),
  ts: z.number().optional(),
})
export type PendingDevice = z.infer<typeof PendingDeviceSchema>

export const PairedDeviceSchema = z.looseObject({
  deviceId: z.string(),
  displayName: z.string().optional(),
  role: z.string().optional(),
  roles: z.array(z.string()).optional(),
  approvedVia: z.string().optional(),
})
export type PairedDevice = z.infer<typeof PairedDeviceSchema>

const DevicePairListSchema = z.looseObject({
  pending: z.array(PendingDeviceSchema).default([]),
  paired: z.array(PairedDeviceSchema).default([]),
})

export const PendingSurfaceSchema = z.looseObject({
  requestId: z.string(),
  nodeId: z.string(),
  displayName: z.string().optional(),
  clientId: z.string().optional(),
  platform: z.string().optional(),
  caps: z.array(z.string()).default([]),
  commands: z.array(z.string()).default([]),
  requiredApproveScopes: z.array(z.string()).optional(),
  ts: z.number().optional(),
})
export type PendingSurface = z.infer<typeof PendingSurfaceSchema>

const NodePairListSchema = z.looseObject({
  pending: z.array(PendingSurfaceSchema).default([]),
  paired: z.array(z.looseObject({ nodeId: z.string(), displayName: z.string().optional() })).default([]),
})

export async function listDevicePairings(client: GatewayClient) {
  return DevicePairListSchema.parse(await client.request('device.pair.list', {}))
}

export async function approveDevice(client: GatewayClient, requestId: string): Promise<void> {
  await client.request('device.pair.approve', { requestId })
}

export async function rejectDevice(client: GatewayClient, requestId: string): Promise<void> {
  await client.request('device.pair.reject', { requestId })
}

export async function removeDevice(client: GatewayClient, deviceId: string): Promise<void> {
  await client.request('device.pair.remove', { deviceId })
}

export async function listSurfaceRequests(client: GatewayClient) {
  return NodePairListSchema.parse(await client.request('node.pair.list', {}))
}

export async function approveSurface(client: GatewayClient, requestId: string): Promise<void> {
  await client.request('node.pair.approve', { requestId })
}

export async function rejectSurface(client: GatewayClient, requestId: string): Promise<void> {
  await client.request('node.pair.reject', { requestId })
}

const SetupCodeSchema = z.looseObject({
  setupId: z.string().optional(),
  setupCode: z.string(),
  expiresAtMs: z.number().optional(),
})
const SetupPayloadSchema = z.looseObject({
  url: z.string().optional(),
  bootstrapToken: z.string(),
  expiresAtMs: z.number().optional(),
})

export interface NodeBootstrapToken {
  /** A secret: give it to exactly one node, never log it. */
  bootstrapToken: string
  expiresAtMs?: number
  setupId?: string
}

/**
 * Mints a gateway-native, single-use bootstrap credential with the node-only profile
 * (`device.pair.setupCode`, operator.admin). A node that presents it as `auth.bootstrapToken` on
 * first contact is paired and gets its first command surface approved by the gateway itself, without
 * ever holding the shared gateway token. It expires after 10 minutes (fixed by the gateway), so it
 * suits nodes that boot right away; the join-secret path has no such deadline. `publicUrl` is the
 * gateway URL the node will use; a loopback-bound gateway insists on being told.
 */
export async function issueNodeBootstrapToken(
  client: GatewayClient,
  publicUrl: string,
): Promise<NodeBootstrapToken> {
  const res = SetupCodeSchema.parse(
    await client.request('device.pair.setupCode', { bootstrapProfile: 'node', includeQr: false, publicUrl }),
  )
  const payload = SetupPayloadSchema.parse(
    JSON.parse(Buffer.from(res.setupCode, 'base64url').toString('utf8')),
  )
  const expiresAtMs = res.expiresAtMs ?? payload.expiresAtMs
  return {
    bootstrapToken: payload.bootstrapToken,
    ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
    ...(res.setupId ? { setupId: res.setupId } : {}),
  }
}
