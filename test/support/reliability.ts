/**
 * The reliability harness (issue P10): a lab home driven through the built CLI, clawops processes
 * SIGKILLed at seeded random points (or a few ms after the lab answered a provider delete), resumed
 * by a process that must exit by itself, and the invariants every operation must leave behind,
 * checked against the lab cloud's own view:
 *
 * - every operation done, or failed/partial with each failed step's error a stable, non-INTERNAL code
 *   and a message (none left running);
 * - no row in a transitional state (CREATING, BOOTSTRAPPING, STANDBY_PROMOTING, RESIZING, ARCHIVING);
 * - no orphan (a live provider server no live row points to), no duplicate (two live rows on one
 *   server, two live servers for one instance, more than two live rows in a pair) and no row that
 *   points to a server the provider no longer has;
 * - every provider delete the lab received was audited before it arrived: the audit entry's time
 *   (ms, written and committed before the request is sent) is not after the request's arrival time
 *   in the lab's request log (µs). The kill tests add a few ms of latency to every provider request,
 *   so an entry written after its delete's answer could never pass as one written before it;
 * - the audit chain verifies.
 */
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { expect } from 'vitest'
import { USER_CONFIG_PATH } from '../../src/lib/bootstrap/vps-setup.js'
import type { AuditEntry } from '../../src/lib/domain/audit.js'
import type { Instance } from '../../src/lib/domain/instance.js'
import type { LoggedRequest } from '../../src/lib/lab/cloud/request-log.js'
import { serverDirOf } from '../../src/lib/lab/vps/boot.js'
import { tagsToLabels } from '../../src/lib/providers/tags.js'
import { AuditTrail } from '../../src/lib/store/audit-trail.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Operations } from '../../src/lib/store/operations.js'
import { Store } from '../../src/lib/store/store.js'
import { type CliResult, clawops, clawopsAsync, clawopsChild } from './cli.js'
import { tempHome } from './context.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the callers
export type Json = any

export const TRANSITIONAL = ['CREATING', 'BOOTSTRAPPING', 'STANDBY_PROMOTING', 'RESIZING', 'ARCHIVING']

/** Seeded randomness (mulberry32): a failing point is replayed from the seed it prints. */
export function seeded(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** An integer in [lo, hi). */
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  }
}

interface LabServer {
  provider: string
  id: string
  name: string
  power: string
  labels: Record<string, string>
  tags: string[]
  cancelDate: string | null
  subscriptionId: string | null
}

export interface LabUpOptions {
  driver?: 'clawnode' | 'clawnode-virtual' | 'instant'
  bootSeconds?: number
  /** Merged into the home's config.json before `lab up` writes its part. */
  config?: Record<string, unknown>
}

/** A clawops home with its lab up, driven through the built CLI as an operator would. */
export class LabHome {
  readonly home = tempHome()
  readonly env: Record<string, string> = { CLAWOPS_HOME: this.home }
  url = ''

  cli(args: string[]): CliResult {
    return clawops([...args, '--json'], this.env)
  }

  cliAsync(args: string[]): Promise<CliResult> {
    return clawopsAsync([...args, '--json'], this.env)
  }

  ok(...args: string[]): Json {
    const r = this.cli(args)
    expect(r.code, `${args.join(' ')}: ${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`).toBe(0)
    return (r.json as Json).data
  }

  async okAsync(...args: string[]): Promise<Json> {
    const r = await this.cliAsync(args)
    expect(r.code, `${args.join(' ')}: ${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`).toBe(0)
    return (r.json as Json).data
  }

  async up(o: LabUpOptions = {}): Promise<void> {
    if (o.config) {
      const { writeFileSync } = await import('node:fs')
      writeFileSync(join(this.home, 'config.json'), JSON.stringify(o.config))
    }
    const up = await this.okAsync(
      'lab',
      'up',
      '--driver',
      o.driver ?? 'clawnode-virtual',
      '--boot-seconds',
      String(o.bootSeconds ?? 1),
    )
    this.url = up.cloud.url
  }

  down(): void {
    clawops(['lab', 'down'], this.env)
  }

