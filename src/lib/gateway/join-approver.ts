/**
 * Approves the nodes clawops provisioned, and only those (see join-proof.ts for the proof).
 *
 * For a pending device pairing (`device.pair.list` / `device.pair.requested`):
 * - anything that is not a scopeless `node-host` asking for the `node` role only is left alone:
 *   operator devices, browsers and phones are for a human to approve, never for clawops;
 * - a clawnode display name without a proof is left alone too (a node installed by hand);
 * - a valid proof for an instance whose join secret is still unbound, or bound to this very device,
 *   is approved and the secret is bound to the device;
 * - a proof that does not verify, an instance clawops never issued a secret for, or an instance
 *   already bound to another device is rejected: something is claiming to be a clawops node.
 * Command-surface requests (`node.pair.list` / `node.pair.requested`) are approved for a device that
 * is bound to its instance (or proves itself the same way), and only when every declared command is
 * a clawnode command; anything else is rejected or left for a human.
 */
import type { Logger } from '../log.js'
import { type GatewayClient, GatewayRpcError } from './client.js'
import { parseNodeDisplayName, verifyJoinProof } from './join-proof.js'
import { isClawnodeCommand } from './node-commands.js'
import {
  approveDevice,
  approveSurface,
  listDevicePairings,
  listSurfaceRequests,
  type PendingDevice,
  PendingDeviceSchema,
  type PendingSurface,
  PendingSurfaceSchema,
  rejectDevice,
  rejectSurface,
} from './pairing.js'

export interface JoinRecord {
  /** The join secret clawops issued for the instance. */
  secret: string
  /** The device that already joined with it, if any: the secret is one-time. */
  boundDeviceId?: string | null
  /** The gateway shard it was issued for: only that gateway's approver admits a node with it. */
  gateway?: string | null
}

/** Where clawops keeps issued join secrets; the fleet store implements it in production. */
export interface JoinRegistry {
  lookup(instanceId: string): JoinRecord | undefined | Promise<JoinRecord | undefined>
  bind(instanceId: string, deviceId: string): void | Promise<void>
  /**
   * Called before an approval or a rejection reaches the gateway: who the fleet trusts changes, so
   * the production registry writes the audit entry here, before the effect.
   */
  before?(d: {
    kind: 'device' | 'surface'
    requestId: string
    deviceId: string
    verdict: Verdict
    gateway?: string
  }): void
}

export type Verdict =
  | { action: 'approve'; instanceId: string; reason: string }
  | { action: 'reject'; instanceId?: string; reason: string }
  | { action: 'ignore'; instanceId?: string; reason: string }

async function proveInstance(
  displayName: string | undefined,
  deviceId: string,
  registry: JoinRegistry,
  allowBoundWithoutProof: boolean,
  shard: string | undefined,
): Promise<Verdict> {
  const parsed = parseNodeDisplayName(displayName)
  if (!parsed) return { action: 'ignore', reason: 'not a clawnode' }
  const { instanceId, proof } = parsed
  const record = await registry.lookup(instanceId)
  if (shard !== undefined && record?.gateway && record.gateway !== shard) {
    // A node of the fleet at the wrong gateway (a stale config, a move that went back): it is not
    // an impostor, and it is not admitted here either.
    return {
      action: 'ignore',
      instanceId,
      reason: `its join secret is for gateway ${record.gateway}, not ${shard}`,
    }
  }
  if (!proof) {
    if (allowBoundWithoutProof && record?.boundDeviceId === deviceId) {
      return { action: 'approve', instanceId, reason: 'device already joined as this instance' }
    }
    return { action: 'ignore', instanceId, reason: 'clawnode without a join proof; needs a human' }
  }
  if (!record) return { action: 'reject', instanceId, reason: 'no join secret was issued for this instance' }
  if (!verifyJoinProof(record.secret, instanceId, deviceId, proof)) {
    return { action: 'reject', instanceId, reason: 'join proof does not verify' }
  }
  if (record.boundDeviceId && record.boundDeviceId !== deviceId) {
    return { action: 'reject', instanceId, reason: 'instance already joined by another device' }
  }
  return { action: 'approve', instanceId, reason: 'join proof verified' }
}

export async function judgeDevice(
  p: PendingDevice,
  registry: JoinRegistry,
  shard?: string,
): Promise<Verdict> {
  const roles = p.roles ?? (p.role ? [p.role] : [])
  const nodeOnly = roles.length > 0 && roles.every((r) => r === 'node')
  if (!nodeOnly || (p.scopes?.length ?? 0) > 0 || p.clientId !== 'node-host' || p.clientMode !== 'node') {
    return { action: 'ignore', reason: 'not a scopeless node-host asking for the node role' }
  }
  const verdict = await proveInstance(p.displayName, p.deviceId, registry, false, shard)
  if (
    verdict.action === 'approve' &&
    (await registry.lookup(verdict.instanceId))?.boundDeviceId === p.deviceId
  ) {
    // Already joined. Approving a second request for a paired device makes the gateway rotate its
    // token and invalidate the live connection; a device removed from the gateway needs a new join.
    return {
      action: 'ignore',
      instanceId: verdict.instanceId,
      reason: 'device already joined; not approving it twice',
    }
  }
  return verdict
}

