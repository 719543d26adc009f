/**
 * One instance of a rollout: read its config, apply the document, push it, check the gateway, and
 * undo it. The node does the dangerous part (validate, atomic swap, previous version kept, restart and
 * put the previous file back when the gateway does not come up); this side decides and records.
 *
 * Nothing is applied twice. Before a push, the row records the file's hash, its kept previous
 * version's hash and the digest of the config about to be pushed, and moves to `pushing`, in one
 * transaction. The push carries that hash as a compare-and-swap (`expectedHash`) and a key fixed per
 * rollout and instance (the node answers a repeat of the key, even one still running, with the first
 * outcome). Whenever the outcome is unknown (clawops died, the call timed out, the node refused), the
 * instance is reconciled from its file before anything else is sent:
 *   file hash = before, previous = before's previous  → never applied: push (same key, same CAS);
 *   file hash = before, previous changed               → applied, gateway failed, the node put it back;
 *   file (redacted) = the pushed config                → applied: check health;
 *   anything else                                      → someone else changed it: left alone (conflict).
 * An undo is a compare-and-swap as well: the node swaps back only while the file is the one pushed.
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Context } from '../context.js'
import type { InstanceState } from '../domain/instance.js'
import { UserError } from '../errors.js'
import { diffConfigs, type Json, redact } from '../gateway/config-diff.js'
import type { NodeInvoker, NodeTarget } from '../gateway/link.js'
import type { ClawnodeCommand } from '../gateway/node-commands.js'
import { AuditTrail } from '../store/audit-trail.js'
import {
  ConfigRollouts,
  type Rollout,
  type RolloutTarget,
  type TargetOutcome,
  type TargetPatch,
} from '../store/config-rollouts.js'
import { Instances } from '../store/instances.js'
import { applyDocument, type ConfigDocument, DocumentMismatch } from './document.js'
import type {
  ConfigGetResult,
  ConfigPushResult,
  ConfigRollbackResult,
  OpenclawHealthResult,
} from './node-payloads.js'
import { restartFor } from './reload.js'

/** States whose gateway runs and may take a config. */
export const PUSHABLE_STATES: ReadonlySet<InstanceState> = new Set(['ACTIVE', 'DEGRADED', 'FAILED'])

export const TIMEOUTS = {
  readMs: 20_000,
  /** config.push validates (a real validator can take seconds), restarts and waits for the gateway. */
  pushMs: 180_000,
  /** config.push without a restart: validation and a swap. A lost answer is settled from the file. */
  pushNoRestartMs: 60_000,
  healthMs: 15_000,
  rollbackMs: 120_000,
  /** How long the node waits for the gateway after a restart before it puts the old file back. */
  restartWaitMs: 60_000,
}

export interface InstanceEnv {
  ctx: Context
  invoker: NodeInvoker
  /** The push rollout (a rollback acts on its rows). */
  rollout: Rollout
  doc: ConfigDocument
  actor: string
  opId: string
  planId: string
  /** The audit action of the per-instance record: config.push.instance or config.rollback.instance. */
  action: string
}

export function digestOf(value: unknown): string {
  return createHash('sha256')
    .update(canonicalize(value) ?? '')
    .digest('hex')
}

function keyOf(rolloutId: string, instanceId: string, action: string): string {
  return `clawops/${rolloutId}/${instanceId}/${action}`
}

function nodeCode(err: unknown): string | undefined {
  return ((err as UserError).details as { nodeCode?: string } | undefined)?.nodeCode
}

/** The gateway itself is down: nothing is known about any instance; the batch stops. */
export function isGatewayDown(err: unknown): boolean {
  return err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE'
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500)
}

function invoke<T>(
  env: InstanceEnv,
  node: NodeTarget,
  command: ClawnodeCommand,
  params: Record<string, unknown>,
  timeoutMs: number,
  key?: string,
): Promise<T> {
  return env.invoker.invoke<T>(node, command, params, timeoutMs, key ? { idempotencyKey: key } : undefined)
}

