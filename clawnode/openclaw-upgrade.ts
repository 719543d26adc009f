/**
 * Upgrading the user's OpenClaw on this host, and putting it back. One upgrade:
 *
 *   prepare    fetch the release, check its SHA-256, unpack it aside (the gateway keeps running)
 *   stop       stop the gateway (its databases must be still to be copied)
 *   snapshot   pack the user's state directory
 *   activate   make the new version the one the service starts (an atomic swap)
 *   start      start it and wait for OpenClaw's readiness: /startupz started and reporting exactly
 *              the target version, /readyz ready, /healthz live, every body checked
 *   doctor     run OpenClaw's doctor in its non-interactive mode; it must exit 0
 *   verify     readiness again (the doctor may have migrated something)
 *
 * Any failure after the stop puts the previous version and the snapshot of the state back (what the
 * failed version left is packed aside, never deleted) and starts the gateway again. A version that
 * does not parse as an OpenClaw version blocks the instance before anything is touched.
 *
 * Each upgrade is a record on disk under its key (clawops' key per rollout and instance), written
 * before every step: a repeat of the key answers with the recorded outcome, even after the node
 * restarted; a record a dead process left in the middle is rolled back when the node starts.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  compareOpenclawVersions,
  type OpenclawVersion,
  parseOpenclawVersion,
} from '../src/lib/domain/openclaw-version.js'
import type { NodeContext } from './commands/context.js'
import { NodeCommandError } from './commands/errors.js'
import { createOpenclawInstaller, type OpenclawInstaller, userStateDir } from './openclaw-install.js'
import { probeUserGateway, type ReadyVerdict, waitReady } from './readiness.js'
import { runArgv } from './run.js'
import { restoreSnapshot, type Snapshot, takeSnapshot } from './state-snapshot.js'

export type UpgradeOutcome =
  | 'upgraded'
  | 'unchanged'
  | 'blocked'
  | 'skipped'
  | 'failed'
  | 'rolled-back'
  | 'reverted'
  | 'superseded'
  | 'not-applied'

export interface UpgradeResult {
  key: string
  kind: 'upgrade' | 'revert'
  outcome: UpgradeOutcome
  /** One word: unknown-version, newer, checksum, no-release, fetch, crashed, not-started, not-ready, wrong-version, unparseable-version, doctor, interrupted, rollback-failed … */
  reason: string | null
  detail: string
  from: string | null
  to: string
  /** The version the gateway runs now (its startup probe, or the installed files). */
  version: string | null
  /** The gateway passed its readiness checks at the end. */
  healthy: boolean | null
  snapshot: { id: string; bytes: number } | null
  /** After a restore: the state's digest before the upgrade and after the restore. */
  state: { before: string; after: string; intact: boolean; keptAside: string } | null
  doctor: { exitCode: number; tail: string; ms: number } | null
  timings: Record<string, number>
  ms: number
  at: string
}

type Phase =
  | 'prepare'
  | 'stopping'
  | 'snapshot'
  | 'activated'
  | 'started'
  | 'doctor'
  | 'rolling-back'
  | 'reverting'

interface UpgradeRecord {
  key: string
  kind: 'upgrade' | 'revert'
  from: string | null
  to: string
  phase: Phase
  snapshot: Snapshot | null
  /** What the installer's restore needs to put the previous version back. */
  previous: string | null
  failure: { reason: string; detail: string } | null
  startedAt: string
  updatedAt: string
  result: UpgradeResult | null
}

const KEEP_RECORDS = 50
const ASIDE_TTL_MS = 7 * 24 * 3600_000
const DOCTOR_TAIL_LINES = 12

