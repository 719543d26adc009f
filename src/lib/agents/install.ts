/**
 * `clawops agents install`: turns the operator's OpenClaw gateway into the agent team, idempotently,
 * as a journaled operation (plan → policy → steps; `--dry-run` prints the plan, which holds the diff).
 * Each step recomputes what is missing and applies only that, so a resumed or repeated install
 * changes nothing that is already right:
 * 1. wrappers: each agent's `clawops` wrapper (actor and home pinned);
 * 2. workspaces: soul files and skills;
 * 3. config: agents, tools, hooks, operator channel (`config.get` → `config.patch` with the base
 *    hash, hot-reloaded), or the config file of a stopped gateway (`--file`);
 * 4. approvals: the exec allowlists (`exec.approvals.get` → `exec.approvals.set` with the base hash);
 * 5. cron: the team's jobs (`cron.list` → `cron.remove`/`cron.add` by name);
 * 6. verify: the gateway's view of each agent's skills (`skills.status`): a skill whose `clawops`
 *    binary is not on the gateway's PATH stays hidden from the model, which is worth a warning.
 * Approvals and cron jobs live in the running gateway's state, so `--file` leaves them for the next
 * install against the running gateway (until then the agents' exec finds no allowlist: refused).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import type { AgentName } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import type { OperationKind, PlanDraft, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import type { GatewayClient } from '../gateway/client.js'
import { isPlainObject, type Json } from '../gateway/config-diff.js'
import { applyPatch } from '../gateway/setup.js'
import { planApprovals } from './approvals.js'
import { planCron, teamCronJobs } from './cron-jobs.js'
import { planAgentsConfig } from './gateway-config.js'
import { type AgentsSettings, agentsSettings } from './settings.js'
import { TEAM } from './team.js'
import { applyWorkspaces, planWorkspaces } from './workspace.js'
import { wrapperChanged, wrapperScript, writeWrapper } from './wrapper.js'

export const AgentsInstallParamsSchema = z.object({ file: z.string().min(1).optional() }).strict()
export type AgentsInstallParams = z.infer<typeof AgentsInstallParamsSchema>

const NAMES = Object.keys(TEAM) as AgentName[]

/** The gateway client with admin scopes (config, approvals, cron), on the Context's admin link. */
async function withClient<T>(ctx: Context, fn: (c: GatewayClient) => Promise<T>): Promise<T> {
  const ep = await ctx.gatewayEndpoint()
  if (!ep.token) {
    throw new UserError('GATEWAY_UNREACHABLE', `no gateway token: ${ep.tokenSource} is not set`, {
      hint: `Export ${ep.tokenSource}, or use --file with the gateway's config file (approvals and cron jobs then wait for the running gateway).`,
    })
  }
  return fn(await (await ctx.gateway('admin')).get())
}

const ConfigSnapshot = z.looseObject({
  path: z.string().optional(),
  hash: z.string().optional(),
  parsed: z.unknown().optional(),
  sourceConfig: z.unknown().optional(),
})

async function gatewayConfig(c: GatewayClient) {
  const snap = ConfigSnapshot.parse(await c.request('config.get', {}))
  // sourceConfig is the authored file (what a patch edits); parsed may hold resolved defaults.
  const src = isPlainObject(snap.sourceConfig)
    ? snap.sourceConfig
    : isPlainObject(snap.parsed)
      ? snap.parsed
      : {}
  return { config: src as Record<string, Json>, hash: snap.hash, target: snap.path ?? c.url }
}

function fileConfig(path: string): Record<string, Json> {
  if (!existsSync(path)) return {}
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (isPlainObject(parsed)) return parsed
  } catch {
    // reported below
  }
  throw new UserError('CONFIG_INVALID', `${path} is not a strict JSON object; it was not modified`, {
    hint: 'Install against the running gateway instead (it understands JSON5), or fix the file.',
  })
}

const ApprovalsSnapshot = z.looseObject({ hash: z.string().optional(), file: z.unknown().optional() })
const CronList = z.looseObject({ jobs: z.array(z.record(z.string(), z.unknown())).default([]) })

async function listOurJobs(c: GatewayClient): Promise<Record<string, Json>[]> {
  const r = CronList.parse(
    await c.request('cron.list', { includeDisabled: true, query: 'clawops-', limit: 200 }),
  )
  return r.jobs.filter((j) => typeof j.name === 'string' && j.name.startsWith('clawops-')) as Record<
    string,
    Json
  >[]
}

