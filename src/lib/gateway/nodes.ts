/**
 * Typed node helpers over the gateway RPCs `node.list`, `node.describe`, `node.rename` and
 * `node.invoke`. Gateway and node failures become UserErrors with stable codes; the node's own error
 * code is kept in `details.nodeCode`.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { UserError } from '../errors.js'
import { backoffDelay } from './backoff.js'
import { type GatewayClient, GatewayRpcError } from './client.js'
import { parseNodeDisplayName } from './join-proof.js'

export const GatewayNodeSchema = z.looseObject({
  nodeId: z.string(),
  displayName: z.string().optional(),
  platform: z.string().optional(),
  version: z.string().optional(),
  clientId: z.string().optional(),
  caps: z.array(z.string()).default([]),
  commands: z.array(z.string()).default([]),
  approvalState: z.string().optional(),
  paired: z.boolean().default(false),
  connected: z.boolean().default(false),
  connectedAtMs: z.number().optional(),
  lastConnectedAtMs: z.number().optional(),
  lastDisconnectedAtMs: z.number().optional(),
  lastSeenAtMs: z.number().optional(),
})
export type GatewayNode = z.infer<typeof GatewayNodeSchema> & { instanceId?: string }

const NodeListSchema = z.looseObject({ nodes: z.array(GatewayNodeSchema) })

function withInstance(n: z.infer<typeof GatewayNodeSchema>): GatewayNode {
  const parsed = parseNodeDisplayName(n.displayName)
  return parsed ? { ...n, instanceId: parsed.instanceId } : n
}

/** Every node the gateway knows (paired or connected), with the clawops instance id when it has one. */
export async function listNodes(client: GatewayClient): Promise<GatewayNode[]> {
  const res = NodeListSchema.parse(await client.request('node.list', {}))
  return res.nodes.map(withInstance)
}

export async function describeNode(client: GatewayClient, nodeId: string): Promise<GatewayNode> {
  try {
    return withInstance(GatewayNodeSchema.parse(await client.request('node.describe', { nodeId })))
  } catch (err) {
    if (err instanceof GatewayRpcError)
      throw new UserError('NOT_FOUND', `node ${nodeId} is not known to the gateway`)
    throw err
  }
}

export async function renameNode(client: GatewayClient, nodeId: string, displayName: string): Promise<void> {
  await client.request('node.rename', { nodeId, displayName })
}

export interface InvokeOptions {
  nodeId: string
  command: string
  params?: unknown
  timeoutMs?: number
  /** Reuse the same key when retrying: the node answers a repeated key with the first result. */
  idempotencyKey?: string
}

const InvokeResultSchema = z.looseObject({
  ok: z.boolean().optional(),
  nodeId: z.string().optional(),
  command: z.string().optional(),
  payload: z.unknown().optional(),
  payloadJSON: z.string().nullable().optional(),
})

const NodeErrorSchema = z.looseObject({
  nodeError: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
  code: z.string().optional(),
  reason: z.string().optional(),
  nodeCommandDispatched: z.boolean().optional(),
})

/** Maps a node-side error code onto the clawops taxonomy; the node's code stays in details. */
export function codeForNodeError(nodeCode: string | undefined) {
  switch (nodeCode) {
    case 'TIMEOUT':
      return 'TIMEOUT' as const
    case 'POLICY_DENIED':
      return 'POLICY_DENIED' as const
    case 'INVALID_PARAMS':
    case 'UNKNOWN_COMMAND':
      return 'INVALID_INPUT' as const
    case 'NOT_FOUND':
      return 'NOT_FOUND' as const
    case 'CONFLICT':
      return 'CONFLICT' as const
    default:
      return 'NODE_ERROR' as const
  }
}