/** Upgrade records, one JSON file per key, written atomically. */
class Records {
  readonly dir: string
  constructor(stateDir: string) {
    this.dir = join(stateDir, 'openclaw-upgrades')
  }
  private path(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`)
  }
  get(key: string): UpgradeRecord | null {
    try {
      return JSON.parse(readFileSync(this.path(key), 'utf8')) as UpgradeRecord
    } catch {
      return null
    }
  }
  save(r: UpgradeRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    r.updatedAt = new Date().toISOString()
    const p = this.path(r.key)
    writeFileSync(`${p}.tmp`, JSON.stringify(r), { mode: 0o600 })
    renameSync(`${p}.tmp`, p)
  }
  all(): UpgradeRecord[] {
    if (!existsSync(this.dir)) return []
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        try {
          return JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as UpgradeRecord
        } catch {
          return null
        }
      })
      .filter((r): r is UpgradeRecord => r !== null)
      .sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : 0))
  }
  remove(key: string): void {
    rmSync(this.path(key), { force: true })
  }
}

/** One upgrade or revert at a time per node; a repeat of the running key joins it. */
const running = new Map<string, { key: string; promise: Promise<UpgradeResult> }>()

function exclusive(ctx: NodeContext, key: string, fn: () => Promise<UpgradeResult>): Promise<UpgradeResult> {
  const slot = ctx.config.stateDir
  const busy = running.get(slot)
  if (busy) {
    if (busy.key === key) return busy.promise
    throw new NodeCommandError(
      'CONFLICT',
      `an OpenClaw upgrade is already running on this node (${busy.key})`,
    )
  }
  const promise = fn().finally(() => running.delete(slot))
  running.set(slot, { key, promise })
  return promise
}

/**
 * Refuses a restart, stop or start of the user's gateway while an upgrade or revert owns it (a heal
 * restarting it in the middle of the readiness wait or the doctor would make that upgrade fail).
 */
export function refuseWhileUpgrading(ctx: NodeContext): void {
  const busy = running.get(ctx.config.stateDir)
  if (busy)
    throw new NodeCommandError(
      'CONFLICT',
      `an OpenClaw upgrade is running on this node (${busy.key}); try again when it is done`,
    )
}

/** The work of an upgrade outlives the invoke that started it: a caller's deadline never cuts it. */
const NEVER = new AbortController().signal

interface Env {
  ctx: NodeContext
  records: Records
  installer: OpenclawInstaller
  stateDir: string
  snapshots: string
  t0: number
  timings: Record<string, number>
}

function envOf(ctx: NodeContext): Env {
  return {
    ctx,
    records: new Records(ctx.config.stateDir),
    installer: createOpenclawInstaller(ctx.config),
    stateDir: userStateDir(ctx.config),
    snapshots: join(ctx.config.stateDir, 'snapshots'),
    t0: Date.now(),
    timings: {},
  }
}

async function timed<T>(env: Env, name: string, fn: () => Promise<T> | T): Promise<T> {
  const t = Date.now()
  try {
    return await fn()
  } finally {
    env.timings[name] = (env.timings[name] ?? 0) + Date.now() - t
  }
}

function terminal(
  env: Env,
  rec: UpgradeRecord,
  r: Partial<UpgradeResult> & Pick<UpgradeResult, 'outcome' | 'detail'>,
) {
  const result: UpgradeResult = {
    key: rec.key,
    kind: rec.kind,
    reason: null,
    from: rec.from,
    to: rec.to,
    version: null,
    healthy: null,
    snapshot: rec.snapshot ? { id: rec.snapshot.id, bytes: rec.snapshot.bytes } : null,
    state: null,
    doctor: null,
    timings: env.timings,
    ms: Date.now() - env.t0,
    at: new Date().toISOString(),
    ...r,
  }
  rec.result = result
  env.records.save(rec)
  env.ctx.logger.info(
    {
      key: rec.key,
      kind: rec.kind,
      outcome: result.outcome,
      reason: result.reason,
      from: rec.from,
      to: rec.to,
      ms: result.ms,
    },
    'openclaw upgrade finished',
  )
  return result
}

/** The version the gateway runs: its startup probe, else what the installed files say. */
async function currentVersion(
  env: Env,
): Promise<{ raw: string | null; parsed: OpenclawVersion | null; live: boolean }> {
  const p = await probeUserGateway(env.ctx, NEVER)
  const raw = p.version ?? env.installer.installed()
  return { raw, parsed: parseOpenclawVersion(raw), live: p.live }
}

function expectVersion(env: Env, want: OpenclawVersion) {
  return (reported: string | null, hasStartupProbe: boolean) => {
    const raw = hasStartupProbe ? reported : env.installer.installed()
    const v = parseOpenclawVersion(raw)
    if (!v)
      return {
        reason: 'unparseable-version',
        detail: `the gateway reports the version ${JSON.stringify(raw)}, which is not an OpenClaw version`,
      }
    if (compareOpenclawVersions(v, want) !== 0)
      return { reason: 'wrong-version', detail: `the gateway reports ${v.text}, not ${want.text}` }
    return null
  }
}

function readyWait(env: Env, want: OpenclawVersion, budgetMs = env.ctx.config.openclaw.readyTimeoutMs) {
  return waitReady(env.ctx, { budgetMs, signal: NEVER, expect: expectVersion(env, want) })
}

async function runDoctor(env: Env): Promise<{ ok: boolean; exitCode: number; tail: string; ms: number }> {
  const argv = env.installer.doctorArgv()
  if (!argv) throw new NodeCommandError('UNAVAILABLE', 'no way to run OpenClaw doctor on this node')
  const t = Date.now()
  const r = await runArgv(argv[0]!, argv.slice(1), {
    timeoutMs: env.ctx.config.openclaw.doctorTimeoutMs,
    maxOutputBytes: env.ctx.config.limits.maxOutputBytes,
    env: env.installer.doctorEnv(),
  })
  const tail = `${r.stdout}\n${r.stderr}`
    .trim()
    .split('\n')
    .slice(-DOCTOR_TAIL_LINES)
    .join('\n')
    .slice(0, 2_000)
  return { ok: r.exitCode === 0, exitCode: r.exitCode, tail, ms: Date.now() - t }
}

const svcOpts = (ms = 60_000) => ({ signal: NEVER, timeoutMs: ms })

/** Puts the previous version and the snapshot back after a failed upgrade, and starts the gateway. */
async function rollBack(
  env: Env,
  rec: UpgradeRecord,
  reason: string,
  detail: string,
  doctor: UpgradeResult['doctor'] = null,
) {
  rec.phase = 'rolling-back'
  rec.failure = { reason, detail }
  env.records.save(rec)
  try {
    return await timed(env, 'rollback', async () => {
      await env.ctx.services.stop(svcOpts())
      if (rec.previous !== null) env.installer.restore(rec.previous)
      let state: UpgradeResult['state'] = null
      if (rec.snapshot) {
        const keptAside = join(env.snapshots, `${rec.snapshot.id}-failed.tgz`)
        const after = await restoreSnapshot(env.stateDir, rec.snapshot, keptAside)
        state = { before: rec.snapshot.digest, after, intact: after === rec.snapshot.digest, keptAside }
      }
      await env.ctx.services.start(svcOpts())
      const from = parseOpenclawVersion(rec.from)
      const back: ReadyVerdict = from
        ? await readyWait(env, from)
        : await waitReady(env.ctx, { budgetMs: env.ctx.config.openclaw.readyTimeoutMs, signal: NEVER })
      return terminal(env, rec, {
        outcome: 'rolled-back',
        reason,
        detail: `${detail}; ${rec.from} and the state from before the upgrade were put back${back.ok ? '' : `, but the gateway is not ready again (${back.detail})`}`,
        version: back.version ?? env.installer.installed(),
        healthy: back.ok,
        state,
        doctor,
      })
    })
  } catch (err) {
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'rollback-failed',
      detail: `${detail}; putting ${rec.from} back failed: ${(err as Error).message}`,
      healthy: false,
      doctor,
    })
  }
}

export interface UpgradeParams {
  version: string
  sha256: string
  key: string
  /** Go to an older version (a rollback of the fleet's version by hand). */
  allowDowngrade: boolean
}

async function upgrade(env: Env, p: UpgradeParams): Promise<UpgradeResult> {
  const target = parseOpenclawVersion(p.version)
  if (!target)
    throw new NodeCommandError('INVALID_PARAMS', `${JSON.stringify(p.version)} is not an OpenClaw version`)
  if (env.installer.kind === 'none')
    throw new NodeCommandError('UNAVAILABLE', 'this node has no openclaw.install configured')
  const now = new Date().toISOString()
  const rec: UpgradeRecord = {
    key: p.key,
    kind: 'upgrade',
    from: null,
    to: target.text,
    phase: 'prepare',
    snapshot: null,
    previous: null,
    failure: null,
    startedAt: now,
    updatedAt: now,
    result: null,
  }
  const cur = await currentVersion(env)
  rec.from = cur.raw
  if (!cur.parsed) {
    return terminal(env, rec, {
      outcome: 'blocked',
      reason: 'unknown-version',
      detail:
        cur.raw === null
          ? 'the gateway reports no version and the installed files name none; nothing was changed'
          : `the running version ${JSON.stringify(cur.raw)} is not an OpenClaw version; nothing was changed`,
    })
  }
  const cmp = compareOpenclawVersions(cur.parsed, target)
  if (cmp === 0)
    return terminal(env, rec, {
      outcome: 'unchanged',
      detail: `already on ${target.text}`,
      version: cur.raw,
      healthy: cur.live,
    })
  if (cmp > 0 && !p.allowDowngrade)
    return terminal(env, rec, {
      outcome: 'skipped',
      reason: 'newer',
      detail: `runs ${cur.parsed.text}, newer than ${target.text}`,
      version: cur.raw,
    })
  env.records.save(rec)

  try {
    await timed(env, 'prepare', () =>
      env.installer.prepare(target.text, p.sha256, { signal: NEVER, timeoutMs: 600_000 }),
    )
  } catch (err) {
    const code = err instanceof NodeCommandError ? err.code : 'INTERNAL'
    return terminal(env, rec, {
      outcome: 'failed',
      reason: code === 'INVALID_PARAMS' ? 'checksum' : code === 'NOT_FOUND' ? 'no-release' : 'fetch',
      detail: `${(err as Error).message}; nothing was changed`,
      version: cur.raw,
      healthy: cur.live,
    })
  }

  rec.phase = 'stopping'
  env.records.save(rec)
  await timed(env, 'stop', () => env.ctx.services.stop(svcOpts()))
  try {
    rec.snapshot = await timed(env, 'snapshot', () =>
      takeSnapshot(
        env.stateDir,
        env.snapshots,
        `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
      ),
    )
  } catch (err) {
    // Nothing changed yet but the stop.
    await env.ctx.services.start(svcOpts()).catch(() => {})
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'snapshot',
      detail: `cannot snapshot the state: ${(err as Error).message}; nothing was changed`,
    })
  }
  rec.phase = 'snapshot'
  env.records.save(rec)
  try {
    rec.previous = env.installer.activate(target.text)
  } catch (err) {
    return rollBack(env, rec, 'activate', (err as Error).message)
  }
  rec.phase = 'activated'
  env.records.save(rec)

  try {
    await timed(env, 'start', () => env.ctx.services.start(svcOpts()))
  } catch (err) {
    return rollBack(env, rec, 'crashed', `${target.text} did not start: ${(err as Error).message}`)
  }
  const ready = await timed(env, 'ready', () => readyWait(env, target))
  if (!ready.ok) return rollBack(env, rec, ready.reason ?? 'not-ready', `${target.text}: ${ready.detail}`)
  rec.phase = 'doctor'
  env.records.save(rec)
  let doctor: UpgradeResult['doctor'] = null
  try {
    const d = await timed(env, 'doctor', () => runDoctor(env))
    doctor = { exitCode: d.exitCode, tail: d.tail, ms: d.ms }
    if (!d.ok)
      return rollBack(
        env,
        rec,
        'doctor',
        `openclaw doctor --non-interactive exited with ${d.exitCode} on ${target.text}`,
        doctor,
      )
  } catch (err) {
    return rollBack(env, rec, 'doctor', `openclaw doctor could not run: ${(err as Error).message}`)
  }
  const after = await timed(env, 'verify', () => readyWait(env, target, 30_000))
  if (!after.ok)
    return rollBack(
      env,
      rec,
      after.reason ?? 'not-ready',
      `${target.text} after the doctor: ${after.detail}`,
      doctor,
    )
  const result = terminal(env, rec, {
    outcome: 'upgraded',
    detail: `${rec.from} → ${target.text}: ready, doctor passed`,
    version: after.version ?? target.text,
    healthy: true,
    doctor,
  })
  prune(env)
  return result
}