interface Verdict extends TargetPatch {
  outcome: TargetOutcome
  reason?: string | null
  detail?: string | null
}

/** Records an instance's outcome and its audit entry in one transaction. */
function finish(env: InstanceEnv, t: RolloutTarget, v: Verdict): RolloutTarget {
  const store = env.ctx.store()
  return store.tx(() => {
    const row = store.repo(ConfigRollouts).updateTarget(t.rolloutId, t.instanceId, {
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
      outcome: v.outcome === 'applied' || v.outcome === 'unchanged' ? 'ok' : 'failed',
      details: {
        rolloutId: t.rolloutId,
        version: env.rollout.version,
        outcome: v.outcome,
        reason: row.reason,
        restarted: row.restart,
        healthy: row.healthy,
      },
    })
    return row
  })
}

/** A failed read: the gateway being down stops the batch, anything else is this instance's failure. */
function readFailure(err: unknown, what: string): Verdict {
  if (isGatewayDown(err)) throw err
  const code = nodeCode(err)
  if (code === 'NOT_CONNECTED')
    return { outcome: 'failed', reason: 'unreachable', detail: `node not connected (${what})` }
  if (err instanceof UserError && err.code === 'TIMEOUT')
    return { outcome: 'failed', reason: 'timeout', detail: `${what}: ${messageOf(err)}` }
  return { outcome: 'failed', reason: 'node-error', detail: `${what}: ${messageOf(err)}` }
}

async function healthy(env: InstanceEnv, node: NodeTarget): Promise<boolean> {
  try {
    return (await invoke<OpenclawHealthResult>(env, node, 'openclaw.health', {}, TIMEOUTS.healthMs)).healthy
  } catch (err) {
    if (isGatewayDown(err)) throw err
    return false
  }
}

/** The instance's node and state (this runs once per instance of a rollout). */
function lookup(env: InstanceEnv, instanceId: string): { node: NodeTarget; state: InstanceState | null } {
  const row = env.ctx.store().repo(Instances).nodeAndState(instanceId)
  return { node: { id: instanceId, nodeId: row?.nodeId ?? null }, state: row?.state ?? null }
}

function nodeOf(env: InstanceEnv, instanceId: string): NodeTarget {
  return lookup(env, instanceId).node
}

/** Pushes the rollout's document to one instance (or settles a push a crash left in flight). */
export async function pushInstance(env: InstanceEnv, t: RolloutTarget): Promise<RolloutTarget> {
  if (t.state === 'done') return t
  const { node, state } = lookup(env, t.instanceId)
  if (t.state === 'pushing') return reconcile(env, t, node, 'resumed after an interruption', true)
  if (!state) return finish(env, t, { outcome: 'skipped', reason: 'gone', detail: 'no longer in the fleet' })
  if (!PUSHABLE_STATES.has(state))
    return finish(env, t, { outcome: 'skipped', reason: 'state', detail: `the instance is ${state}` })
  let got: ConfigGetResult
  try {
    got = await invoke<ConfigGetResult>(env, node, 'config.get', {}, TIMEOUTS.readMs)
  } catch (err) {
    return finish(env, t, readFailure(err, 'config.get'))
  }
  if (got.malformed) {
    return finish(env, t, {
      outcome: 'skipped',
      reason: 'malformed',
      detail: `${got.path} is malformed (${got.malformed}); left as it is, flagged for manual review`,
    })
  }
  if (!got.exists || !got.config) {
    return finish(env, t, {
      outcome: 'skipped',
      reason: 'no-config',
      detail: `${got.path} does not exist; flagged for manual review`,
    })
  }
  let candidate: Record<string, Json>
  try {
    candidate = applyDocument(env.doc, got.config)
  } catch (err) {
    if (err instanceof DocumentMismatch)
      return finish(env, t, { outcome: 'failed', reason: 'patch', detail: err.message })
    throw err
  }
  const changes = diffConfigs(got.config, candidate)
  if (changes.length === 0) return finish(env, t, { outcome: 'unchanged', detail: 'already up to date' })
  const restart = restartFor(
    env.rollout.settings.restart,
    changes.map((c) => c.path),
  )
  const changeDigest = digestOf(changes)
  const store = env.ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const pushing = store.tx(() => {
    rollouts.recordChanges(t.rolloutId, changeDigest, changes)
    return rollouts.updateTarget(t.rolloutId, t.instanceId, {
      state: 'pushing',
      preHash: got.hash,
      prePrevHash: got.previous.hash,
      candidateDigest: digestOf(redact(candidate)),
      changeDigest,
      restart,
      attempts: t.attempts + 1,
    })
  })
  return send(env, pushing, node, candidate, true)
}

