/**
 * One instance of an upgrade rollout, through its gf-clawnode. The node does the dangerous part
 * (clawnode/openclaw-upgrade.ts: snapshot, swap, readiness, doctor, put back on failure;
 * clawnode/self-update.ts: checksum, swap, restart, probation); this side asks, waits and records.
 *
 * Nothing is upgraded twice. Before the node is asked, the row moves to `upgrading` (in the
 * transaction that audits it) and the request carries a key fixed per rollout and instance. The
 * node keeps a record per key on disk: a repeat (a timed-out call, a resumed rollout after clawops
 * was killed) joins the upgrade still running or answers with its outcome, even after the node
 * restarted. So a row left `upgrading` is settled by asking again with the same key.
 */
import type { Context } from '../context.js'
import type { InstanceState } from '../domain/instance.js'
import { UserError } from '../errors.js'
import type { NodeInvoker, NodeTarget } from '../gateway/link.js'
import type { ClawnodeCommand } from '../gateway/node-commands.js'
import { AuditTrail } from '../store/audit-trail.js'
import { Instances } from '../store/instances.js'
import {
  type UpgradeOutcome,
  type UpgradeRollout,
  UpgradeRollouts,
  type UpgradeTarget,
  type UpgradeTargetPatch,
} from '../store/upgrade-rollouts.js'

/** States whose gateway runs and may be upgraded. */
export const UPGRADABLE_STATES: ReadonlySet<InstanceState> = new Set(['ACTIVE', 'DEGRADED'])

export const TIMEOUTS = {
  /** One call; the upgrade itself may take longer, and the call is repeated with the same key. */
  callMs: 300_000,
  /** The whole OpenClaw upgrade of one instance: fetch, snapshot, start, readiness, doctor, maybe a rollback. */
  openclawMs: 45 * 60_000,
  readMs: 15_000,
  healthMs: 15_000,
  /** Between polls while a node replaces itself. */
  pollMs: 1_000,
}

export interface UpgradeEnv {
  ctx: Context
  invoker: NodeInvoker
  rollout: UpgradeRollout
  actor: string
  opId: string
  planId: string
  /** Audit action of the per-instance record. */
  action: string
  rejoinTimeoutMs: number
  sleep(ms: number): Promise<void>
}

/** What gf-clawnode's openclaw.update and openclaw.rollback answer (clawnode/openclaw-upgrade.ts). */
interface NodeUpgradeResult {
  outcome:
    | 'upgraded'
    | 'unchanged'
    | 'blocked'
    | 'skipped'
    | 'failed'
    | 'rolled-back'
    | 'reverted'
    | 'superseded'
    | 'not-applied'
  reason: string | null
  detail: string
  from: string | null
  to: string
  version: string | null
  healthy: boolean | null
  state: { intact: boolean; keptAside: string } | null
  ms: number
}

/** What clawnode.update answers (clawnode/self-update.ts). */
interface SelfUpdateResult {
  key: string
  outcome: 'restarting' | 'upgraded' | 'unchanged' | 'rolled-back' | 'failed'
  reason: string | null
  detail: string
  from: string
  to: string
  version: string
}

interface VersionResult {
  openclaw: { version: string | null }
  clawnode: {
    version: string
    pending: { key: string } | null
    last: { key: string; outcome: string } | null
    rolledBack: { key: string; from: string; to: string } | null
  }
}

export function keyOf(rolloutId: string, instanceId: string, what: 'upgrade' | 'revert'): string {
  return `clawops/${rolloutId}/${instanceId}/${what}`
}

function nodeCode(err: unknown): string | undefined {
  return ((err as UserError).details as { nodeCode?: string } | undefined)?.nodeCode
}

export function isGatewayDown(err: unknown): boolean {
  return err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE'
}

function isTimeout(err: unknown): boolean {
  return (err instanceof UserError && err.code === 'TIMEOUT') || nodeCode(err) === 'TIMEOUT'
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500)
}

function invoke<T>(
  env: UpgradeEnv,
  node: NodeTarget,
  command: ClawnodeCommand,
  params: Record<string, unknown>,
  timeoutMs: number,
  key?: string,
): Promise<T> {
  return env.invoker.invoke<T>(node, command, params, timeoutMs, key ? { idempotencyKey: key } : undefined)
}

interface Verdict extends UpgradeTargetPatch {
  outcome: UpgradeOutcome
  reason?: string | null
  detail?: string | null
}