interface Planned {
  wrappers: AgentName[]
  workspaces: ReturnType<typeof planWorkspaces>
  config: ReturnType<typeof planAgentsConfig> & { target: string }
  approvals: ReturnType<typeof planApprovals> | null
  cron: ReturnType<typeof planCron> | null
}

async function planAll(ctx: Context, p: AgentsInstallParams, s: AgentsSettings): Promise<Planned> {
  const wrappers = NAMES.filter((n) => wrapperChanged(s.members[n].binDir, wrapperScript(n, s.home)))
  const workspaces = planWorkspaces(s)
  if (p.file) {
    const current = fileConfig(p.file)
    const token = (current.gateway as { auth?: { token?: unknown } } | undefined)?.auth?.token
    const config = planAgentsConfig(current, s, typeof token === 'string' ? { gatewayToken: token } : {})
    return { wrappers, workspaces, config: { ...config, target: p.file }, approvals: null, cron: null }
  }
  return withClient(ctx, async (c) => {
    const gw = await gatewayConfig(c)
    const approvals = ApprovalsSnapshot.parse(await c.request('exec.approvals.get', {}))
    const jobs = await listOurJobs(c)
    return {
      wrappers,
      workspaces,
      config: { ...planAgentsConfig(gw.config, s), target: gw.target },
      approvals: planApprovals(approvals.file, s),
      cron: planCron(jobs, teamCronJobs(s)),
    }
  })
}

async function applyConfig(run: StepRun, p: AgentsInstallParams, s: AgentsSettings) {
  if (p.file) {
    const current = fileConfig(p.file)
    const token = (current.gateway as { auth?: { token?: unknown } } | undefined)?.auth?.token
    const plan = planAgentsConfig(current, s, typeof token === 'string' ? { gatewayToken: token } : {})
    if (!plan.changed) return { changes: 0, target: p.file }
    const next = applyPatch(current, plan.patch)
    const tmp = join(dirname(p.file), `.${basename(p.file)}.${process.pid}.tmp`)
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
    renameSync(tmp, p.file)
    return { changes: plan.changes.length, target: p.file, hooksTokenGenerated: plan.hooksTokenGenerated }
  }
  return withClient(run.ctx, async (c) => {
    const gw = await gatewayConfig(c)
    const plan = planAgentsConfig(gw.config, s)
    if (!plan.changed) return { changes: 0, target: gw.target }
    await c.request('config.patch', {
      raw: JSON.stringify(plan.patch),
      ...(gw.hash ? { baseHash: gw.hash } : {}),
      replacePaths: plan.replacePaths,
      note: 'clawops agents install',
    })
    return { changes: plan.changes.length, target: gw.target, hooksTokenGenerated: plan.hooksTokenGenerated }
  })
}

async function applyApprovals(run: StepRun, s: AgentsSettings) {
  return withClient(run.ctx, async (c) => {
    const snap = ApprovalsSnapshot.parse(await c.request('exec.approvals.get', {}))
    const plan = planApprovals(snap.file, s)
    if (!plan.changed) return { agents: [] }
    await c.request('exec.approvals.set', { file: plan.file, ...(snap.hash ? { baseHash: snap.hash } : {}) })
    return { agents: plan.changes.map((ch) => ch.agent) }
  })
}