  async control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Json> {
    const res = await fetch(`${this.url}/_lab${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    const text = await res.text()
    if (res.status >= 300) throw new Error(`lab ${method} ${path}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }

  async servers(): Promise<LabServer[]> {
    return (await this.control('GET', '/servers')).servers
  }

  async requests(since = 0): Promise<LoggedRequest[]> {
    return (await this.control('GET', `/requests?since=${since}`)).requests
  }

  async lastRequest(): Promise<number> {
    return (await this.control('GET', '/requests?since=999999999')).last
  }

  async fault(rule: Record<string, unknown>): Promise<string> {
    return (await this.control('POST', '/faults', rule)).id
  }

  async clearFaults(): Promise<void> {
    await this.control('DELETE', '/faults')
  }

  /** Reads the store (read only) with the production repositories. */
  read<T>(fn: (store: Store) => T): T {
    const store = Store.openReadOnly(join(this.home, 'fleet.db'))
    try {
      return fn(store)
    } finally {
      store.close()
    }
  }

  /** Provisions `count` pairs and returns their ids. */
  async provision(count: number, primary: string, standby: string, tier = 'nano'): Promise<string[]> {
    const r = await this.okAsync(
      'provision',
      '--count',
      String(count),
      '--tier',
      tier,
      '--region',
      'eu',
      '--primary',
      primary,
      '--standby',
      standby,
      '--yes',
    )
    expect(r.status, JSON.stringify(r.steps?.filter((s: Json) => s.state !== 'done'))).toBe('done')
    return r.pairs.map((p: Json) => p.pairId)
  }
}

/** How a run is stopped: at a time after its start, or a few ms after the lab answered a delete. */
export type KillPoint = { afterMs: number } | { afterDelete: number; plusMs: number }

export interface KillOutcome {
  point: KillPoint
  /** False when the run ended before the point was reached. */
  killed: boolean
  /** The run's exit code when it ended by itself. */
  code: number | null
  /** ms from the start to the kill (or to the exit). */
  at: number
  stdout: string
}

/** Provider deletes as each provider's API takes them, from the lab's request log. */
export function deleteOf(
  r: LoggedRequest,
  servers: LabServer[],
): { provider: string; serverId: string } | null {
  const m = (re: RegExp) => re.exec(`${r.method} ${r.path}`)?.[1]
  switch (r.provider) {
    case 'hetzner': {
      const id = m(/^DELETE \/servers\/([^/]+)$/)
      return id ? { provider: r.provider, serverId: id } : null
    }
    case 'vultr': {
      const id = m(/^DELETE \/instances\/([^/]+)$/)
      return id ? { provider: r.provider, serverId: id } : null
    }
    case 'digitalocean': {
      const id = m(/^DELETE \/droplets\/([^/]+)$/)
      return id ? { provider: r.provider, serverId: id } : null
    }
    case 'contabo': {
      const id = m(/^POST \/compute\/instances\/([^/]+)\/cancel$/)
      return id ? { provider: r.provider, serverId: id } : null
    }
    case 'hostinger': {
      const sub = m(/^DELETE \/api\/billing\/v1\/subscriptions\/([^/]+)\/auto-renewal\/disable$/)
      if (!sub) return null
      const vm = servers.find(
        (s) => s.provider === 'hostinger' && s.subscriptionId === decodeURIComponent(sub),
      )
      return { provider: r.provider, serverId: vm?.id ?? `subscription:${sub}` }
    }
    default:
      return null
  }
}

const isDeleteRoute = (r: LoggedRequest) =>
  (r.method === 'DELETE' && /^\/(servers|instances|droplets)\/[^/]+$|auto-renewal\/disable$/.test(r.path)) ||
  (r.method === 'POST' && /\/cancel$/.test(r.path))

/**
 * Runs `args` as a clawops process and SIGKILLs it at `point`. For a delete point the lab's request
 * log is followed from the start of the run; the kill lands `plusMs` after the lab answered the
 * `afterDelete`-th provider delete of this run.
 */
export async function runKilled(lab: LabHome, args: string[], point: KillPoint): Promise<KillOutcome> {
  const since = await lab.lastRequest()
  const t0 = Date.now()
  const child = clawopsChild([...args, '--json'], lab.env)
  let stdout = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.resume()
  let killedAt: number | null = null
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && killedAt === null) {
      killedAt = Date.now() - t0
      child.kill('SIGKILL')
    }
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let timer: NodeJS.Timeout | undefined
  let following = true
  if ('afterMs' in point) {
    timer = setTimeout(kill, point.afterMs)
  } else {
    void (async () => {
      let seen = 0
      let after = since
      while (following && child.exitCode === null) {
        const got: LoggedRequest[] = (await lab.control('GET', `/requests?since=${after}&wait=2000`)).requests
        for (const r of got) {
          after = Math.max(after, r.seq)
          if (!isDeleteRoute(r)) continue
          seen++
          if (seen === point.afterDelete) {
            timer = setTimeout(kill, point.plusMs)
            following = false
            return
          }
        }
      }
    })().catch(() => undefined)
  }
  const code = await exited
  following = false
  if (timer) clearTimeout(timer)
  return {
    point,
    killed: killedAt !== null,
    code: killedAt === null ? code : null,
    at: killedAt ?? Date.now() - t0,
    stdout,
  }
}