async function send(
  env: InstanceEnv,
  t: RolloutTarget,
  node: NodeTarget,
  candidate: Record<string, Json>,
  mayReconcile: boolean,
): Promise<RolloutTarget> {
  let r: ConfigPushResult
  try {
    r = await invoke<ConfigPushResult>(
      env,
      node,
      'config.push',
      {
        config: candidate,
        expectedHash: t.preHash,
        restart: t.restart === true,
        rollbackOnUnhealthy: true,
        waitTimeoutMs: TIMEOUTS.restartWaitMs,
      },
      t.restart ? TIMEOUTS.pushMs : TIMEOUTS.pushNoRestartMs,
      keyOf(t.rolloutId, t.instanceId, 'push'),
    )
  } catch (err) {
    if (isGatewayDown(err)) throw err
    const code = nodeCode(err)
    // Refusals that happen before the node writes anything.
    if (code === 'CONFIG_INVALID' || code === 'INVALID_PARAMS')
      return finish(env, t, { outcome: 'failed', reason: 'invalid', detail: messageOf(err) })
    if (code === 'CONFIG_MALFORMED')
      return finish(env, t, {
        outcome: 'skipped',
        reason: 'malformed',
        detail: `${messageOf(err)}; flagged for manual review`,
      })
    if (code === 'NOT_CONNECTED')
      return finish(env, t, {
        outcome: 'failed',
        reason: 'unreachable',
        detail: 'node not connected (config.push)',
      })
    if (err instanceof UserError && err.code === 'POLICY_DENIED')
      return finish(env, t, { outcome: 'failed', reason: 'denied', detail: messageOf(err) })
    // A timeout, a changed file, a busy node, a restart that failed after the swap: the file may
    // or may not have been written. Its content says which.
    if (mayReconcile) return reconcile(env, t, node, `config.push: ${messageOf(err)}`, false)
    return finish(env, t, {
      outcome: 'failed',
      reason: 'node-error',
      detail: `config.push: ${messageOf(err)}`,
    })
  }
  if (!r.changed) return finish(env, t, { outcome: 'unchanged', detail: 'already up to date' })
  if (r.rolledBack) {
    return finish(env, t, {
      outcome: 'failed',
      reason: 'unhealthy',
      detail: `the gateway was not healthy after the restart; gf-clawnode put the previous config back${r.healthyAfterRollback === false ? ' (and it is still not healthy)' : ''}`,
      healthy: false,
      revertState: 'reverted',
    })
  }
  if (r.restarted) {
    return r.healthy
      ? finish(env, t, { outcome: 'applied', postHash: r.hash, healthy: true })
      : finish(env, t, {
          outcome: 'failed',
          reason: 'unhealthy',
          detail: 'the gateway was not healthy after the restart',
          postHash: r.hash,
          healthy: false,
        })
  }
  return checkAfterWrite(env, t, node, r.hash)
}