export async function judgeSurface(
  p: PendingSurface,
  registry: JoinRegistry,
  shard?: string,
): Promise<Verdict> {
  const verdict = await proveInstance(p.displayName, p.nodeId, registry, true, shard)
  if (verdict.action !== 'approve') return verdict
  const foreign = p.commands.filter((c) => !isClawnodeCommand(c))
  if (foreign.length > 0) {
    return {
      action: 'reject',
      instanceId: verdict.instanceId,
      reason: `declares non-clawnode commands: ${foreign.join(', ')}`,
    }
  }
  return verdict
}

export interface JoinDecision {
  kind: 'device' | 'surface'
  requestId: string
  deviceId: string
  instanceId?: string
  /** The gateway shard the request was on. */
  gateway?: string
  action: 'approved' | 'rejected' | 'ignored' | 'gone'
  reason: string
}

async function act(
  kind: 'device' | 'surface',
  requestId: string,
  deviceId: string,
  verdict: Verdict,
  client: GatewayClient,
  registry: JoinRegistry,
  shard: string | undefined,
): Promise<JoinDecision> {
  const base = {
    kind,
    requestId,
    deviceId,
    ...(verdict.instanceId ? { instanceId: verdict.instanceId } : {}),
    ...(shard ? { gateway: shard } : {}),
  }
  try {
    if (verdict.action !== 'ignore')
      registry.before?.({ kind, requestId, deviceId, verdict, ...(shard ? { gateway: shard } : {}) })
    if (verdict.action === 'approve') {
      await (kind === 'device' ? approveDevice(client, requestId) : approveSurface(client, requestId))
      await registry.bind(verdict.instanceId, deviceId)
      return { ...base, action: 'approved', reason: verdict.reason }
    }
    if (verdict.action === 'reject') {
      await (kind === 'device' ? rejectDevice(client, requestId) : rejectSurface(client, requestId))
      return { ...base, action: 'rejected', reason: verdict.reason }
    }
    return { ...base, action: 'ignored', reason: verdict.reason }
  } catch (err) {
    // Another approver (or a human) resolved it first, or it expired: nothing left to do.
    if (err instanceof GatewayRpcError) return { ...base, action: 'gone', reason: err.message }
    throw err
  }
}

export async function reviewDevice(
  client: GatewayClient,
  registry: JoinRegistry,
  p: PendingDevice,
  shard?: string,
) {
  return act(
    'device',
    p.requestId,
    p.deviceId,
    await judgeDevice(p, registry, shard),
    client,
    registry,
    shard,
  )
}

export async function reviewSurface(
  client: GatewayClient,
  registry: JoinRegistry,
  p: PendingSurface,
  shard?: string,
) {
  return act(
    'surface',
    p.requestId,
    p.nodeId,
    await judgeSurface(p, registry, shard),
    client,
    registry,
    shard,
  )
}

/**
 * One pass over everything pending on the gateway. With `shard`, a node whose join secret was issued
 * for another gateway shard is left alone.
 */
export async function reviewPendingJoins(
  client: GatewayClient,
  registry: JoinRegistry,
  shard?: string,
): Promise<JoinDecision[]> {
  const decisions: JoinDecision[] = []
  const devices = await listDevicePairings(client)
  const paired = new Set(devices.paired.map((d) => d.deviceId))
  for (const p of devices.pending) {
    if (paired.has(p.deviceId)) {
      // A repair or upgrade request from a device that is already paired is for a human.
      decisions.push({
        kind: 'device',
        requestId: p.requestId,
        deviceId: p.deviceId,
        action: 'ignored',
        reason: 'device is already paired',
        ...(shard ? { gateway: shard } : {}),
      })
      continue
    }
    decisions.push(await reviewDevice(client, registry, p, shard))
  }
  const surfaces = await listSurfaceRequests(client)
  for (const p of surfaces.pending) decisions.push(await reviewSurface(client, registry, p, shard))
  return decisions
}

/**
 * Keeps approving while it runs: reacts to `device.pair.requested` / `node.pair.requested` events
 * and sweeps everything pending on start, on every reconnect and every `sweepMs`, because events are
 * best effort (the gateway drops them for slow subscribers). Reviews run a few at a time, but never
 * two for the same instance at once (the one-time join secret must bind exactly one device), and a
 * request already under review or decided is not reviewed again by the next sweep.
 */
export class JoinApprover {
  private readonly offs: Array<() => void> = []
  private timer: NodeJS.Timeout | undefined
  private readonly active = new Set<string>()
  private readonly decided = new Map<string, number>()
  private readonly instanceLocks = new Map<string, Promise<unknown>>()
  private running = 0
  private readonly waiting: Array<() => void> = []
  private sweeping: Promise<JoinDecision[]> | undefined