export interface ResumeOutcome {
  code: number | null
  /** False: it was still running after `timeoutMs` and was killed. */
  exited: boolean
  ms: number
  json: Json
  stdout: string
  stderr: string
}

/** Runs `args` (a resume) and waits for it to exit by itself, for at most `timeoutMs`. */
export async function runToExit(lab: LabHome, args: string[], timeoutMs = 180_000): Promise<ResumeOutcome> {
  const t0 = Date.now()
  const child: ChildProcess = clawopsChild([...args, '--json'], lab.env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => {
    stdout += d
  })
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  clearTimeout(timer)
  let json: Json
  try {
    json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '')
  } catch {
    json = undefined
  }
  return { code: timedOut ? null : code, exited: !timedOut, ms: Date.now() - t0, json, stdout, stderr }
}

export interface InvariantReport {
  violations: string[]
  operations: { done: number; partial: number; failed: number; running: number }
  deletesChecked: number
}

const STABLE_CODES = new Set([
  'INVALID_INPUT',
  'CONFIG_INVALID',
  'NOT_FOUND',
  'PROVIDER_ERROR',
  'POLICY_DENIED',
  'GATEWAY_UNREACHABLE',
  'CONFIRMATION_REQUIRED',
  'PLAN_STALE',
  'CONFLICT',
  'NODE_ERROR',
  'TIMEOUT',
  'PARTIAL_FAILURE',
  'INTERRUPTED',
])

function labelsOf(s: LabServer): Record<string, string> {
  return { ...tagsToLabels(s.tags ?? []), ...(s.labels ?? {}) }
}

/** A server still on its provider's books and running for someone (not being deleted, not cancelled). */
function liveServer(s: LabServer): boolean {
  return s.power !== 'deleting' && s.cancelDate === null
}

/**
 * The invariants over the whole home: every operation, row, server and provider delete so far.
 * `kinds` limits the operation check to these kinds (provisioning that set the fleet up is checked
 * by its own tests). Returns what is wrong, in words, empty when everything holds.
 */