/** Records an instance's outcome and its audit entry in one transaction. */
function finish(env: UpgradeEnv, t: UpgradeTarget, v: Verdict): UpgradeTarget {
  const store = env.ctx.store()
  return store.tx(() => {
    const row = store.repo(UpgradeRollouts).updateTarget(t.rolloutId, t.instanceId, {
      ...v,
      state: 'done',
      reason: v.reason ?? null,
      detail: v.detail ?? null,
    })
    store.repo(AuditTrail).append({
      actor: env.actor,
      identity: env.ctx.identity,
      action: env.action,
      target: t.instanceId,
      opId: env.opId,
      planId: env.planId,
      outcome: v.outcome === 'upgraded' || v.outcome === 'unchanged' ? 'ok' : 'failed',
      details: {
        rolloutId: t.rolloutId,
        target: env.rollout.targetVersion,
        outcome: v.outcome,
        reason: row.reason,
        from: row.fromVersion,
        version: row.version,
        rolledBack: row.rolledBack,
        stateIntact: row.stateIntact,
      },
    })
    return row
  })
}

function lookup(env: UpgradeEnv, instanceId: string): { node: NodeTarget; state: InstanceState | null } {
  const row = env.ctx.store().repo(Instances).nodeAndState(instanceId)
  return { node: { id: instanceId, nodeId: row?.nodeId ?? null }, state: row?.state ?? null }
}

/** A node's refusal before it changed anything, or a failure whose outcome the node's record keeps. */
function callFailure(err: unknown, what: string): Verdict {
  if (isGatewayDown(err)) throw err
  const code = nodeCode(err)
  if (code === 'NOT_CONNECTED')
    return {
      outcome: 'failed',
      reason: 'unreachable',
      detail: `node not connected (${what}); a resume or a rollback asks it again under the same key`,
    }
  if (code === 'UNAVAILABLE')
    return { outcome: 'failed', reason: 'unsupported', detail: `${what}: ${messageOf(err)}` }
  if (code === 'INVALID_PARAMS')
    return { outcome: 'failed', reason: 'invalid', detail: `${what}: ${messageOf(err)}` }
  if (code === 'CONFLICT') return { outcome: 'failed', reason: 'busy', detail: `${what}: ${messageOf(err)}` }
  if (isTimeout(err)) return { outcome: 'failed', reason: 'timeout', detail: `${what}: ${messageOf(err)}` }
  if (err instanceof UserError && err.code === 'POLICY_DENIED')
    return { outcome: 'failed', reason: 'denied', detail: messageOf(err) }
  return { outcome: 'failed', reason: 'node-error', detail: `${what}: ${messageOf(err)}` }
}

/** Upgrades one instance (or settles one a crash left `upgrading`). */
export async function upgradeInstance(env: UpgradeEnv, t: UpgradeTarget): Promise<UpgradeTarget> {
  if (t.state === 'done') return t
  const { node, state } = lookup(env, t.instanceId)
  let row = t
  if (t.state === 'pending') {
    if (!state)
      return finish(env, t, { outcome: 'skipped', reason: 'gone', detail: 'no longer in the fleet' })
    if (!UPGRADABLE_STATES.has(state))
      return finish(env, t, { outcome: 'skipped', reason: 'state', detail: `the instance is ${state}` })
    const store = env.ctx.store()
    row = store.tx(() => {
      store.repo(AuditTrail).append({
        actor: env.actor,
        identity: env.ctx.identity,
        action: env.action,
        target: t.instanceId,
        opId: env.opId,
        planId: env.planId,
        outcome: 'intent',
        details: {
          rolloutId: t.rolloutId,
          target: env.rollout.targetVersion,
          key: keyOf(t.rolloutId, t.instanceId, 'upgrade'),
        },
      })
      return store
        .repo(UpgradeRollouts)
        .updateTarget(t.rolloutId, t.instanceId, { state: 'upgrading', attempts: t.attempts + 1 })
    })
  }
  return env.rollout.kind === 'clawnode'
    ? upgradeClawnode(env, row, node, t.state === 'upgrading')
    : upgradeOpenclaw(env, row, node)
}

function release(env: UpgradeEnv) {
  const r = env.rollout.release
  if (!r) throw new Error(`rollout ${env.rollout.id} has no release`)
  return r
}

