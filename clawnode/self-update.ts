/**
 * gf-clawnode replacing itself (`clawnode.update`). The release comes from the operator's release
 * location, its SHA-256 checked against the one clawops names; it is unpacked into
 * `<self.dir>/versions/<v>` and must name its own version when run (`--version`) before anything
 * changes. Then, under `<stateDir>/self-update/`:
 *
 *   previous   the release directory running now (what the service manager puts back)
 *   pending    {key, from, to, at}: the new version is on probation
 *
 * and `<self.dir>/current` is swapped to the new release (atomic rename), the answer goes back, and
 * the process exits with EXIT_RESTART so its service manager starts the new one. The new process
 * uses the same state directory, so it joins the gateway with the stored device token: no new
 * pairing. Once joined it commits (`last.json`, `pending` removed). If it does not join within
 * `self.probationMs` it exits non-zero; a build that cannot run at all fails at once. Either way the
 * service manager sees it fail repeatedly and runs the rollback script (src/lib/bootstrap/
 * clawnode-service.ts), which swaps `current` back to `previous` and renames `pending` to
 * `rolled-back`; the old version answers the same key with that outcome.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../src/lib/log.js'
import type { NodeContext } from './commands/context.js'
import { NodeCommandError } from './commands/errors.js'
import type { ClawnodeConfig } from './config.js'
import { ensureRelease, releaseUrl, swapSymlink } from './releases.js'
import { runArgv } from './run.js'

/** The exit code that asks the service manager for a restart (EX_TEMPFAIL). */
export const EXIT_RESTART = 75

export interface SelfUpdateResult {
  key: string
  outcome: 'restarting' | 'upgraded' | 'unchanged' | 'rolled-back' | 'failed'
  reason: string | null
  detail: string
  from: string
  to: string
  /** The version answering now. */
  version: string
  ms: number
  at: string
}

interface Pending {
  key: string
  from: string
  to: string
  at: string
}

const dirOf = (config: ClawnodeConfig) => join(config.stateDir, 'self-update')

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return null
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value), { mode: 0o600 })
  renameSync(`${path}.tmp`, path)
}

/** What a node knows about its own updates, for `openclaw.version`. */
export function selfUpdateState(config: ClawnodeConfig) {
  const dir = dirOf(config)
  return {
    pending: readJson<Pending>(join(dir, 'pending')),
    last: readJson<SelfUpdateResult>(join(dir, 'last.json')),
    rolledBack: readJson<Pending & { rolledBackAt?: string }>(join(dir, 'rolled-back')),
  }
}

let inFlight: { key: string; promise: Promise<SelfUpdateResult> } | null = null

export function selfUpdate(
  ctx: NodeContext,
  p: { version: string; sha256: string; key: string },
): Promise<SelfUpdateResult> {
  if (inFlight) {
    if (inFlight.key === p.key) return inFlight.promise
    throw new NodeCommandError('CONFLICT', `a gf-clawnode update is already running (${inFlight.key})`)
  }
  const promise = run(ctx, p).finally(() => {
    inFlight = null
  })
  inFlight = { key: p.key, promise }
  return promise
}