/** The config hot-reload that registers new agents may still be landing: retry cron.add briefly. */
async function addJob(c: GatewayClient, job: Record<string, Json>): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await c.request<{ id?: string; job?: { id?: string } }>('cron.add', job)
      return String(r.id ?? r.job?.id ?? '')
    } catch (err) {
      if (attempt >= 10 || !/agent/i.test((err as Error).message)) throw err
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

async function applyCron(run: StepRun, s: AgentsSettings) {
  return withClient(run.ctx, async (c) => {
    const wanted = teamCronJobs(s)
    const plan = planCron(await listOurJobs(c), wanted)
    const done: { name: string; op: string; id: string }[] = []
    for (const ch of plan.changes) {
      for (const id of ch.removeIds) await c.request('cron.remove', { id })
      const job = wanted.find((j) => j.name === ch.name)!
      done.push({ name: ch.name, op: ch.op, id: await addJob(c, job) })
    }
    return { jobs: done, unchanged: plan.unchanged }
  })
}

const SkillsStatus = z.looseObject({
  skills: z
    .array(
      z.looseObject({
        name: z.string(),
        eligible: z.boolean().optional(),
        missing: z.looseObject({ bins: z.array(z.string()).optional() }).optional(),
      }),
    )
    .default([]),
})

/** Which of each agent's skills the gateway will show its model, and why not. */
async function verify(run: StepRun, s: AgentsSettings) {
  return withClient(run.ctx, async (c) => {
    const report: Record<string, { eligible: string[]; hidden: { skill: string; missingBins: string[] }[] }> =
      {}
    for (const name of NAMES) {
      const id = s.members[name].id
      const st = SkillsStatus.parse(await c.request('skills.status', { agentId: id }))
      const mine = st.skills.filter((k) => (TEAM[name].skills as readonly string[]).includes(k.name))
      report[id] = {
        eligible: mine.filter((k) => k.eligible).map((k) => k.name),
        hidden: mine
          .filter((k) => !k.eligible)
          .map((k) => ({ skill: k.name, missingBins: k.missing?.bins ?? [] })),
      }
    }
    const hidden = Object.entries(report).filter(([, r]) => r.hidden.length > 0)
    if (hidden.some(([, r]) => r.hidden.some((h) => h.missingBins.includes('clawops')))) {
      run.ctx.warn(
        "the gateway does not find `clawops` on its own PATH, so the agents' skills stay hidden from their models (exec still works through each agent's wrapper): start the gateway with clawops on its PATH",
      )
    }
    return { skills: report }
  })
}

const agentsInstallKind: OperationKind<AgentsInstallParams> = {
  kind: 'agents.install',
  action: 'agents.install',
  parseParams(raw) {
    const r = AgentsInstallParamsSchema.safeParse(raw ?? {})
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  async plan(ctx, p): Promise<PlanDraft> {
    const s = agentsSettings(ctx.config(), ctx.home)
    const planned = await planAll(ctx, p, s)
    for (const w of planned.config.warnings) ctx.warn(w)
    if (p.file) {
      ctx.warn(
        'exec allowlists and cron jobs are kept by the running gateway: run `clawops agents install` again once it runs (until then every agent exec is refused)',
      )
    }
    const steps: PlanDraft['steps'] = []
    if (planned.wrappers.length)
      steps.push({ name: 'wrappers', target: null, input: { agents: planned.wrappers } })
    if (planned.workspaces.changes.length)
      steps.push({ name: 'workspaces', target: null, input: { files: planned.workspaces.changes } })
    if (planned.config.changed)
      steps.push({
        name: 'config',
        target: null,
        input: { target: planned.config.target, changes: planned.config.changes },
      })
    if (planned.approvals?.changed)
      steps.push({ name: 'approvals', target: null, input: { agents: planned.approvals.changes } })
    if (planned.cron?.changes.length)
      steps.push({ name: 'cron', target: null, input: { jobs: planned.cron.changes } })
    const changed = steps.length > 0
    if (!p.file) steps.push({ name: 'verify', target: null, input: {} })
    const ids = NAMES.map((n) => s.members[n].id)
    return {
      summary: changed
        ? `install the agent team (${ids.join(', ')}) on ${planned.config.target}`
        : `the agent team is already installed on ${planned.config.target}`,
      targets: [],
      affectedUsers: 0,
      costDeltaMonthlyUsdCents: 0,
      steps,
      facts: { agentsInstall: { target: planned.config.target, agents: ids } },
    }
  },
  async runStep(run, p) {
    const s = agentsSettings(run.ctx.config(), run.ctx.home)
    switch (run.step.name) {
      case 'wrappers':
        return { written: NAMES.filter((n) => writeWrapper(s.members[n].binDir, wrapperScript(n, s.home))) }
      case 'workspaces':
        return { written: applyWorkspaces(planWorkspaces(s)) }
      case 'config':
        run.audit({ action: 'agents.install.config', details: { target: p.file ?? 'gateway' } })
        return applyConfig(run, p, s)
      case 'approvals':
        run.audit({
          action: 'agents.install.approvals',
          details: { agents: NAMES.map((n) => s.members[n].id) },
        })
        return applyApprovals(run, s)
      case 'cron':
        return applyCron(run, s)
      case 'verify':
        return verify(run, s)
      default:
        throw new UserError('INTERNAL', `agents.install has no step ${run.step.name}`)
    }
  },
}

export default agentsInstallKind
