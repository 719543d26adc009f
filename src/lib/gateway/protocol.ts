/**
 * The OpenClaw gateway wire protocol as clawops and gf-clawnode speak it (protocol 4, openclaw
 * 2026.9.x). Frames are JSON text frames: `req` → `res`, plus server-pushed `event`s. Only the fields
 * we rely on are validated; everything else passes through untouched so a newer gateway that adds
 * fields does not break us.
 */
import { z } from 'zod'

/** The only protocol version both ends implement. A gateway that cannot speak it is refused loudly. */
export const PROTOCOL_VERSION = 4

export const RequestFrameSchema = z.object({
  type: z.literal('req'),
  id: z.string().min(1),
  method: z.string().min(1),
  params: z.unknown().optional(),
})
export type RequestFrame = z.infer<typeof RequestFrameSchema>

export const ErrorShapeSchema = z.looseObject({
  code: z.string().optional(),
  message: z.string().optional(),
  details: z.unknown().optional(),
})
export type ErrorShape = z.infer<typeof ErrorShapeSchema>

export const ResponseFrameSchema = z.object({
  type: z.literal('res'),
  id: z.string(),
  ok: z.boolean(),
  payload: z.unknown().optional(),
  error: ErrorShapeSchema.optional(),
})
export type ResponseFrame = z.infer<typeof ResponseFrameSchema>

export const EventFrameSchema = z.object({
  type: z.literal('event'),
  event: z.string(),
  payload: z.unknown().optional(),
  seq: z.number().optional(),
})
export type EventFrame = z.infer<typeof EventFrameSchema>

export const InboundFrameSchema = z.discriminatedUnion('type', [ResponseFrameSchema, EventFrameSchema])
export type InboundFrame = z.infer<typeof InboundFrameSchema>

export const ChallengeSchema = z.looseObject({
  nonce: z.string().min(1),
  ts: z.number().int().nonnegative(),
})
export type Challenge = z.infer<typeof ChallengeSchema>

export const HelloOkSchema = z.looseObject({
  type: z.literal('hello-ok'),
  protocol: z.number().int(),
  server: z.looseObject({ version: z.string(), connId: z.string().optional() }),
  features: z.looseObject({ methods: z.array(z.string()), events: z.array(z.string()) }).optional(),
  auth: z
    .looseObject({
      method: z.string().optional(),
      role: z.string().optional(),
      scopes: z.array(z.string()).optional(),
      deviceToken: z.string().optional(),
    })
    .optional(),
  policy: z
    .looseObject({
      maxPayload: z.number().optional(),
      tickIntervalMs: z.number().optional(),
    })
    .optional(),
  snapshot: z.unknown().optional(),
})
export type HelloOk = z.infer<typeof HelloOkSchema>

/** Client ids are a closed list on the gateway; these are the two we use. */
export const CLIENT_IDS = { node: 'node-host', backend: 'gateway-client', cli: 'cli' } as const

export interface ClientInfo {
  id: string
  displayName?: string
  version: string
  platform: string
  deviceFamily?: string
  mode: 'node' | 'backend' | 'cli' | 'operator'
}

export interface DeviceProof {
  id: string
  publicKey: string
  signature: string
  signedAt: number
  nonce: string
}

export interface ConnectParams {
  minProtocol: number
  maxProtocol: number
  client: ClientInfo
  role: 'node' | 'operator'
  scopes: string[]
  caps: string[]
  commands: string[]
  permissions: Record<string, boolean>
  auth: { token?: string; bootstrapToken?: string }
  locale: string
  userAgent: string
  device?: DeviceProof
}

/**
 * The v3 device-auth payload the gateway verifies (`buildDeviceAuthPayloadV3` upstream): it binds the
 * device to the client, role, scopes, the credential sent in `auth`, the challenge and the platform.
 */
export function deviceAuthPayloadV3(p: {
  deviceId: string
  clientId: string
  clientMode: string
  role: string
  scopes: readonly string[]
  signedAt: number
  token: string
  nonce: string
  platform: string
  deviceFamily: string
}): string {
  return [
    'v3',
    p.deviceId,
    p.clientId,
    p.clientMode,
    p.role,
    p.scopes.join(','),
    String(p.signedAt),
    p.token,
    p.nonce,
    p.platform.toLowerCase(),
    p.deviceFamily.toLowerCase(),
  ].join('|')
}

/** Error details the gateway attaches to NOT_PAIRED / auth failures (`error.details`). */
export const ConnectErrorDetailsSchema = z.looseObject({
  code: z.string().optional(),
  reason: z.string().optional(),
  requestId: z.string().optional(),
  recommendedNextStep: z.string().optional(),
  retryAfterMs: z.number().optional(),
})
export type ConnectErrorDetails = z.infer<typeof ConnectErrorDetailsSchema>

export function connectErrorDetails(error: ErrorShape | undefined): ConnectErrorDetails {
  const parsed = ConnectErrorDetailsSchema.safeParse(error?.details)
  return parsed.success ? parsed.data : {}
}

/** Parses one inbound text frame; returns undefined for anything that is not a well-formed frame. */
export function parseInboundFrame(data: string): InboundFrame | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(data)
  } catch {
    return undefined
  }
  const parsed = InboundFrameSchema.safeParse(raw)
  return parsed.success ? parsed.data : undefined
}
