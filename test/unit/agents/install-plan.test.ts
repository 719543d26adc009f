// What `clawops agents install` writes, planned without a gateway: the config patch (agents,
// tools, hooks, operator channel), the exec approvals document, the cron jobs and the workspaces,
// each idempotent (planning again over the result changes nothing) and each keeping what the
// operator had that is not the team's.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { admits } from '../../../src/lib/agents/allowlist.js'
import { planApprovals } from '../../../src/lib/agents/approvals.js'
import { planCron, teamCronJobs } from '../../../src/lib/agents/cron-jobs.js'
import { planAgentsConfig } from '../../../src/lib/agents/gateway-config.js'
import { agentsSettings } from '../../../src/lib/agents/settings.js'
import { TEAM } from '../../../src/lib/agents/team.js'
import { applyWorkspaces, planWorkspaces, TOOLS_MARKER } from '../../../src/lib/agents/workspace.js'
import { wrapperScript, writeWrapper } from '../../../src/lib/agents/wrapper.js'
import { ConfigSchema } from '../../../src/lib/config/schema.js'
import type { Json } from '../../../src/lib/gateway/config-diff.js'
import { applyPatch } from '../../../src/lib/gateway/setup.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON, checked by the assertions
type Wire = Record<string, any>

const tmp = tempDir('clawops-agents-')
const home = tmp.dir
afterAll(() => tmp.cleanup())
const config = ConfigSchema.parse({
  agents: { operatorNumbers: ['+15550001111', '+15550002222'], channel: 'whatsapp', model: 'fake/scripted' },
  watch: { agents: { guardian: { agentId: 'ops-guardian' } } },
})
const s = agentsSettings(config, home)

const existing: Record<string, Json> = {
  gateway: { mode: 'local', auth: { mode: 'token', token: 'gw-secret-token' } },
  agents: { entries: { main: { workspace: '/srv/main' } } },
  hooks: {
    enabled: true,
    token: 'hooks-secret',
    allowedAgentIds: ['main'],
    allowedSessionKeyPrefixes: ['hook:'],
  },
  bindings: [
    { agentId: 'main', match: { channel: 'whatsapp' } },
    { agentId: 'main', match: { channel: 'telegram' } },
  ],
}