export async function checkInvariants(lab: LabHome, o: { kinds?: string[] } = {}): Promise<InvariantReport> {
  const violations: string[] = []
  const servers = await lab.servers()
  const requests = (await lab.requests(0)).filter(isDeleteRoute)
  const { instances, ops, deletes, verify } = lab.read((store) => {
    const operations = store.repo(Operations)
    const ops = operations
      .list({ limit: 100_000 })
      .filter((op) => !o.kinds || o.kinds.includes(op.kind))
      .map((op) => ({ op, steps: operations.steps(op.id) }))
    return {
      instances: store.repo(Instances).list({ includeDeleted: true }),
      ops,
      deletes: store.repo(AuditTrail).query({ action: 'provider.delete', limit: 1_000_000 }),
      verify: store.repo(AuditTrail).verify(),
    }
  })
  const counts = { done: 0, partial: 0, failed: 0, running: 0 }
  for (const { op, steps } of ops) {
    counts[op.state as keyof typeof counts]++
    if (op.state === 'running') violations.push(`operation ${op.id} (${op.kind}) is still running`)
    if (op.state === 'partial' || op.state === 'failed') {
      const failed = steps.filter((s) => s.state === 'failed')
      if (failed.length === 0)
        violations.push(`operation ${op.id} (${op.kind}) is ${op.state} with no failed step`)
      for (const s of failed) {
        const e = s.error as { code?: string; message?: string } | null
        if (!e?.code || !STABLE_CODES.has(e.code) || !e.message)
          violations.push(
            `operation ${op.id} (${op.kind}) step ${s.seq} ${s.name} ${s.target ?? ''} failed without a clear error: ${JSON.stringify(e)}`,
          )
      }
      const stuck = steps.filter((s) => s.state === 'running' || s.state === 'pending')
      if (stuck.length > 0 && op.state !== 'failed')
        violations.push(
          `operation ${op.id} (${op.kind}) ended ${op.state} with ${stuck.length} step(s) unfinished`,
        )
    }
  }

  const live = instances.filter((i) => i.state !== 'DELETED')
  for (const i of live.filter((x) => TRANSITIONAL.includes(x.state)))
    violations.push(`instance ${i.id} (pair ${i.pairId}) is left ${i.state}`)

  const serverKey = (provider: string, id: string) => `${provider}/${id}`
  const liveServers = servers.filter(liveServer)
  const byServer = Map.groupBy(
    live.filter((i) => i.providerId),
    (i) => serverKey(i.provider, i.providerId!),
  )
  for (const [key, rows] of byServer) {
    if (rows.length > 1)
      violations.push(`duplicate: ${rows.map((r) => r.id).join(', ')} all point to server ${key}`)
  }
  const known = new Set(liveServers.map((s) => serverKey(s.provider, s.id)))
  for (const s of liveServers) {
    if (!byServer.has(serverKey(s.provider, s.id)))
      violations.push(
        `orphan: ${s.provider} server ${s.id} (${s.name}, instance label ${labelsOf(s)['clawops/instance'] ?? '-'}) has no live row`,
      )
  }
  for (const i of live) {
    if (i.providerId && !known.has(serverKey(i.provider, i.providerId)))
      violations.push(`instance ${i.id} is ${i.state} but its ${i.provider} server ${i.providerId} is gone`)
  }
  for (const [inst, ss] of Map.groupBy(liveServers, (s) => labelsOf(s)['clawops/instance'] ?? `?${s.id}`)) {
    if (!inst.startsWith('?') && ss.length > 1)
      violations.push(
        `duplicate: instance ${inst} has ${ss.length} live servers (${ss.map((s) => `${s.provider}/${s.id}`).join(', ')})`,
      )
  }
  for (const [pairId, rows] of Map.groupBy(live, (i) => i.pairId)) {
    if (rows.length > 2)
      violations.push(
        `pair ${pairId} has ${rows.length} live rows (${rows.map((r) => `${r.id} ${r.role} ${r.state}`).join(', ')})`,
      )
  }

  const audited = Map.groupBy(deletes, (e: AuditEntry) => {
    const d = e.details as { provider?: string; serverId?: string } | null
    return serverKey(d?.provider ?? '?', String(d?.serverId ?? '?'))
  })
  for (const r of requests) {
    const del = deleteOf(r, servers)
    if (!del) continue
    const entries = audited.get(serverKey(del.provider, del.serverId)) ?? []
    const before = entries.filter((e) => Date.parse(e.ts) <= r.receivedAt)
    if (before.length === 0)
      violations.push(
        `provider delete of ${del.provider} server ${del.serverId} reached the lab at ${new Date(r.receivedAt).toISOString()} (request ${r.seq}) with no audit entry before it${entries.length ? ` (one was written at ${entries[0]!.ts})` : ''}`,
      )
  }
  if (!verify.ok) violations.push(`audit chain: ${JSON.stringify(verify.firstBad)}`)
  return { violations, operations: counts, deletesChecked: requests.length }
}

/** The user gateway's openclaw.json on an instance's lab server, where the VPS setup puts it. */
export function userConfigOf(lab: LabHome, i: Instance): string {
  const server = { provider: i.provider, id: i.providerId! } as Parameters<typeof serverDirOf>[1]
  return join(serverDirOf(join(lab.home, 'lab', 'cloud'), server), 'root', USER_CONFIG_PATH)
}

/** Live members of each pair, for kind-specific checks. */
export function liveMembers(lab: LabHome, pairId: string): Instance[] {
  return lab.read((s) => s.repo(Instances).list({ pairId }))
}

/** One line for a test's log (stderr): what a point did. */
export function note(line: string): void {
  process.stderr.write(`[reliability] ${line}\n`)
}

