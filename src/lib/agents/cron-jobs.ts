/**
 * The team's schedules as OpenClaw cron jobs (the `cron.add` shape of openclaw 2026.9.6), named
 * `clawops-<id>` so an install finds its own jobs again (`cron.list`) and adds, replaces or keeps
 * each one by name:
 * - Guardian's sweep every 5 minutes: a command job (no model call) running `watch --once --heal`
 *   through Guardian's wrapper, so the sweep, the detectors, heals and event delivery run as Guardian
 *   (PRD §3.3); off with `agents.guardianSweep: false` when `clawops watch --heal` is a service;
 * - Guardian's hourly report to Commander and Ledger's cost analysis every 6 hours: isolated agent
 *   turns that run the named commands through exec and send Commander a summary;
 * - the Briefer's 07:00 UTC daily briefing, Monday weekly cost report and monthly capacity report
 *   (BRIEFING_JOBS, one definition shared with `clawops cron print`).
 */
import { BRIEFING_JOBS, openclawCronJob } from '../brief/schedules.js'
import { isPlainObject, type Json } from '../gateway/config-diff.js'
import { type AgentsSettings, agentSessionKey } from './settings.js'
import { wrapperPath } from './wrapper.js'

export type CronJobParams = Record<string, Json>

function agentTurn(
  name: string,
  description: string,
  agentId: string,
  expr: string,
  message: string,
  toolsAllow: string[],
): CronJobParams {
  return {
    name,
    description,
    agentId,
    enabled: true,
    schedule: { kind: 'cron', expr, tz: 'UTC' },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    payload: { kind: 'agentTurn', message, toolsAllow, timeoutSeconds: 300 },
    delivery: { mode: 'none' },
  }
}

/** Every cron job the team needs, in `cron.add` form. */
export function teamCronJobs(s: AgentsSettings): CronJobParams[] {
  const { guardian, ledger, briefer, commander } = s.members
  const toCommander = agentSessionKey(commander)
  const jobs: CronJobParams[] = []
  if (s.guardianSweep) {
    jobs.push({
      name: 'clawops-guardian-sweep',
      description: 'Every 5 minutes: health sweep, detectors, auto-heal and event delivery, as Guardian',
      agentId: guardian.id,
      enabled: true,
      schedule: { kind: 'every', everyMs: 300_000 },
      sessionTarget: 'isolated',
      wakeMode: 'now',
      payload: {
        kind: 'command',
        argv: [wrapperPath(guardian.binDir), 'watch', '--once', '--heal', '--json'],
        timeoutSeconds: 240,
      },
      delivery: { mode: 'none' },
    })
  }
  jobs.push(
    agentTurn(
      'clawops-guardian-hourly-report',
      'Every hour: Guardian reports fleet health to Commander',
      guardian.id,
      '0 * * * *',
      `Scheduled: your hourly report. Run \`clawops fleet status --json\` and \`clawops incident list --open --json\` with exec. Send Commander one JSON object with sessions_send to ${toCommander}: {"kind":"guardian.hourly","degraded":[ids],"failed":[ids],"pairsWithoutActivePrimary":[ids with condition],"openIncidents":[ids],"actionsTaken":[what you healed or failed over this hour]}. If both lists are empty and nothing happened, send nothing and reply NO_REPLY.`,
      ['exec', 'sessions_send'],
    ),
    agentTurn(
      'clawops-ledger-cost-analysis',
      'Every 6 hours: Ledger compares spend with the projection and lists waste for Commander',
      ledger.id,
      '0 */6 * * *',
      `Scheduled: cost analysis. Run \`clawops cost report --json\` and \`clawops cost waste --json\` with exec. Send Commander, with sessions_send to ${toCommander}, a numbers-first summary: spend so far and forecast against the projection (the delta in %), the top movers, each waste category with its monthly saving and the exact command it recommends. Recommend only; you change nothing.`,
      ['exec', 'sessions_send'],
    ),
  )
  for (const job of BRIEFING_JOBS) {
    jobs.push(openclawCronJob(job, { home: s.home, agentId: briefer.id }) as unknown as CronJobParams)
  }
  return jobs
}

/** What decides a job's behaviour, for comparing a stored job with the wanted one. */
function shape(job: Record<string, Json>): string {
  const sched = isPlainObject(job.schedule) ? job.schedule : {}
  const pay = isPlainObject(job.payload) ? job.payload : {}
  const del = isPlainObject(job.delivery) ? job.delivery : {}
  return JSON.stringify({
    agentId: job.agentId ?? null,
    enabled: job.enabled ?? true,
    description: job.description ?? null,
    schedule: {
      kind: sched.kind,
      expr: sched.expr ?? null,
      tz: sched.tz ?? null,
      everyMs: sched.everyMs ?? null,
    },
    sessionTarget: job.sessionTarget ?? null,
    payload: {
      kind: pay.kind,
      message: pay.message ?? null,
      argv: pay.argv ?? null,
      toolsAllow: pay.toolsAllow ?? null,
      timeoutSeconds: pay.timeoutSeconds ?? null,
    },
    delivery: del.mode ?? null,
  })
}

export interface CronChange {
  name: string
  op: 'add' | 'replace'
  /** Stored jobs of that name a replace removes before adding the wanted one. */
  removeIds: string[]
}

export interface CronPlan {
  changes: CronChange[]
  unchanged: string[]
}

/** Compares the wanted jobs with the gateway's (`cron.list` with disabled jobs). */
export function planCron(existing: Record<string, Json>[], wanted: CronJobParams[]): CronPlan {
  const changes: CronChange[] = []
  const unchanged: string[] = []
  for (const w of wanted) {
    const name = w.name as string
    const have = existing.filter((j) => j.name === name)
    if (have.length === 1 && shape(have[0]!) === shape(w)) unchanged.push(name)
    else if (have.length === 0) changes.push({ name, op: 'add', removeIds: [] })
    // A changed job, or copies left by an install that died halfway, are replaced by one job.
    else changes.push({ name, op: 'replace', removeIds: have.map((j) => String(j.id)) })
  }
  return { changes, unchanged }
}