  constructor(
    private readonly client: GatewayClient,
    private readonly registry: JoinRegistry,
    private readonly opts: {
      logger?: Logger
      sweepMs?: number
      concurrency?: number
      onDecision?: (d: JoinDecision) => void
      /** The gateway shard this approver runs on: it admits only nodes whose secret is for it. */
      shard?: string
    } = {},
  ) {}

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running >= (this.opts.concurrency ?? 4)) await new Promise<void>((r) => this.waiting.push(r))
    this.running++
    try {
      return await fn()
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }

  private locked<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (!key) return fn()
    const prev = this.instanceLocks.get(key) ?? Promise.resolve()
    const run = prev.then(fn, fn)
    const tail = run.catch(() => undefined)
    this.instanceLocks.set(key, tail)
    void tail.then(() => {
      if (this.instanceLocks.get(key) === tail) this.instanceLocks.delete(key)
    })
    return run
  }

  private async review(
    kind: 'device' | 'surface',
    p: PendingDevice | PendingSurface,
  ): Promise<JoinDecision | undefined> {
    const id = p.requestId
    if (this.active.has(id) || this.decided.has(id)) return undefined
    this.active.add(id)
    try {
      const instanceId = parseNodeDisplayName(p.displayName)?.instanceId
      const d = await this.slot(() =>
        this.locked(instanceId, () =>
          kind === 'device'
            ? reviewDevice(this.client, this.registry, p as PendingDevice, this.opts.shard)
            : reviewSurface(this.client, this.registry, p as PendingSurface, this.opts.shard),
        ),
      )
      this.decided.set(id, Date.now())
      if (d.action !== 'ignored') this.opts.logger?.info(d, `join ${d.kind} ${d.action}`)
      this.opts.onDecision?.(d)
      return d
    } catch (err) {
      this.opts.logger?.warn(
        { requestId: id, err: String(err) },
        'join review failed; the next sweep retries it',
      )
      return undefined
    } finally {
      this.active.delete(id)
    }
  }

  /** One pass over everything pending; a sweep requested while one runs joins it. */
  sweep(): Promise<JoinDecision[]> {
    this.sweeping ??= (async () => {
      // Decisions are remembered for a minute so a request is not re-reviewed on every sweep.
      const cutoff = Date.now() - 60_000
      for (const [id, at] of this.decided) if (at < cutoff) this.decided.delete(id)
      const [devices, surfaces] = await Promise.all([
        listDevicePairings(this.client),
        listSurfaceRequests(this.client),
      ])
      const paired = new Set(devices.paired.map((d) => d.deviceId))
      const reviews: Array<Promise<JoinDecision | undefined>> = []
      for (const p of devices.pending) {
        // A repair or upgrade request from a device that is already paired is for a human.
        if (!paired.has(p.deviceId)) reviews.push(this.review('device', p))
      }
      for (const p of surfaces.pending) reviews.push(this.review('surface', p))
      return (await Promise.all(reviews)).filter((d): d is JoinDecision => d !== undefined)
    })().finally(() => {
      this.sweeping = undefined
    })
    return this.sweeping
  }

  start(): Promise<JoinDecision[]> {
    this.offs.push(
      this.client.on('device.pair.requested', (payload) => {
        const p = PendingDeviceSchema.safeParse(payload)
        if (p.success) void this.review('device', p.data)
      }),
      this.client.on('node.pair.requested', (payload) => {
        const p = PendingSurfaceSchema.safeParse(payload)
        if (p.success) void this.review('surface', p.data)
      }),
      this.client.onConnection((state) => {
        if (state === 'connected') void this.sweep().catch(() => {})
      }),
    )
    this.timer = setInterval(() => void this.sweep().catch(() => {}), this.opts.sweepMs ?? 30_000)
    this.timer.unref()
    return this.sweep()
  }

  stop(): void {
    clearInterval(this.timer)
    for (const off of this.offs.splice(0)) off()
  }
}

/** A JoinRegistry in memory: for tests, the lab and swarms (with a derive function for swarm ids). */
export class MemoryJoinRegistry implements JoinRegistry {
  private readonly records = new Map<string, JoinRecord>()

  constructor(private readonly derive?: (instanceId: string) => string | undefined) {}

  issue(instanceId: string, secret: string): void {
    this.records.set(instanceId, { secret, boundDeviceId: null })
  }

  lookup(instanceId: string): JoinRecord | undefined {
    const rec = this.records.get(instanceId)
    if (rec) return rec
    const secret = this.derive?.(instanceId)
    if (!secret) return undefined
    const derived = { secret, boundDeviceId: null }
    this.records.set(instanceId, derived)
    return derived
  }

  bind(instanceId: string, deviceId: string): void {
    const rec = this.lookup(instanceId)
    if (rec) rec.boundDeviceId = deviceId
  }

  boundDevice(instanceId: string): string | null | undefined {
    return this.records.get(instanceId)?.boundDeviceId
  }
}