export function invokeError(err: GatewayRpcError, o: { nodeId: string; command: string }): UserError {
  const d = NodeErrorSchema.safeParse(err.details)
  const details = d.success ? d.data : {}
  const base = { nodeId: o.nodeId, command: o.command, gatewayCode: err.code }
  if (details.nodeError && details.nodeCommandDispatched !== false) {
    const nodeCode = details.nodeError.code
    return new UserError(codeForNodeError(nodeCode), details.nodeError.message ?? err.message, {
      details: { ...base, nodeCode },
    })
  }
  const gwCode = details.code ?? details.nodeError?.code
  if (gwCode === 'NOT_CONNECTED') {
    return new UserError('NODE_ERROR', `node ${o.nodeId} is not connected to the gateway`, {
      hint: 'Check the instance with `clawops instance health`; the node reconnects by itself once its host is up.',
      details: { ...base, nodeCode: gwCode },
    })
  }
  if (details.reason === 'command not allowlisted') {
    return new UserError('POLICY_DENIED', err.message, {
      hint: 'The gateway does not allow this command: run `clawops gateway setup`, then let the node reconnect.',
      details: base,
    })
  }
  if (/pending approval|did not declare/.test(err.message)) {
    return new UserError('NODE_ERROR', err.message, {
      hint: 'The node command surface is not approved yet (clawops approves nodes it provisioned).',
      details: base,
    })
  }
  if (/timed? ?out/i.test(err.message) || err.code === 'TIMEOUT' || gwCode === 'TIMEOUT') {
    return new UserError('TIMEOUT', err.message, { details: base })
  }
  return new UserError('NODE_ERROR', err.message, {
    details: { ...base, ...(gwCode ? { nodeCode: gwCode } : {}) },
  })
}

/**
 * Refusals the gateway gives under load ("server is busy", "worker task capacity reached") or for a
 * pairing change mid-call ("pairing authority requires a current worker publication", right after an
 * approval). They are worth retrying, with the same idempotency key, which makes a
 * retry safe even if the first attempt did reach the node.
 */
export function isTransientInvokeError(err: GatewayRpcError): boolean {
  return (
    err.retryable ||
    (err.code === 'UNAVAILABLE' && /busy|overloaded|capacity|worker publication/i.test(err.message))
  )
}

/** Runs one command on one node through the gateway and returns the node's parsed result. */
export async function invokeNode<T = unknown>(client: GatewayClient, o: InvokeOptions): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  const idempotencyKey = o.idempotencyKey ?? randomUUID()
  let raw: unknown
  for (let attempt = 0; ; attempt++) {
    const remaining = Math.max(1, deadline - Date.now())
    const params = {
      nodeId: o.nodeId,
      command: o.command,
      ...(o.params === undefined ? {} : { params: o.params }),
      timeoutMs: remaining,
      idempotencyKey,
    }
    try {
      // The gateway enforces timeoutMs itself; our own deadline only guards against a silent gateway.
      raw = await client.request('node.invoke', params, { timeoutMs: remaining + 5_000 })
      break
    } catch (err) {
      if (!(err instanceof GatewayRpcError)) throw err
      const delay = backoffDelay(attempt, { minMs: 100, maxMs: 2_000 })
      if (isTransientInvokeError(err) && Date.now() + delay < deadline - 100) {
        await sleep(delay)
        continue
      }
      throw invokeError(err, o)
    }
  }
  const res = InvokeResultSchema.parse(raw)
  if (res.payload !== undefined) return res.payload as T
  if (res.payloadJSON) return JSON.parse(res.payloadJSON) as T
  return null as T
}

export type InvokeAllResult<T> =
  | { nodeId: string; ok: true; result: T; ms: number }
  | { nodeId: string; ok: false; error: ReturnType<UserError['toBody']>; ms: number }

/**
 * Runs one command on many nodes with at most `concurrency` in flight, never throwing for a single
 * node: each target gets its own result or error body (for per-instance result tables).
 */
export async function invokeAll<T = unknown>(
  client: GatewayClient,
  nodeIds: readonly string[],
  o: Omit<InvokeOptions, 'nodeId' | 'idempotencyKey'> & {
    concurrency?: number
    onResult?: (r: InvokeAllResult<T>, done: number) => void
  },
): Promise<InvokeAllResult<T>[]> {
  const results: InvokeAllResult<T>[] = new Array(nodeIds.length)
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < nodeIds.length) {
      const i = next++
      const nodeId = nodeIds[i]!
      const t0 = performance.now()
      let r: InvokeAllResult<T>
      try {
        const result = await invokeNode<T>(client, { ...o, nodeId })
        r = { nodeId, ok: true, result, ms: Math.round(performance.now() - t0) }
      } catch (err) {
        const body =
          err instanceof UserError
            ? err.toBody()
            : { code: 'INTERNAL' as const, message: err instanceof Error ? err.message : String(err) }
        r = { nodeId, ok: false, error: body, ms: Math.round(performance.now() - t0) }
      }
      results[i] = r
      o.onResult?.(r, ++done)
    }
  }
  const n = Math.max(1, Math.min(o.concurrency ?? 64, nodeIds.length))
  await Promise.all(Array.from({ length: n }, worker))
  return results
}