describe('the config patch', () => {
  const plan = planAgentsConfig(structuredClone(existing), s, { gatewayToken: 'gw-secret-token' })
  const next = applyPatch(existing, plan.patch) as Wire

  it('adds one entry per agent with its workspace, skills, tools and exec policy', () => {
    expect(Object.keys(next.agents.entries).sort()).toEqual(
      ['briefer', 'commander', 'forge', 'ledger', 'main', 'ops-guardian', 'triage'].sort(),
    )
    expect(next.agents.entries.main).toEqual({ workspace: '/srv/main' })
    expect(next.agents.ownership).toBe('explicit')
    // The operator's own agent keeps the ambient work; the team joins beside it.
    expect(next.agents.defaults).toMatchObject({
      systemAgent: { agentId: 'main' },
      heartbeat: { agentId: 'main' },
    })
    const g = next.agents.entries['ops-guardian']
    expect(g).toMatchObject({
      workspace: join(home, 'agents', 'workspaces', 'guardian'),
      identity: { name: 'Guardian' },
      skills: [...TEAM.guardian.skills],
      model: { primary: 'fake/scripted', fallbacks: [] },
      tools: {
        fs: { workspaceOnly: true },
        exec: { host: 'gateway', mode: 'allowlist', pathPrepend: [join(home, 'agents', 'bin', 'guardian')] },
      },
    })
    expect(g.tools.allow).toContain('exec')
    expect(g.tools.allow).not.toContain('write')
    expect(g.tools.allow).not.toContain('process')
    expect(next.agents.entries.commander.tools.exec.mode).toBe('ask')
    expect(next.agents.entries.commander.subagents.allowAgents).toContain('ops-guardian')
    for (const id of ['forge', 'ledger', 'triage', 'briefer'])
      expect(next.agents.entries[id].tools.exec.mode).toBe('allowlist')
  })

  it('lets the team message each other, and watch deliver to it', () => {
    expect(next.tools.agentToAgent).toEqual({
      enabled: true,
      allow: ['commander', 'forge', 'ops-guardian', 'ledger', 'triage', 'briefer'],
    })
    expect(next.hooks.allowedAgentIds).toEqual([
      'main',
      'commander',
      'forge',
      'ops-guardian',
      'ledger',
      'triage',
      'briefer',
    ])
    expect(next.hooks.allowedSessionKeyPrefixes).toEqual(['hook:', 'clawops:'])
    expect(next.hooks.token).toBe('hooks-secret')
  })

  it('restricts the operator channel to the operator, routes it to Commander and sends approvals there', () => {
    expect(next.channels.whatsapp).toEqual({
      dmPolicy: 'allowlist',
      allowFrom: ['+15550001111', '+15550002222'],
    })
    expect(next.bindings).toEqual([
      { agentId: 'main', match: { channel: 'telegram' } },
      { agentId: 'commander', match: { channel: 'whatsapp' } },
    ])
    expect(plan.warnings.join('\n')).toMatch(/whatsapp channel was routed to another agent/)
    expect(next.approvals.exec).toEqual({
      enabled: true,
      mode: 'targets',
      agentFilter: ['commander'],
      targets: [
        { channel: 'whatsapp', to: '+15550001111' },
        { channel: 'whatsapp', to: '+15550002222' },
      ],
    })
  })

  it('prints no secret and lists every array it replaces', () => {
    expect(JSON.stringify(plan.changes)).not.toContain('secret')
    for (const p of [
      'hooks.allowedAgentIds',
      'bindings',
      'channels.whatsapp.allowFrom',
      'tools.agentToAgent.allow',
    ])
      expect(plan.replacePaths).toContain(p)
  })

  it('changes nothing the second time', () => {
    const again = planAgentsConfig(next, s, { gatewayToken: 'gw-secret-token' })
    expect(again.changes).toEqual([])
    expect(again.changed).toBe(false)
  })

  it('without operator numbers leaves channels alone and says so', () => {
    const bare = agentsSettings(ConfigSchema.parse({}), home)
    const p = planAgentsConfig({}, bare)
    const n = applyPatch({}, p.patch) as Wire
    expect(n.channels).toBeUndefined()
    // A gateway of the team's own: Commander owns the ambient work.
    expect(n.agents.defaults.systemAgent.agentId).toBe('commander')
    expect(n.approvals).toBeUndefined()
    expect(p.warnings.join('\n')).toMatch(/operatorNumbers is empty/)
    expect(p.hooksTokenGenerated).toBe(true)
  })
})

describe('the exec approvals document', () => {
  const current = {
    version: 1,
    defaults: { security: 'full', ask: 'off' },
    agents: {
      main: { security: 'full', allowlist: [{ pattern: 'rg' }] },
      triage: {
        security: 'full',
        allowlist: [{ pattern: '/bin/sh' }],
        mcpTools: [{ server: 'x', tool: 'y' }],
      },
    },
  }
  const plan = planApprovals(current, s)

  it('gives each agent exactly its generated allowlist, asks a human only for Commander', () => {
    const a = plan.file.agents as Wire
    expect(a.main).toEqual(current.agents.main)
    expect(plan.file.defaults).toEqual(current.defaults)
    expect(a.commander).toMatchObject({
      security: 'allowlist',
      ask: 'on-miss',
      askFallback: 'deny',
      autoAllowSkills: false,
    })
    expect(a['ops-guardian']).toMatchObject({ security: 'allowlist', ask: 'off', askFallback: 'deny' })
    expect(a.triage.allowlist).toHaveLength(1)
    expect(a.triage.allowlist[0].pattern).toBe('clawops')
    expect(a.triage.mcpTools).toEqual([{ server: 'x', tool: 'y' }])
    expect(new RegExp(a.triage.allowlist[0].argPattern).test('fleet status --json')).toBe(true)
    expect(new RegExp(a.triage.allowlist[0].argPattern).test('teardown i-1 --json')).toBe(false)
    expect(plan.changes.map((c) => c.agent).sort()).toEqual(
      ['briefer', 'commander', 'forge', 'ledger', 'ops-guardian', 'triage'].sort(),
    )
    expect(plan.changes.find((c) => c.agent === 'triage')).toMatchObject({ op: 'change' })
  })

  it('ignores what the gateway stamps on entries, and changes nothing the second time', () => {
    const stored = structuredClone(plan.file) as Wire
    for (const agent of Object.values(stored.agents) as Wire[]) {
      for (const e of agent.allowlist ?? [])
        Object.assign(e, { id: 'uuid-1', lastUsedAt: 1, lastResolvedPath: '/x' })
    }
    expect(planApprovals(stored, s).changed).toBe(false)
  })
})