async function run(
  ctx: NodeContext,
  p: { version: string; sha256: string; key: string },
): Promise<SelfUpdateResult> {
  const t0 = Date.now()
  const self = ctx.config.self
  const base = ctx.config.releases?.url
  const result = (
    r: Omit<SelfUpdateResult, 'key' | 'ms' | 'at' | 'version' | 'from' | 'to'> & Partial<SelfUpdateResult>,
  ): SelfUpdateResult => ({
    key: p.key,
    from: ctx.version,
    to: p.version,
    version: ctx.version,
    ms: Date.now() - t0,
    at: new Date().toISOString(),
    ...r,
  })
  const state = selfUpdateState(ctx.config)
  if (state.last?.key === p.key) return { ...state.last, version: ctx.version }
  if (state.rolledBack?.key === p.key)
    return result({
      outcome: 'rolled-back',
      reason: 'did-not-come-back',
      detail: `${state.rolledBack.to} did not come back; the service manager put ${state.rolledBack.from} back`,
      from: state.rolledBack.from,
      to: state.rolledBack.to,
    })
  if (state.pending?.key === p.key)
    return result({ outcome: 'restarting', reason: null, detail: `restarting into ${p.version}` })
  if (p.version === ctx.version)
    return result({ outcome: 'unchanged', reason: null, detail: `already ${ctx.version}` })
  if (!self || !base)
    throw new NodeCommandError(
      'UNAVAILABLE',
      'this node has no self-update configured (self.dir and releases.url)',
    )
  if (!ctx.requestRestart)
    throw new NodeCommandError('UNAVAILABLE', 'this node cannot restart itself (a swarm or virtual node)')
  if (state.pending)
    throw new NodeCommandError('CONFLICT', `an update to ${state.pending.to} is still on probation`)

  const rel = await ensureRelease(self.dir, p.version, releaseUrl(base, 'gf-clawnode', p.version), p.sha256, {
    signal: AbortSignal.timeout(600_000),
    timeoutMs: 600_000,
  })
  const bin = join(rel.dir, 'bin', 'gf-clawnode.js')
  const smoke = await runArgv(process.execPath, [bin, '--version'], {
    timeoutMs: 30_000,
    maxOutputBytes: 64 * 1024,
  }).catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }))
  if (smoke.exitCode !== 0 || !smoke.stdout.startsWith(`gf-clawnode/${p.version} `))
    return result({
      outcome: 'failed',
      reason: 'smoke',
      detail: `the release does not run as gf-clawnode ${p.version} (${(smoke.stdout || smoke.stderr).trim().slice(0, 200)}); nothing was changed`,
    })

  const dir = dirOf(ctx.config)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const current = join(self.dir, 'current')
  writeFileSync(join(dir, 'previous'), `${realpathSync(current)}\n`, { mode: 0o600 })
  rmSync(join(dir, 'rolled-back'), { force: true })
  writeJson(join(dir, 'pending'), {
    key: p.key,
    from: ctx.version,
    to: p.version,
    at: new Date().toISOString(),
  } satisfies Pending)
  swapSymlink(current, rel.dir)
  ctx.logger.info(
    { from: ctx.version, to: p.version, key: p.key },
    'gf-clawnode swapped; restarting into the new release',
  )
  // The answer goes out first; then the service manager restarts us into the new release.
  setTimeout(() => ctx.requestRestart?.(`self-update to ${p.version}`), 1_000).unref()
  return result({ outcome: 'restarting', reason: null, detail: `swapped to ${p.version}; restarting` })
}

/**
 * At start: a new release on probation commits once it has joined the gateway, or gives up after
 * `self.probationMs` (exits non-zero so the service manager can put the previous release back). A
 * stale `pending` this version is not the subject of (the swap never happened) is cleared.
 */
export function startProbation(
  config: ClawnodeConfig,
  version: string,
  logger: Logger,
  giveUp: (why: string) => void,
): { joined(): void } | null {
  const dir = dirOf(config)
  const pending = readJson<Pending>(join(dir, 'pending'))
  if (!pending) return null
  if (pending.to !== version) {
    logger.warn({ pending }, 'a self-update to another version was pending; it never ran, clearing it')
    rmSync(join(dir, 'pending'), { force: true })
    return null
  }
  const ms = config.self?.probationMs ?? 120_000
  logger.info(
    { from: pending.from, to: pending.to, probationMs: ms },
    'new release on probation until it joins the gateway',
  )
  const timer = setTimeout(() => giveUp(`${version} did not join the gateway within ${ms} ms`), ms)
  timer.unref()
  let done = false
  return {
    joined() {
      if (done) return
      done = true
      clearTimeout(timer)
      if (!existsSync(join(dir, 'pending'))) return
      writeJson(join(dir, 'last.json'), {
        key: pending.key,
        outcome: 'upgraded',
        reason: null,
        detail: `${pending.from} → ${pending.to}: rejoined the gateway with its device token`,
        from: pending.from,
        to: pending.to,
        version,
        ms: Date.now() - Date.parse(pending.at),
        at: new Date().toISOString(),
      } satisfies SelfUpdateResult)
      rmSync(join(dir, 'pending'), { force: true })
      logger.info({ from: pending.from, to: pending.to }, 'self-update committed')
    },
  }
}
