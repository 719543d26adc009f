// The operator talking to Commander, end to end: a real OpenClaw gateway (the lab's, with the
// provider APIs and virtual gf-clawnodes), the team installed by `clawops agents install`, and a
// scripted model standing in for the LLM. The script only decides which command to run next and
// words the reply from what the commands returned; everything else is real: the gateway's exec
// allowlists, its human approval of a `--confirm`, the clawops wrapper acting as Commander, the lab
// cloud and the nodes. Each test checks the exec calls in the gateway's transcript, the clawops
// results they got, the reply, and the audit trail's actor.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEAM } from '../../../src/lib/agents/team.js'
import { clawops, clawopsAsync } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'
import { envelope, type Step, type Turn } from '../../support/fake-model.js'
import {
  clawopsPathDir,
  execResults,
  installTeam,
  type Json,
  labGateway,
  type Team,
  writeConfig,
} from './harness.js'

const home = tempHome()
const env: Record<string, string> = {
  CLAWOPS_HOME: home,
  PATH: `${clawopsPathDir(home)}:${process.env.PATH}`,
}
const OPERATOR = '+15550001111'
let team: Team & { install: Json }
let lab: ReturnType<typeof labGateway>

const PROVISION =
  'clawops provision --count 11 --tier standard --region eu --primary hetzner --standby vultr --json'
