// The exec allowlists are generated from the role table and the command rules: these tests apply the
// generated argPattern the way the gateway does (the arguments after `clawops`, joined by single
// spaces) and check each role's authority, the refusals every role shares, and that the table and the
// patterns agree for every command and every role.
import { describe, expect, it } from 'vitest'
import { admits, allowedCommands, argPatternFor } from '../../../src/lib/agents/allowlist.js'
import { COMMAND_RULES } from '../../../src/lib/agents/command-rules.js'
import { AGENT_NAMES, type AgentName } from '../../../src/lib/config/watch-settings.js'
import { packageRoot } from '../../../src/lib/paths.js'
import { grantOf } from '../../../src/lib/policy/roles.js'
import { loadManifest, words } from './skill-commands.js'

const HOME = '/var/lib/clawops'
const ok = (agent: AgentName, line: string) => admits(agent, HOME, words(line))

describe('command rules', () => {
  it('cover every command in the oclif manifest, and nothing else', () => {
    const ids = Object.keys(loadManifest(packageRoot())).map((id) => id.replaceAll(':', ' '))
    expect(Object.keys(COMMAND_RULES).sort()).toEqual(ids.sort())
  })
})

describe('Triage', () => {
  it('may run read-only subcommands', () => {
    for (const line of [
      'fleet status --json',
      'instance list -l provider=hetzner,region=nbg1 --json',
      'instance list -l "region in (nbg1,fsn1),role!=standby" --json',
      'incident exposure --provider hetzner --region nbg1 --json',
      'instance logs i-1 --lines 200 --json',
      'audit log --actor guardian --since 24h --json',
      'brief daily --json',
    ]) {
      expect(ok('triage', line), line).toBe(true)
    }
  })

  it('may not change anything', () => {
    for (const line of [
      'teardown i-1 --json',
      'heal i-1 --json',
      'failover p-1 --json',
      'instance restart i-1 --json',
      'silence add --provider hetzner --for 30m --json',
      'health sweep --json',
      'brief daily --deliver --json',
      'provider routing set --group us --exclude hostinger --json',
      'ops resume --json',
    ]) {
      expect(ok('triage', line), line).toBe(false)
    }
  })
})

describe('Guardian', () => {
  it('may heal, restart, fail over, sweep and silence', () => {
    for (const line of [
      'heal i-1 --json',
      'instance restart i-1 --json',
      'restart -l provider=vultr --concurrency 4 --json',
      'failover p-1 --reason "hetzner nbg1 outage" --json',
      'failover -l provider=hetzner,region=nbg1,role=primary --json',
      'health sweep -l state=DEGRADED --json',
      'silence add --provider hetzner --region nbg1 --for 30m --json',
      'ops resume op-1 --json',
    ]) {
      expect(ok('guardian', line), line).toBe(true)
    }
  })

  it('may never delete a VPS, provision, resize, exec on a node or confirm', () => {
    for (const line of [
      'teardown i-1 --json',
      'teardown -l provider=hetzner --json',
      'provision --count 1 --json',
      'resize i-1 --tier nano --json',
      'instance exec i-1 --json -- df -h',
      'failover p-1 --confirm plan-1 --json',
      'failover p-1 --confirm=plan-1 --json',
    ]) {
      expect(ok('guardian', line), line).toBe(false)
    }
  })
})

describe('Ledger', () => {
  it('reads and starts plans for resizes, teardowns and routing changes', () => {
    for (const line of [
      'cost report --by provider --json',
      'cost waste --category idle --json',
      'resize i-1 --tier nano --json',
      'teardown i-1 --json',
      'provider routing set --group us --remove-primary hostinger --json',
    ]) {
      expect(ok('ledger', line), line).toBe(true)
    }
  })

  it('never confirms them and never heals or provisions', () => {
    for (const line of [
      'resize i-1 --tier nano --confirm plan-9 --json',
      'teardown i-1 --json --confirm plan-9',
      'heal i-1 --json',
      'provision --count 2 --json',
    ]) {
      expect(ok('ledger', line), line).toBe(false)
    }
  })
})