/** The file is written and the change hot-applied: the gateway must still be healthy, else undo it. */
async function checkAfterWrite(
  env: InstanceEnv,
  t: RolloutTarget,
  node: NodeTarget,
  postHash: string | null,
): Promise<RolloutTarget> {
  const written = env.ctx.store().repo(ConfigRollouts).updateTarget(t.rolloutId, t.instanceId, { postHash })
  if (await healthy(env, node)) return finish(env, written, { outcome: 'applied', healthy: true })
  const undone = await revertInstance(env, written)
  return finish(env, undone, {
    outcome: 'failed',
    reason: 'unhealthy',
    healthy: false,
    detail:
      undone.revertState === 'reverted'
        ? 'the gateway was not healthy after the change; the previous config was put back'
        : `the gateway was not healthy after the change; putting the previous config back failed: ${undone.revertDetail}`,
  })
}

/** Settles a push whose outcome is unknown from the instance's file (see the module comment). */
async function reconcile(
  env: InstanceEnv,
  t: RolloutTarget,
  node: NodeTarget,
  why: string,
  mayResend: boolean,
): Promise<RolloutTarget> {
  let got: ConfigGetResult
  try {
    got = await invoke<ConfigGetResult>(env, node, 'config.get', {}, TIMEOUTS.readMs)
  } catch (err) {
    // Still unknown (the node went away): a failure for the budget; a rollback settles it first.
    const v = readFailure(err, `config.get after ${why}`)
    return finish(env, t, { outcome: 'failed', reason: 'unknown', detail: `${why}; ${v.detail}` })
  }
  if (got.hash === t.preHash) {
    if ((got.previous.hash ?? null) !== (t.prePrevHash ?? null)) {
      return finish(env, t, {
        outcome: 'failed',
        reason: 'unhealthy',
        healthy: false,
        revertState: 'reverted',
        detail: `pushed, but the gateway was not healthy after the restart and gf-clawnode put the previous config back (${why})`,
      })
    }
    if (!mayResend || !got.config)
      return finish(env, t, { outcome: 'failed', reason: 'node-error', detail: `not applied: ${why}` })
    let candidate: Record<string, Json>
    try {
      candidate = applyDocument(env.doc, got.config)
    } catch (err) {
      if (err instanceof DocumentMismatch)
        return finish(env, t, { outcome: 'failed', reason: 'patch', detail: err.message })
      throw err
    }
    if (digestOf(redact(candidate)) !== t.candidateDigest)
      return finish(env, t, {
        outcome: 'failed',
        reason: 'conflict',
        detail: 'the config to push is no longer the planned one',
      })
    return send(env, t, node, candidate, false)
  }
  if (got.config && digestOf(got.config) === t.candidateDigest) {
    if (t.restart) {
      // The swap happened; whether the restart did is unknown. Restart (once per key) and wait.
      try {
        const r = await invoke<{ healthy?: boolean }>(
          env,
          node,
          'openclaw.restart',
          { wait: true, waitTimeoutMs: TIMEOUTS.restartWaitMs },
          TIMEOUTS.rollbackMs,
          keyOf(t.rolloutId, t.instanceId, 'restart'),
        )
        if (r.healthy) return finish(env, t, { outcome: 'applied', postHash: got.hash, healthy: true })
      } catch (err) {
        if (isGatewayDown(err)) throw err
      }
    }
    return checkAfterWrite(env, t, node, got.hash)
  }
  return finish(env, t, {
    outcome: 'failed',
    reason: 'conflict',
    detail: `the config on the instance changed during the rollout and was not overwritten (${why})`,
  })
}

/**
 * Puts an instance's previous config back, only while its file is still the one this rollout wrote
 * (the node's compare-and-swap). A repeat, or a file someone changed since, is refused by the node and
 * then read: back at the hash before the push means reverted, anything else is left alone.
 */