async function upgradeOpenclaw(env: UpgradeEnv, t: UpgradeTarget, node: NodeTarget): Promise<UpgradeTarget> {
  const rel = release(env)
  const key = keyOf(t.rolloutId, t.instanceId, 'upgrade')
  const deadline = Date.now() + TIMEOUTS.openclawMs
  let r: NodeUpgradeResult
  for (;;) {
    try {
      r = await invoke<NodeUpgradeResult>(
        env,
        node,
        'openclaw.update',
        { version: rel.version, sha256: rel.sha256, key },
        Math.max(5_000, Math.min(TIMEOUTS.callMs, deadline - Date.now())),
        key,
      )
      break
    } catch (err) {
      // The upgrade goes on on the node past a call's deadline; the same key joins it.
      if (isTimeout(err) && Date.now() < deadline) continue
      return finish(env, t, callFailure(err, 'openclaw.update'))
    }
  }
  env.ctx.store().repo(UpgradeRollouts).recordVersions(t.instanceId, { openclaw: r.version })
  const base = { fromVersion: r.from, version: r.version, healthy: r.healthy, ms: r.ms, detail: r.detail }
  switch (r.outcome) {
    case 'upgraded':
      return finish(env, t, { ...base, outcome: 'upgraded' })
    case 'unchanged':
      return finish(env, t, { ...base, outcome: 'unchanged' })
    case 'blocked':
      return finish(env, t, { ...base, outcome: 'blocked', reason: r.reason })
    case 'skipped':
      return finish(env, t, { ...base, outcome: 'skipped', reason: r.reason })
    case 'rolled-back':
      return finish(env, t, {
        ...base,
        outcome: 'failed',
        reason: r.reason,
        rolledBack: true,
        stateIntact: r.state?.intact ?? null,
      })
    default:
      return finish(env, t, { ...base, outcome: 'failed', reason: r.reason ?? 'node-error' })
  }
}

async function upgradeClawnode(
  env: UpgradeEnv,
  t: UpgradeTarget,
  node: NodeTarget,
  resumed: boolean,
): Promise<UpgradeTarget> {
  const rel = release(env)
  const key = keyOf(t.rolloutId, t.instanceId, 'upgrade')
  const t0 = Date.now()
  let r: SelfUpdateResult | null = null
  try {
    r = await invoke<SelfUpdateResult>(
      env,
      node,
      'clawnode.update',
      { version: rel.version, sha256: rel.sha256, key },
      TIMEOUTS.callMs,
      key,
    )
  } catch (err) {
    // Asked before (a resume), or the call outlived its deadline: the node may be restarting right
    // now; its answer comes when it is back.
    const restarting = isTimeout(err) || (resumed && nodeCode(err) === 'NOT_CONNECTED')
    if (!restarting) return finish(env, t, callFailure(err, 'clawnode.update'))
  }
  if (r) {
    const base = { fromVersion: r.from, version: r.version, detail: r.detail }
    if (r.outcome === 'unchanged' || r.outcome === 'upgraded') {
      env.ctx.store().repo(UpgradeRollouts).recordVersions(t.instanceId, { clawnode: r.version })
      return finish(env, t, { ...base, outcome: r.outcome, healthy: true, ms: Date.now() - t0 })
    }
    if (r.outcome === 'rolled-back')
      return finish(env, t, {
        ...base,
        outcome: 'failed',
        reason: r.reason ?? 'rolled-back',
        rolledBack: true,
      })
    if (r.outcome === 'failed')
      return finish(env, t, { ...base, outcome: 'failed', reason: r.reason ?? 'node-error' })
  }
  // It is restarting into the new release: wait until it answers again, on the same node id (its own
  // device, its stored token: no new pairing), committed or rolled back by its service manager.
  const deadline = Date.now() + env.rejoinTimeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    await env.sleep(TIMEOUTS.pollMs)
    let v: VersionResult
    try {
      v = await invoke<VersionResult>(env, node, 'openclaw.version', {}, TIMEOUTS.readMs)
    } catch (err) {
      if (isGatewayDown(err)) throw err
      last = messageOf(err)
      continue
    }
    const c = v.clawnode
    if (c.rolledBack?.key === key) {
      env.ctx.store().repo(UpgradeRollouts).recordVersions(t.instanceId, { clawnode: c.version })
      return finish(env, t, {
        outcome: 'failed',
        reason: 'did-not-come-back',
        detail: `${c.rolledBack.to} did not come back; its service manager put ${c.rolledBack.from} back`,
        fromVersion: c.rolledBack.from,
        version: c.version,
        rolledBack: true,
        healthy: true,
        ms: Date.now() - t0,
      })
    }
    if (c.last?.key === key && c.version === rel.version && !c.pending) {
      env.ctx.store().repo(UpgradeRollouts).recordVersions(t.instanceId, { clawnode: c.version })
      return finish(env, t, {
        outcome: 'upgraded',
        detail: `rejoined as ${c.version} with its stored device token`,
        fromVersion: r?.from ?? null,
        version: c.version,
        healthy: true,
        ms: Date.now() - t0,
      })
    }
    last = c.pending ? `on probation as ${c.version}` : `answers as ${c.version}`
  }
  return finish(env, t, {
    outcome: 'failed',
    reason: 'not-back',
    detail: `did not come back as ${rel.version} within ${Math.round(env.rejoinTimeoutMs / 1000)} s (${last})`,
    ms: Date.now() - t0,
  })
}

