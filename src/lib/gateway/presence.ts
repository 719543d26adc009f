/**
 * Node connect/disconnect as clawops sees it. The gateway has no per-node connect event for
 * operators; it broadcasts `presence` with the whole presence list on every change (node entries
 * carry `mode: "node"`, the `deviceId`, the display name as `host`, and `reason: "connect"` or
 * `"disconnect"`), and the hello snapshot carries the same list. This module diffs consecutive lists
 * into per-node transitions.
 */
import { z } from 'zod'
import type { GatewayClient } from './client.js'
import { parseNodeDisplayName } from './join-proof.js'

const PresenceEntrySchema = z.looseObject({
  mode: z.string().optional(),
  deviceId: z.string().optional(),
  host: z.string().optional(),
  reason: z.string().optional(),
  ts: z.number().optional(),
})
const PresenceListSchema = z.array(PresenceEntrySchema)
const PresenceEventSchema = z.looseObject({ presence: PresenceListSchema })
const SnapshotSchema = z.looseObject({ presence: PresenceListSchema.optional() })

export interface NodePresence {
  nodeId: string
  instanceId?: string
  connected: boolean
  reason: string
  ts?: number
}

export function nodePresence(entries: z.infer<typeof PresenceListSchema>): Map<string, NodePresence> {
  const out = new Map<string, NodePresence>()
  for (const e of entries) {
    if (e.mode !== 'node' || !e.deviceId) continue
    const instanceId = parseNodeDisplayName(e.host)?.instanceId
    out.set(e.deviceId, {
      nodeId: e.deviceId,
      ...(instanceId ? { instanceId } : {}),
      connected: e.reason !== 'disconnect',
      reason: e.reason ?? 'unknown',
      ...(e.ts === undefined ? {} : { ts: e.ts }),
    })
  }
  return out
}

/**
 * Calls `onChange` for every node whose connected state changes (and once for every node present
 * when watching starts). Survives client reconnects: the new hello snapshot is diffed like an event.
 */
export function watchNodePresence(client: GatewayClient, onChange: (p: NodePresence) => void): () => void {
  let known = new Map<string, NodePresence>()
  const apply = (next: Map<string, NodePresence>) => {
    for (const [id, p] of next) {
      if (known.get(id)?.connected !== p.connected) onChange(p)
    }
    known = next
  }
  const seed = (snapshot: unknown) => {
    const s = SnapshotSchema.safeParse(snapshot)
    if (s.success && s.data.presence) apply(nodePresence(s.data.presence))
  }
  seed(client.hello.snapshot)
  const offEvent = client.on('presence', (payload) => {
    const p = PresenceEventSchema.safeParse(payload)
    if (p.success) apply(nodePresence(p.data.presence))
  })
  const offConn = client.onConnection((state, info) => {
    if (state === 'connected' && info.hello) seed(info.hello.snapshot)
  })
  return () => {
    offEvent()
    offConn()
  }
}