export interface RevertParams {
  /** The key of the upgrade to undo. */
  upgradeKey: string
  /** This revert's own key. */
  key: string
}

/**
 * Undoes a completed upgrade: the version it replaced and the state from before it, only while the
 * gateway still runs the version that upgrade installed (anything else is left alone). The state
 * the user had since is packed aside first.
 */
async function revert(env: Env, p: RevertParams): Promise<UpgradeResult> {
  const up = env.records.get(p.upgradeKey)
  const now = new Date().toISOString()
  const rec: UpgradeRecord = {
    key: p.key,
    kind: 'revert',
    from: up?.to ?? null,
    to: up?.from ?? '',
    phase: 'reverting',
    snapshot: up?.snapshot ?? null,
    previous: up?.previous ?? null,
    failure: null,
    startedAt: now,
    updatedAt: now,
    result: null,
  }
  if (!up || up.result?.outcome !== 'upgraded')
    return terminal(env, rec, {
      outcome: 'not-applied',
      detail: up?.result
        ? `that upgrade ended ${up.result.outcome}; nothing to undo`
        : 'no such upgrade on this node',
    })
  const cur = await currentVersion(env)
  const installed = parseOpenclawVersion(up.to)
  if (!cur.parsed || !installed || compareOpenclawVersions(cur.parsed, installed) !== 0)
    return terminal(env, rec, {
      outcome: 'superseded',
      detail: `runs ${cur.raw ?? 'an unknown version'}, not ${up.to} that the upgrade installed; left alone`,
      version: cur.raw,
    })
  if (!up.snapshot || !existsSync(up.snapshot.file))
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'no-snapshot',
      detail: 'the snapshot of the state from before the upgrade is gone; left alone',
      version: cur.raw,
    })
  env.records.save(rec)
  try {
    return await timed(env, 'revert', async () => {
      await env.ctx.services.stop(svcOpts())
      if (up.previous !== null) env.installer.restore(up.previous)
      const snap = up.snapshot!
      const keptAside = join(env.snapshots, `${snap.id}-reverted.tgz`)
      const after = await restoreSnapshot(env.stateDir, snap, keptAside)
      await env.ctx.services.start(svcOpts())
      const from = parseOpenclawVersion(up.from)
      const back = from
        ? await readyWait(env, from)
        : await waitReady(env.ctx, { budgetMs: env.ctx.config.openclaw.readyTimeoutMs, signal: NEVER })
      return terminal(env, rec, {
        outcome: 'reverted',
        detail: `${up.to} → ${up.from}, the state from before the upgrade restored (the state since kept at ${keptAside})${back.ok ? '' : `; the gateway is not ready (${back.detail})`}`,
        version: back.version ?? env.installer.installed(),
        healthy: back.ok,
        state: { before: snap.digest, after, intact: after === snap.digest, keptAside },
      })
    })
  } catch (err) {
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'revert-failed',
      detail: (err as Error).message,
      healthy: false,
    })
  }
}