/**
 * Health of an upgraded instance some time after its batch: an OpenClaw gateway that is no longer
 * healthy is put back (previous version and state); a node that replaced itself must still answer
 * as the new version.
 */
export async function recheckInstance(env: UpgradeEnv, t: UpgradeTarget): Promise<UpgradeTarget> {
  if (t.outcome !== 'upgraded') return t
  const { node } = lookup(env, t.instanceId)
  if (env.rollout.kind === 'clawnode') {
    try {
      const v = await invoke<VersionResult>(env, node, 'openclaw.version', {}, TIMEOUTS.readMs)
      if (v.clawnode.version === t.version) return t
      return finish(env, t, {
        outcome: 'failed',
        reason: 'lost',
        detail: `answers as ${v.clawnode.version} after the pause`,
        healthy: false,
      })
    } catch (err) {
      if (isGatewayDown(err)) throw err
      return finish(env, t, {
        outcome: 'failed',
        reason: 'lost',
        detail: `not answering after the pause: ${messageOf(err)}`,
        healthy: false,
      })
    }
  }
  let healthy = false
  try {
    healthy = (await invoke<{ healthy: boolean }>(env, node, 'openclaw.health', {}, TIMEOUTS.healthMs))
      .healthy
  } catch (err) {
    if (isGatewayDown(err)) throw err
  }
  if (healthy) return t
  const undone = await revertInstance(env, t, keyOf(t.rolloutId, t.instanceId, 'revert'))
  return finish(env, undone, {
    outcome: 'failed',
    reason: 'unhealthy',
    healthy: false,
    detail:
      undone.revertState === 'reverted'
        ? 'the gateway was not healthy after the batch pause; the previous version and state were put back'
        : `the gateway was not healthy after the batch pause; putting it back: ${undone.revertState} ${undone.revertDetail ?? ''}`.trim(),
  })
}

/**
 * Puts back the version and state an upgrade replaced, only while the gateway still runs the version
 * that upgrade installed (the node checks; anything else is left alone). `key` is the revert's own.
 */
export async function revertInstance(env: UpgradeEnv, t: UpgradeTarget, key: string): Promise<UpgradeTarget> {
  const rollouts = env.ctx.store().repo(UpgradeRollouts)
  const { node } = lookup(env, t.instanceId)
  rollouts.updateTarget(t.rolloutId, t.instanceId, { revertState: 'reverting', revertDetail: null })
  let r: NodeUpgradeResult
  const deadline = Date.now() + TIMEOUTS.openclawMs
  for (;;) {
    try {
      r = await invoke<NodeUpgradeResult>(
        env,
        node,
        'openclaw.rollback',
        { upgradeKey: keyOf(t.rolloutId, t.instanceId, 'upgrade'), key },
        Math.max(5_000, Math.min(TIMEOUTS.callMs, deadline - Date.now())),
        key,
      )
      break
    } catch (err) {
      if (isGatewayDown(err)) throw err
      if (isTimeout(err) && Date.now() < deadline) continue
      return rollouts.updateTarget(t.rolloutId, t.instanceId, {
        revertState: 'failed',
        revertDetail: messageOf(err),
      })
    }
  }
  rollouts.recordVersions(t.instanceId, { openclaw: r.version })
  const revertState =
    r.outcome === 'reverted'
      ? 'reverted'
      : r.outcome === 'superseded'
        ? 'superseded'
        : r.outcome === 'not-applied'
          ? 'not-applied'
          : 'failed'
  return rollouts.updateTarget(t.rolloutId, t.instanceId, {
    revertState,
    revertDetail: r.detail,
    ...(r.outcome === 'reverted' ? { version: r.version, stateIntact: r.state?.intact ?? null } : {}),
  })
}