const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`

beforeAll(async () => {
  writeConfig(home, {
    agents: { operatorNumbers: [OPERATOR], channel: 'whatsapp', model: 'fake/scripted' },
  })
  const up = clawops(['lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '0', '--json'], env)
  expect(up.code, up.stdout + up.stderr).toBe(0)
  lab = labGateway(home)
  team = await installTeam(home, env, lab)
  // Guardian's 5-minute sweep would heal and fail over on its own in the middle of these
  // conversations; it is checked by the install test and paused here.
  const jobs = await team.admin.request<{ jobs: Json[] }>('cron.list', {
    includeDisabled: true,
    query: 'clawops-',
  })
  const sweep = jobs.jobs.find((j) => j.name === 'clawops-guardian-sweep')
  await team.admin.request('cron.update', { id: sweep.id, patch: { enabled: false } })
}, 300_000)

afterAll(async () => {
  await team?.close()
  clawops(['lab', 'down', '--json'], env)
  if (!process.env.CLAWOPS_TEST_KEEP_GATEWAY) rmSync(home, { recursive: true, force: true })
})

const commanderSays = (sessionKey: string, next: (t: Turn) => Step) =>
  team.model.use({ name: sessionKey, match: (t) => t.sessionKey === sessionKey, next })

describe('clawops agents install on the lab gateway', () => {
  it('wrote the team: entries, exec approvals, cron jobs, hooks, operator channel; a second run changes nothing', async () => {
    expect(team.install.data.status).toBe('done')
    const steps = team.install.data.steps.map((s: Json) => s.name)
    expect(steps).toEqual(['wrappers', 'workspaces', 'config', 'approvals', 'cron', 'verify'])
    // Every agent's skills are visible to its model: clawops is on the gateway's PATH.
    const verify = team.install.data.steps.at(-1).result.skills
    for (const id of ['commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer']) {
      expect(verify[id].hidden, id).toEqual([])
      expect(verify[id].eligible.length, id).toBeGreaterThan(0)
    }
    const cfg = (await team.admin.request<Json>('config.get', {})).sourceConfig
    expect(Object.keys(cfg.agents.entries)).toEqual(
      expect.arrayContaining(['commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer']),
    )
    expect(cfg.agents.entries.commander.tools.exec.mode).toBe('ask')
    expect(cfg.hooks.allowedAgentIds).toEqual(expect.arrayContaining(['guardian', 'commander']))
    expect(cfg.channels.whatsapp).toMatchObject({ dmPolicy: 'allowlist', allowFrom: [OPERATOR] })
    expect(cfg.bindings).toContainEqual({ agentId: 'commander', match: { channel: 'whatsapp' } })
    const approvals = await team.admin.request<Json>('exec.approvals.get', {})
    expect(approvals.file.agents.triage).toMatchObject({
      security: 'allowlist',
      ask: 'off',
      askFallback: 'deny',
    })
    expect(approvals.file.agents.commander).toMatchObject({ ask: 'on-miss' })
    const jobs = (
      await team.admin.request<{ jobs: Json[] }>('cron.list', { includeDisabled: true, query: 'clawops-' })
    ).jobs
    expect(jobs.map((j) => j.name).sort()).toEqual([
      'clawops-daily-briefing',
      'clawops-guardian-hourly-report',
      'clawops-guardian-sweep',
      'clawops-ledger-cost-analysis',
      'clawops-monthly-capacity-report',
      'clawops-weekly-cost-report',
    ])
    const again = team.cli('agents', 'install', '--dry-run')
    // The sweep paused above is the one difference: the install puts it back.
    expect(again.data.steps.map((s: Json) => s.name)).toEqual(['cron', 'verify'])
    expect(again.data.steps[0].result.jobs).toEqual([
      { name: 'clawops-guardian-sweep', op: 'replace', removeIds: [expect.any(String)] },
    ])
  })
})

describe('the operator and Commander', () => {
  it('provisions pairs: a plan first, the operator says go, the gateway asks the operator to approve the --confirm', async () => {
    const session = 'agent:commander:op-provision'
    commanderSays(session, (t) => {
      const asked = t.results.map(envelope)
      if (t.user.startsWith('Provision')) {
        if (asked.length === 0) return { exec: PROVISION }
        const e = asked[0]
        if (e?.error?.code !== 'CONFIRMATION_REQUIRED')
          return { reply: `[CMD] unexpected: ${JSON.stringify(e)}` }
        const d = e.error.details
        return {
          reply: `[CMD] Roger. ${d.plan.affectedUsers} pairs × standard, Hetzner EU primary + Vultr EU standby. Estimated cost: ${dollars(d.plan.costDeltaMonthlyUsdCents)}/month added. Plan ${d.planId}. Confirm?`,
        }
      }
      // "Go.": confirm exactly the plan the operator saw.
      const plan = t.allResults.map(envelope).find((e) => e?.error?.code === 'CONFIRMATION_REQUIRED')
      if (asked.length === 0) return { exec: `${PROVISION} --confirm ${plan.error.details.planId}` }
      const e = asked[0]
      if (!e?.ok) return { reply: `[CMD] Failed: ${e?.error?.code ?? t.results[0]}` }
      const states = e.data.steps.map((s: Json) => s.state)
      return {
        reply: `[CMD] All ${e.data.pairs.length} pairs ${e.data.status === 'done' ? 'ACTIVE' : e.data.status}. Steps done: ${states.filter((s: string) => s === 'done').length}/${states.length}. Fastest provision: ${Math.round(e.data.fastestMs / 1000)}s. Slowest: ${Math.round(e.data.slowestMs / 1000)}s. Operation ${e.data.opId}.`,
      }
    })

    const first = await team.talk(
      'commander',
      session,
      'Provision 11 new standard-tier accounts for COMPANION beta users. Use EU regions, Hetzner primary, Vultr standby.',
    )
    expect(
      first.status,
      first.reply + JSON.stringify(team.model.log.map((l) => [l.agentId, l.sessionKey, l.user.slice(0, 60)])),
    ).toBe('ok')
    const planned = team.cli(
      'provision',
      '--count',
      '11',
      '--tier',
      'standard',
      '--region',
      'eu',
      '--primary',
      'hetzner',
      '--standby',
      'vultr',
      '--dry-run',
    )
    const planId = /Plan (plan-\S+)\./.exec(first.reply)?.[1]
    expect(planId, first.reply).toBeTruthy()
    expect(first.reply).toContain(
      `Estimated cost: ${dollars(planned.data.costDeltaMonthlyUsdCents)}/month added`,
    )
    expect(first.reply).toContain('11 pairs × standard')
    expect(team.approver.requests).toEqual([])

    // The operator says go in the chat; the gateway then asks them to approve the exact command.
    team.approver.decide = (command, agentId) =>
      agentId === 'commander' && command === `${PROVISION} --confirm ${planId}` ? 'allow-once' : 'deny'
    const second = await team.talk('commander', session, 'Go.', 600_000)
    expect(second.status).toBe('ok')
    expect(second.reply, second.reply).toMatch(
      /^\[CMD\] All 11 pairs ACTIVE\. Steps done: (\d+)\/\1\. Fastest provision: \d+s\. Slowest: \d+s\. Operation (op-\S+)\.$/,
    )
    const opId = /Operation (op-\S+)\.$/.exec(second.reply)![1]
    expect(team.cli('ops', 'show', opId!).data).toMatchObject({
      kind: 'provision',
      state: 'done',
      actor: 'commander',
    })
    expect(team.approver.requests).toEqual([
      expect.objectContaining({
        agentId: 'commander',
        command: `${PROVISION} --confirm ${planId}`,
        decision: 'allow-once',
      }),
    ])

    // What ran: the two commands, in the gateway's transcript, with clawops' own answers.
    const ran = execResults(await team.history(session))
    expect(ran.map((r) => r.command)).toEqual([PROVISION, `${PROVISION} --confirm ${planId}`])
    expect(envelope(ran[0]!.result).error.code).toBe('CONFIRMATION_REQUIRED')
    expect(ran[1]!.result).toMatch(/^\{"ok":true,"data":\{"status":"done"/)
    // The audit trail: planned and confirmed by Commander itself.
    const audit = team.cli('audit', 'log', '--action', 'provision', '--actor', 'commander').data.entries
    expect(audit.map((a: Json) => a.outcome)).toEqual(
      expect.arrayContaining(['confirmation-required', 'intent']),
    )
    expect(audit.find((a: Json) => a.outcome === 'intent')).toMatchObject({
      planId,
      details: { confirmedBy: 'commander' },
    })
    expect(team.cli('fleet', 'status').data).toMatchObject({
      pairs: 11,
      instances: 22,
      byState: { ACTIVE: 22 },
    })
  })

  it('answers "how is the fleet" from clawops fleet status', async () => {
    const session = 'agent:commander:op-status'
    commanderSays(session, (t) => {
      if (t.results.length === 0) return { exec: 'clawops fleet status --json' }
      const d = envelope(t.results[0]!).data
      return {
        reply: `[CMD] ${d.pairs} pairs, ${d.instances} instances (${Object.entries(d.byState)
          .map(([k, v]) => `${v} ${k}`)
          .join(
            ', ',
          )}) across ${Object.keys(d.byProvider).length} providers. ${d.degraded.length} degraded, ${d.failed.length} failed. Monthly cost ${dollars(d.monthlyCost.usdCents)}.`,
      }
    })
    const r = await team.talk('commander', session, "How's the fleet?")
    const d = team.cli('fleet', 'status').data
    expect(r.reply).toBe(
      `[CMD] 11 pairs, 22 instances (22 ACTIVE) across 2 providers. 0 degraded, 0 failed. Monthly cost ${dollars(d.monthlyCost.usdCents)}.`,
    )
    expect(execResults(await team.history(session)).map((x) => x.command)).toEqual([
      'clawops fleet status --json',
    ])
    // What the model was given: Commander's soul, its skills and exactly its tools.
    const turn = team.model.turns(session)[0]!
    expect(turn.system).toContain('Senior SRE with ops authority')
    for (const skill of TEAM.commander.skills) expect(turn.system).toContain(`<name>${skill}</name>`)
    expect(turn.system).not.toContain('<name>cost-analysis</name>')
    expect([...turn.tools].sort()).toEqual([...TEAM.commander.tools].sort())
  })

  it('reports the exposure to a regional outage from clawops incident exposure', async () => {
    const primaries: Json[] = team.cli('instance', 'list', '--role', 'primary').data.instances
    expect(primaries.every((i) => i.provider === 'hetzner')).toBe(true)
    // The routing spreads the EU pairs over Hetzner's regions: take the busiest one down.
    const perRegion = new Map<string, number>()
    for (const i of primaries) perRegion.set(i.region, (perRegion.get(i.region) ?? 0) + 1)
    const [region, n] = [...perRegion.entries()].sort((a, b) => b[1] - a[1])[0]!
    const fault = await fetch(`${lab.control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'hetzner', region, outage: true }),
    })
    expect(fault.status).toBe(201)
    // What watch does on its own: notice the nodes are gone and move the states.
    const sweep = team.cli('health', 'sweep')
    expect(sweep.ok, JSON.stringify(sweep)).toBe(true)

    const session = 'agent:commander:op-incident'
    commanderSays(session, (t) => {
      const where = /Hetzner (\S+) looks down/.exec(t.user)?.[1]
      if (t.results.length === 0)
        return { exec: `clawops incident exposure --provider hetzner --region ${where} --json` }
      const d = envelope(t.results[0]!).data
      return {
        reply: `[CMD] ${d.primaries.total} primary instances in ${where}: ${d.primariesAffected} affected, ${d.failoversComplete} failed over, ${d.stillPromoting.length} still promoting, ${d.usersWithoutActiveGateway.length} users without an active gateway. Hetzner status page: ${d.providerStatus.indicator} (${d.providerStatus.description}).`,
      }
    })
    const r = await team.talk('commander', session, `Hetzner ${region} looks down. What's our exposure?`)
    const x = team.cli('incident', 'exposure', '--provider', 'hetzner', '--region', region).data
    // Every primary there lost its node; none has failed over yet.
    expect(x.primaries.total).toBe(n)
    expect(x.primariesAffected).toBe(n)
    expect(x.failoversComplete).toBe(0)
    expect(r.reply).toBe(
      `[CMD] ${n} primary instances in ${region}: ${n} affected, 0 failed over, 0 still promoting, ${x.usersWithoutActiveGateway.length} users without an active gateway. Hetzner status page: ${x.providerStatus.indicator} (${x.providerStatus.description}).`,
    )
    expect(execResults(await team.history(session)).map((e) => e.command)).toEqual([
      `clawops incident exposure --provider hetzner --region ${region} --json`,
    ])
  })

  it('Commander asks Triage over sessions_send; Triage runs the read-only exposure as Triage', async () => {
    const region = (team.cli(
      'instance',
      'list',
      '--role',
      'primary',
      '--state',
      'DEGRADED',
      '--state',
      'FAILED',
    ).data.instances[0]?.region ?? '') as string
    expect(region).not.toBe('')
    const triageKey = 'agent:triage:clawops:triage'
    const ask = JSON.stringify({ kind: 'exposure.request', provider: 'hetzner', region })
    // Triage: the request → its exposure command → a one-line report; any ping-pong after: done.
    team.model.use({
      name: 'triage-a2a',
      match: (t) => t.agentId === 'triage' && t.sessionKey === triageKey,
      next(t) {
        if (t.user.includes('INCIDENT_OPENED')) return { reply: 'Noted; standing by for Commander.' }
        if (!t.user.includes('exposure.request')) return { reply: 'REPLY_SKIP' }
        if (t.results.length === 0)
          return { exec: `clawops incident exposure --provider hetzner --region ${region} --json` }
        const d = envelope(t.results[0]!).data
        return {
          reply: `TRIAGE-REPORT primaries=${d.primaries.total} affected=${d.primariesAffected} without=${d.usersWithoutActiveGateway.length}`,
        }
      },
    })
    // Triage's clawops session exists once watch has told it something; here the same hook call
    // watch makes (the install's hooks section admits the team's ids and the clawops: prefix).
    const hook = await fetch(`${lab.httpUrl}/hooks/agent`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${readFileSync(join(home, 'lab', 'secrets', 'hooks.token'), 'utf8').trim()}`,
      },
      body: JSON.stringify({
        message: `clawops watch → triage: INCIDENT_OPENED hetzner ${region}`,
        agentId: 'triage',
        sessionKey: 'clawops:triage',
        sessionMode: 'persistent',
        deliver: false,
        waitForCompletion: true,
      }),
    })
    expect(hook.status, await hook.clone().text()).toBe(200)
    const session = 'agent:commander:op-a2a'
    commanderSays(session, (t) => {
      if (!t.user.startsWith('Ask Triage')) return { reply: 'REPLY_SKIP' }
      if (t.calls.length === 0)
        return { tool: 'sessions_send', args: { sessionKey: triageKey, message: ask, timeoutSeconds: 120 } }
      const m = /TRIAGE-REPORT primaries=(\d+) affected=(\d+) without=(\d+)/.exec(t.results.join('\n'))
      return {
        reply: m
          ? `[CMD] Triage report: ${m[1]} primaries, ${m[2]} affected, ${m[3]} users without a gateway.`
          : `[CMD] no report: ${t.results.join(' ').slice(0, 300)}`,
      }
    })
    const r = await team.talk('commander', session, `Ask Triage how exposed we are in Hetzner ${region}.`)
    const x = team.cli('incident', 'exposure', '--provider', 'hetzner', '--region', region).data
    expect(r.reply).toBe(
      `[CMD] Triage report: ${x.primaries.total} primaries, ${x.primariesAffected} affected, ${x.usersWithoutActiveGateway.length} users without a gateway.`,
    )
    // The exposure ran in Triage's session, through Triage's allowlist, as Triage.
    expect(team.model.execs()).toContainEqual({
      agentId: 'triage',
      command: `clawops incident exposure --provider hetzner --region ${region} --json`,
    })
    expect(execResults(await team.history(triageKey)).map((e) => e.command)).toContain(
      `clawops incident exposure --provider hetzner --region ${region} --json`,
    )
  })

  it('clawops watch delivers the outage to Guardian’s session, which checks the instance as Guardian', async () => {
    // The sweep above queued INSTANCE_DEGRADED events; one watch cycle delivers them through the
    // gateway's /hooks/agent into clawops:guardian (the hooks section the install wrote).
    team.model.use({
      name: 'guardian-events',
      match: (t) => t.agentId === 'guardian' && t.user.includes('clawops watch'),
      next(t) {
        const id = /\b(i-[a-z0-9]{10})\b/.exec(t.user)?.[1]
        if (t.results.length === 0) return { exec: `clawops instance health ${id} --json` }
        const e = envelope(t.results[0]!)
        return {
          reply: JSON.stringify({
            kind: 'guardian.check',
            instance: id,
            ok: e?.ok ?? false,
            code: e?.error?.code ?? null,
          }),
        }
      },
    })
    // Asynchronously: the agent turns it starts call the fake model, served from this process.
    const w = await clawopsAsync(['watch', '--once', '--json'], env)
    expect(w.code, w.stdout + w.stderr).toBe(0)
    const delivered = (w.json as Json).data
    const deadline = Date.now() + 180_000
    let turns = team.model.turns('guardian-events')
    while (!turns.some((t) => 'reply' in t.step) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      turns = team.model.turns('guardian-events')
    }
    const reply = turns.find((t) => 'reply' in t.step)!
    expect(
      reply,
      `Guardian answered the event; watch: ${JSON.stringify(delivered).slice(0, 600)}; turns: ${JSON.stringify(team.model.log.map((l) => [l.agentId, l.sessionKey, l.script]))}`,
    ).toBeTruthy()
    expect(reply.sessionKey).toBe('agent:guardian:clawops:guardian')
    expect(reply.user).toMatch(/INSTANCE_DEGRADED|INSTANCE_FAILED/)
    const check = JSON.parse((reply.step as { reply: string }).reply)
    // The node is gone with its region: the probe reports it (and ran as Guardian, no refusal).
    expect(check.instance).toMatch(/^i-/)
    expect(check.code === null || check.code === 'NODE_ERROR' || check.code === 'GATEWAY_UNREACHABLE').toBe(
      true,
    )
    expect(team.model.execs()).toContainEqual({
      agentId: 'guardian',
      command: `clawops instance health ${check.instance} --json`,
    })
  }, 300_000)

  it('fails a pair over on request; the audit trail names Commander', async () => {
    // A pair whose primary the outage took down (the sweep marked it).
    const down = team.cli('instance', 'list', '--role', 'primary', '--state', 'DEGRADED', '--state', 'FAILED')
      .data.instances
    expect(down.length).toBeGreaterThan(0)
    const pair = down[0].pairId as string
    const session = 'agent:commander:op-failover'
    commanderSays(session, (t) => {
      const id = /pair (p-\S+) /.exec(t.user)?.[1]
      if (t.results.length === 0) return { exec: `clawops failover ${id} --reason "hetzner outage" --json` }
      const e = envelope(t.results[0]!)
      if (!e?.ok) return { reply: `[CMD] Failover refused: ${e?.error?.code} ${e?.error?.message}` }
      return {
        reply: `[CMD] ${id} failed over: ${e.data.status}, ${e.data.operation.steps.length} step(s), operation ${e.data.operation.id}.`,
      }
    })
    const r = await team.talk('commander', session, `Fail pair ${pair} over to its standby now.`)
    expect(r.reply).toMatch(
      new RegExp(`^\\[CMD\\] ${pair} failed over: done, 1 step\\(s\\), operation (op-\\S+)\\.$`),
    )
    const opId = /operation (op-\S+)\.$/.exec(r.reply)![1]!
    const pairView = team.cli('pair', 'status', pair).data.pairs[0]
    expect(pairView.primary.provider).toBe('vultr')
    expect(pairView.serving).toBe(true)
    const audit = team.cli('audit', 'log', '--op', opId).data.entries
    expect(audit.length).toBeGreaterThan(0)
    expect(audit.every((a: Json) => a.actor === 'commander')).toBe(true)
    expect(execResults(await team.history(session))[0]!.command).toBe(
      `clawops failover ${pair} --reason "hetzner outage" --json`,
    )
  })
})