export async function revertInstance(env: InstanceEnv, t: RolloutTarget): Promise<RolloutTarget> {
  const rollouts = env.ctx.store().repo(ConfigRollouts)
  if (!t.postHash) return t
  const node = nodeOf(env, t.instanceId)
  const marked = rollouts.updateTarget(t.rolloutId, t.instanceId, {
    revertState: 'reverting',
    revertDetail: null,
  })
  try {
    await invoke<ConfigRollbackResult>(
      env,
      node,
      'config.rollback',
      { expectedHash: t.postHash, restart: t.restart === true, waitTimeoutMs: TIMEOUTS.restartWaitMs },
      TIMEOUTS.rollbackMs,
      keyOf(t.rolloutId, t.instanceId, 'revert'),
    )
    return rollouts.updateTarget(t.rolloutId, t.instanceId, { revertState: 'reverted' })
  } catch (err) {
    if (isGatewayDown(err)) throw err
    if (nodeCode(err) === 'NOT_CONNECTED')
      return rollouts.updateTarget(t.rolloutId, t.instanceId, {
        revertState: 'failed',
        revertDetail: 'node not connected',
      })
    let got: ConfigGetResult
    try {
      got = await invoke<ConfigGetResult>(env, node, 'config.get', {}, TIMEOUTS.readMs)
    } catch (readErr) {
      if (isGatewayDown(readErr)) throw readErr
      return rollouts.updateTarget(t.rolloutId, t.instanceId, {
        revertState: 'failed',
        revertDetail: `config.rollback: ${messageOf(err)}; config.get: ${messageOf(readErr)}`,
      })
    }
    if (got.hash === marked.preHash)
      return rollouts.updateTarget(t.rolloutId, t.instanceId, { revertState: 'reverted' })
    if (got.hash === marked.postHash)
      return rollouts.updateTarget(t.rolloutId, t.instanceId, {
        revertState: 'failed',
        revertDetail: `config.rollback: ${messageOf(err)}`,
      })
    return rollouts.updateTarget(t.rolloutId, t.instanceId, {
      revertState: 'superseded',
      revertDetail: 'the config changed since this rollout wrote it; left alone',
    })
  }
}

/**
 * Settles a row whose push outcome is unknown (left `pushing` by a crash, or its node went away mid-push)
 * before it is rolled back: if the push landed, the row gets its post-push hash (and is reverted
 * next); if not, it is recorded as not applied.
 */
export async function settleForRollback(env: InstanceEnv, t: RolloutTarget): Promise<RolloutTarget> {
  if (t.state !== 'pushing' && t.reason !== 'unknown') return t
  const node = nodeOf(env, t.instanceId)
  let got: ConfigGetResult
  try {
    got = await invoke<ConfigGetResult>(env, node, 'config.get', {}, TIMEOUTS.readMs)
  } catch (err) {
    if (isGatewayDown(err)) throw err
    return env.ctx
      .store()
      .repo(ConfigRollouts)
      .updateTarget(t.rolloutId, t.instanceId, {
        revertState: 'failed',
        revertDetail: `config.get: ${messageOf(err)}`,
      })
  }
  if (got.hash !== t.preHash && got.config && digestOf(got.config) === t.candidateDigest)
    return finish(env, t, { outcome: 'applied', postHash: got.hash, detail: 'settled before a rollback' })
  return finish(env, t, {
    outcome: 'failed',
    reason: 'not-applied',
    detail: 'the push had not landed when it was rolled back',
  })
}

/** Health of an applied instance some time after its batch (the batch check before the next batch). */
export async function recheckInstance(env: InstanceEnv, t: RolloutTarget): Promise<RolloutTarget> {
  if (t.outcome !== 'applied') return t
  if (await healthy(env, nodeOf(env, t.instanceId))) return t
  const undone = await revertInstance(env, t)
  return finish(env, undone, {
    outcome: 'failed',
    reason: 'unhealthy',
    healthy: false,
    detail:
      undone.revertState === 'reverted'
        ? 'the gateway was not healthy after the batch pause; the previous config was put back'
        : `the gateway was not healthy after the batch pause; putting the previous config back failed: ${undone.revertDetail}`,
  })
}