/** Old records and snapshots go: the newest upgrades keep theirs (for a rollback of the rollout). */
function prune(env: Env): void {
  const all = env.records.all()
  const keepSnaps = new Set(
    all
      .filter((r) => r.kind === 'upgrade' && r.result?.outcome === 'upgraded' && r.snapshot)
      .slice(-env.ctx.config.openclaw.keepSnapshots)
      .map((r) => r.snapshot!.id),
  )
  if (existsSync(env.snapshots)) {
    for (const f of readdirSync(env.snapshots)) {
      const id = f.replace(/(-failed|-reverted)?\.tgz$/, '')
      const aside = f !== `${id}.tgz`
      const old = Date.now() - statSync(join(env.snapshots, f)).mtimeMs > ASIDE_TTL_MS
      if (aside ? old : !keepSnaps.has(id) && !all.some((r) => !r.result && r.snapshot?.id === id))
        rmSync(join(env.snapshots, f), { force: true })
    }
  }
  const finished = all.filter((r) => r.result)
  for (const r of finished.slice(0, Math.max(0, finished.length - KEEP_RECORDS))) env.records.remove(r.key)
}

export function upgradeOpenclaw(ctx: NodeContext, p: UpgradeParams): Promise<UpgradeResult> {
  const env = envOf(ctx)
  const done = env.records.get(p.key)
  if (done?.result) return Promise.resolve(done.result)
  return exclusive(ctx, p.key, async () => {
    const again = env.records.get(p.key)
    if (again?.result) return again.result
    if (again) return recover(env, again)
    return upgrade(env, p)
  })
}