describe('Commander', () => {
  it('may start every agent command', () => {
    for (const line of [
      'teardown i-1 --json',
      'provision --count 20 --json',
      'config push --merge m.json --json',
    ]) {
      expect(ok('commander', line), line).toBe(true)
    }
  })

  it('finds no --confirm and no human-only command in its allowlist (those go to a human)', () => {
    expect(ok('commander', 'provision --count 20 --confirm plan-1 --json')).toBe(false)
    for (const line of [
      'agents install --json',
      'gateway setup --json',
      'lab down',
      'watch --heal',
      'node approve',
    ]) {
      expect(ok('commander', line), line).toBe(false)
    }
  })
})

describe('every agent', () => {
  it.each(AGENT_NAMES)('%s: --as only for itself, no --yes, no shell metacharacters', (agent) => {
    expect(ok(agent, `fleet status --as ${agent} --json`)).toBe(true)
    expect(ok(agent, 'fleet status --as operator --json')).toBe(false)
    expect(ok(agent, `fleet status --as=${agent} --json`)).toBe(false)
    expect(ok(agent, 'fleet status --as')).toBe(false)
    for (const other of AGENT_NAMES.filter((a) => a !== agent)) {
      expect(ok(agent, `fleet status --json --as ${other}`), other).toBe(false)
    }
    expect(ok(agent, 'fleet status --yes --json')).toBe(false)
    for (const bad of [';', '&&', '|', '`id`', '$(id)', '>', '<', "'", '"', '\\', '*', '?', '~', '{', '[']) {
      expect(admits(agent, HOME, ['fleet', 'status', `x${bad}y`]), bad).toBe(false)
    }
    expect(admits(agent, HOME, ['fleet', 'status', 'a\nb'])).toBe(false)
    // A command name that only starts like an allowed one.
    expect(ok(agent, 'fleet statusx --json')).toBe(false)
    expect(ok(agent, 'rm -rf /')).toBe(false)
  })

  it('only the Briefer and Commander deliver briefings, voice notes only under the home', () => {
    expect(ok('briefer', 'brief daily --deliver --json')).toBe(true)
    expect(ok('commander', 'brief weekly --deliver --json')).toBe(true)
    for (const a of ['forge', 'guardian', 'ledger', 'triage'] as const) {
      expect(ok(a, 'brief daily --deliver --json'), a).toBe(false)
      expect(ok(a, 'brief daily --json'), a).toBe(true)
    }
    expect(
      ok('briefer', `brief daily --voice ${HOME}/briefings/daily.ogg --deliver --as briefer --json`),
    ).toBe(true)
    expect(ok('briefer', 'brief daily --voice /tmp/x.ogg --json')).toBe(false)
    expect(
      ok('briefer', `brief daily --voice ${HOME}/briefings/../../agents/bin/briefer/clawops --json`),
    ).toBe(false)
    expect(ok('briefer', `brief daily --workspace ${HOME}/x --json`)).toBe(false)
  })
})

describe('the role table and the allowlists agree', () => {
  it.each(AGENT_NAMES)('%s: a command is admitted exactly when its action is granted', (agent) => {
    const allowed = new Set(allowedCommands(agent))
    for (const [id, rule] of Object.entries(COMMAND_RULES)) {
      const expected = !rule.humanOnly && (rule.action === null || grantOf(agent, rule.action) !== 'deny')
      expect(allowed.has(id), `${agent} ${id}`).toBe(expected)
      expect(admits(agent, HOME, [...id.split(' '), '--json']), `${agent} ${id}`).toBe(expected)
    }
  })

  it('never puts --confirm in a pattern except as a refusal', () => {
    for (const agent of AGENT_NAMES) {
      const p = argPatternFor(agent, HOME)
      expect(p.startsWith('^(?!.*(?:^| )--confirm(?:[ =]|$))')).toBe(true)
      expect(p.match(/--confirm/g)).toHaveLength(1)
    }
  })
})