export interface CampaignPoint {
  /** The clawops command to run and kill (without --json). */
  args: string[]
  /** Extra checks for this point once resumed; returns what is wrong. */
  check?: () => Promise<string[]> | string[]
}

export interface CampaignResult {
  kind: string
  seed: number
  /** Points tried (a run was started with a kill point). */
  tried: number
  /** Runs actually killed (the others ended before their point). */
  killed: number
  /** Points after which every invariant held. */
  held: number
  /** Points at which a kill landed within 30 ms after a provider delete was answered. */
  afterDelete: number
  /** New violations, by point. */
  failures: { point: number; kill: KillPoint; at: number; violations: string[] }[]
  resumeMs: number[]
}

/**
 * SIGKILL at `points` seeded random points of runs that `next` prepares: a point is a time across
 * the operation's measured duration (`durationMs`), or (every `deleteEvery`-th point, when set) a few
 * ms after the lab answered one of the run's provider deletes. After each kill, `resume` commands
 * run one after the other and must exit by themselves; then the invariants (and the point's own
 * checks) are taken, and whatever is new is that point's failure.
 */
export async function killCampaign(o: {
  lab: LabHome
  kind: string
  seed: number
  points: number
  durationMs: number
  deleteEvery?: number
  next: (i: number) => Promise<CampaignPoint>
  resume: (i: number, killed: KillOutcome) => string[][]
  kinds?: string[]
}): Promise<CampaignResult> {
  const rnd = seeded(o.seed)
  const out: CampaignResult = {
    kind: o.kind,
    seed: o.seed,
    tried: 0,
    killed: 0,
    held: 0,
    afterDelete: 0,
    failures: [],
    resumeMs: [],
  }
  let known = new Set((await checkInvariants(o.lab, { kinds: o.kinds })).violations)
  // Time points fall within the shortest run seen so far: a point past the end kills nothing.
  let span = Math.max(1, o.durationMs)
  // Points the run ended before do not count: go on until `points` runs were killed.
  for (let i = 0; out.killed < o.points && i < o.points * 2; i++) {
    const p = await o.next(i)
    const kill: KillPoint =
      o.deleteEvery && i % o.deleteEvery === o.deleteEvery - 1
        ? { afterDelete: rnd.int(1, 3), plusMs: rnd.int(0, 15) }
        : { afterMs: rnd.int(0, span) }
    const k = await runKilled(o.lab, p.args, kill)
    if (!k.killed && k.code === 0) span = Math.max(1, Math.min(span, k.at))
    out.tried++
    if (k.killed) out.killed++
    if (k.killed && 'afterDelete' in kill) out.afterDelete++
    const problems: string[] = []
    for (const cmd of o.resume(i, k)) {
      const r = await runToExit(o.lab, cmd)
      out.resumeMs.push(r.ms)
      if (!r.exited) problems.push(`${cmd.join(' ')} did not exit within its time (killed)`)
      else if (r.code !== 0 && r.json?.error?.code === 'INTERNAL')
        problems.push(`${cmd.join(' ')}: INTERNAL ${r.json.error.message}`)
    }
    const report = await checkInvariants(o.lab, { kinds: o.kinds })
    const fresh = report.violations.filter((v) => !known.has(v))
    known = new Set(report.violations)
    problems.push(...fresh, ...((await p.check?.()) ?? []))
    const where =
      'afterMs' in kill ? `${kill.afterMs} ms` : `${kill.plusMs} ms after delete #${kill.afterDelete}`
    note(
      `${o.kind} run ${i + 1}, kill ${out.killed}/${o.points} (seed ${o.seed}): ${k.killed ? `killed at ${k.at} ms (${where})` : `ended by itself (exit ${k.code}) before ${where}`}; ${problems.length ? `${problems.length} problem(s)` : 'held'}`,
    )
    if (problems.length === 0) out.held++
    else out.failures.push({ point: i + 1, kill, at: k.at, violations: problems })
  }
  note(
    `${o.kind}: ${out.tried} points tried, ${out.killed} killed (${out.afterDelete} just after a provider delete), ${out.held} held (seed ${o.seed}); resumes exited in ${Math.min(...out.resumeMs)}–${Math.max(...out.resumeMs)} ms`,
  )
  return out
}