export function revertOpenclaw(ctx: NodeContext, p: RevertParams): Promise<UpgradeResult> {
  const env = envOf(ctx)
  const done = env.records.get(p.key)
  if (done?.result) return Promise.resolve(done.result)
  return exclusive(ctx, p.key, () => revert(env, p))
}

/** Settles a record a dead process left unfinished: nothing touched yet, or roll back. */
async function recover(env: Env, rec: UpgradeRecord): Promise<UpgradeResult> {
  const why = 'gf-clawnode stopped in the middle of it'
  if (rec.kind === 'revert') {
    rec.phase = 'rolling-back'
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'interrupted',
      detail: `the revert was interrupted (${why}); run it again`,
    })
  }
  if (rec.phase === 'prepare')
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'interrupted',
      detail: `${why}, before anything was changed`,
    })
  if (rec.phase === 'stopping' && !rec.snapshot) {
    await env.ctx.services.start(svcOpts()).catch(() => {})
    return terminal(env, rec, {
      outcome: 'failed',
      reason: 'interrupted',
      detail: `${why}, before anything was changed`,
    })
  }
  return rollBack(env, rec, 'interrupted', why)
}

/**
 * Called when the node starts, before the user's gateway is started: an upgrade a dead process left
 * in the middle is rolled back (previous version, state from the snapshot). Returns the outcomes.
 */
export async function recoverInterruptedUpgrades(ctx: NodeContext): Promise<UpgradeResult[]> {
  const env = envOf(ctx)
  const out: UpgradeResult[] = []
  for (const rec of env.records.all().filter((r) => !r.result))
    out.push(await exclusive(ctx, rec.key, () => recover(env, rec)))
  return out
}

/** The newest upgrade or revert this node ran, summarised. */
export function lastUpgrade(ctx: NodeContext): UpgradeResult | null {
  const all = new Records(ctx.config.stateDir).all()
  const last = all.at(-1)
  return last?.result ?? null
}

/** What the installed files say, for `openclaw.version`. */
export function installedVersion(ctx: NodeContext): string | null {
  return createOpenclawInstaller(ctx.config).installed()
}