describe('cron jobs', () => {
  const jobs = teamCronJobs(s)

  it('are the Guardian sweep and report, Ledger every 6 h and the Briefer schedules', () => {
    const byName: Wire = Object.fromEntries(jobs.map((j) => [j.name as string, j]))
    expect(Object.keys(byName).sort()).toEqual(
      [
        'clawops-daily-briefing',
        'clawops-guardian-hourly-report',
        'clawops-guardian-sweep',
        'clawops-ledger-cost-analysis',
        'clawops-monthly-capacity-report',
        'clawops-weekly-cost-report',
      ].sort(),
    )
    expect(byName['clawops-guardian-sweep']).toMatchObject({
      agentId: 'ops-guardian',
      schedule: { kind: 'every', everyMs: 300_000 },
      payload: {
        kind: 'command',
        argv: [join(home, 'agents', 'bin', 'guardian', 'clawops'), 'watch', '--once', '--heal', '--json'],
      },
    })
    expect(byName['clawops-ledger-cost-analysis']).toMatchObject({
      agentId: 'ledger',
      schedule: { kind: 'cron', expr: '0 */6 * * *', tz: 'UTC' },
      payload: { kind: 'agentTurn', toolsAllow: ['exec', 'sessions_send'] },
    })
    expect(byName['clawops-ledger-cost-analysis'].payload.message).toContain(
      'agent:commander:clawops:commander',
    )
    expect(byName['clawops-daily-briefing']).toMatchObject({
      agentId: 'briefer',
      schedule: { expr: '0 7 * * *', tz: 'UTC' },
    })
    expect(byName['clawops-weekly-cost-report'].schedule.expr).toBe('0 8 * * 1')
    expect(byName['clawops-monthly-capacity-report'].schedule.expr).toBe('0 8 1 * *')
  })

  it('name only commands their agent’s allowlist admits', () => {
    for (const j of jobs as Wire[]) {
      if (j.payload.kind !== 'agentTurn') continue
      const agent = (Object.keys(TEAM) as (keyof typeof TEAM)[]).find((n) => s.members[n].id === j.agentId)!
      for (const m of (j.payload.message as string).matchAll(/`?clawops ((?:[^`\n])+?)`/g)) {
        expect(admits(agent, home, m[1]!.trim().split(/\s+/)), `${j.name}: ${m[1]}`).toBe(true)
      }
      for (const m of (j.payload.message as string).matchAll(/: clawops (.+)$/gm)) {
        expect(admits(agent, home, m[1]!.trim().split(/\s+/)), `${j.name}: ${m[1]}`).toBe(true)
      }
    }
  })

  it('are added once, kept when equal, replaced when changed or duplicated', () => {
    expect(planCron([], jobs).changes.map((c) => c.op)).toEqual(jobs.map(() => 'add'))
    const stored = jobs.map((j, i) => ({ ...structuredClone(j), id: `job-${i}`, state: {}, createdAtMs: 1 }))
    ;(stored[0] as Wire).schedule.anchorMs = 123
    expect(planCron(stored, jobs)).toEqual({ changes: [], unchanged: jobs.map((j) => j.name) })
    const changed = structuredClone(stored) as Wire[]
    changed[1]!.payload.message = 'something else'
    changed.push({ ...structuredClone(changed[2]!), id: 'dup' })
    const p = planCron(changed, jobs)
    expect(p.changes).toEqual([
      { name: jobs[1]!.name, op: 'replace', removeIds: ['job-1'] },
      { name: jobs[2]!.name, op: 'replace', removeIds: ['job-2', 'dup'] },
    ])
  })
})

describe('workspaces and wrappers', () => {
  it('copy the soul files and the agent’s skills, complete AGENTS.md, and change nothing the second time', () => {
    const first = planWorkspaces(s)
    expect(first.changes.every((c) => c.op === 'add')).toBe(true)
    applyWorkspaces(first)
    const ws = s.members.guardian.workspace
    for (const f of ['SOUL.md', 'IDENTITY.md', 'AGENTS.md']) expect(existsSync(join(ws, f)), f).toBe(true)
    for (const skill of TEAM.guardian.skills)
      expect(existsSync(join(ws, 'skills', skill, 'SKILL.md')), skill).toBe(true)
    expect(existsSync(join(ws, 'skills', 'provision'))).toBe(false)
    const rules = readFileSync(join(ws, 'AGENTS.md'), 'utf8')
    expect(rules).not.toContain(TOOLS_MARKER)
    expect(rules).toContain('`clawops heal`')
    expect(rules).not.toContain('`clawops teardown`')
    expect(rules).toContain('agent:commander:clawops:commander')
    expect(readFileSync(join(s.members.triage.workspace, 'AGENTS.md'), 'utf8')).toContain(
      'You are read-only.',
    )
    expect(readFileSync(join(s.members.commander.workspace, 'AGENTS.md'), 'utf8')).toContain(
      'the gateway asks the operator to approve that exact command',
    )
    expect(planWorkspaces(s).changes).toEqual([])
  })

  it('put back an edited file and remove a skill the agent no longer has', () => {
    const ws = s.members.ledger.workspace
    writeFileSync(join(ws, 'SOUL.md'), 'edited')
    mkdirSync(join(ws, 'skills', 'provision'), { recursive: true })
    writeFileSync(join(ws, 'skills', 'provision', 'SKILL.md'), 'stale')
    const p = planWorkspaces(s)
    expect(p.changes).toEqual([
      { agent: 'ledger', path: join(ws, 'SOUL.md'), op: 'change' },
      { agent: 'ledger', path: join(ws, 'skills', 'provision', 'SKILL.md'), op: 'remove' },
    ])
    applyWorkspaces(p)
    expect(existsSync(join(ws, 'skills', 'provision'))).toBe(false)
    expect(planWorkspaces(s).changes).toEqual([])
  })

  it('write a wrapper that pins the actor and the home', () => {
    const script = wrapperScript('guardian', home, '/opt/node/bin/node')
    expect(script).toContain('CLAWOPS_ACTOR=guardian')
    expect(script).toContain(`CLAWOPS_HOME='${home}'`)
    expect(script).toContain('exec /usr/bin/env -i ')
    expect(writeWrapper(s.members.guardian.binDir, script)).toBe(true)
    expect(writeWrapper(s.members.guardian.binDir, script)).toBe(false)
  })

  it("start clawops with none of the caller's variables", () => {
    // The wrapper runs a stand-in for node that prints the environment it was given.
    const fake = join(home, 'print-env.sh')
    writeFileSync(fake, '#!/bin/sh\nenv\n', { mode: 0o755 })
    const dir = join(home, 'wrapper-env')
    writeWrapper(dir, wrapperScript('forge', home, fake))
    const out = execFileSync(join(dir, 'clawops'), ['fleet', 'status'], {
      env: {
        PATH: '/usr/bin:/bin',
        CLAWOPS_ACTOR: 'operator',
        CLAWOPS_CONFIG: '/tmp/evil.json',
        CLAWOPS_HETZNER_BASE_URL: 'https://evil.example',
        HCLOUD_TOKEN: 'stolen',
        OPENCLAW_GATEWAY_TOKEN: 'x',
      },
      encoding: 'utf8',
    })
    const env = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    )
    expect(env.CLAWOPS_ACTOR).toBe('forge')
    expect(env.CLAWOPS_HOME).toBe(home)
    // `env -i` leaves only what the wrapper names (the shell may add PWD, SHLVL and `_`).
    const allowed = new Set(['CLAWOPS_ACTOR', 'CLAWOPS_HOME', 'HOME', 'LANG', 'PATH', 'PWD', 'SHLVL', '_'])
    expect(Object.keys(env).filter((k) => !allowed.has(k))).toEqual([])
    for (const k of ['CLAWOPS_CONFIG', 'CLAWOPS_HETZNER_BASE_URL', 'HCLOUD_TOKEN', 'OPENCLAW_GATEWAY_TOKEN'])
      expect(env[k]).toBeUndefined()
  })
})
