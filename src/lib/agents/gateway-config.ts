/**
 * The gateway config the team needs, as one merge patch over the current config (the approach of
 * `gateway setup`, whose node-command and hooks changes are part of it):
 * - `agents.entries.<id>` per agent: workspace, identity, skills, tool allow-list (workspace-only file
 *   reads), exec on the gateway host in `ask` (Commander) or `allowlist` mode with the agent's own
 *   clawops wrapper first on its PATH, Commander's spawn targets, the model when configured;
 *   explicit ownership with Commander as the system and heartbeat agent when none is set;
 * - `tools.agentToAgent`: on, among the team (added to an existing list);
 * - `hooks`: enabled for `clawops watch` (gateway setup) and `allowedAgentIds` holding the team;
 * - the operator channel: DMs only from the operator's numbers (`dmPolicy: allowlist`, `allowFrom`),
 *   routed to Commander (`bindings`), and exec approval prompts forwarded to those numbers.
 * Everything else in the config is left as it is. Arrays are replaced whole (replacePaths).
 */

import type { AgentName } from '../config/watch-settings.js'
import { type Change, diffConfigs, isPlainObject, type Json } from '../gateway/config-diff.js'
import { clawopsPlugin } from '../gateway/plugin-install.js'
import { applyPatch, planGatewaySetup } from '../gateway/setup.js'
import type { AgentsSettings } from './settings.js'
import { TEAM } from './team.js'

export interface AgentsConfigPlan {
  changed: boolean
  /** Redacted, leaf-level: safe to print. */
  changes: Change[]
  /** May hold a freshly generated hooks token: never print it. */
  patch: Record<string, Json>
  replacePaths: string[]
  hooksTokenGenerated: boolean
  warnings: string[]
}

function get(obj: Json | undefined, path: string[]): Json | undefined {
  let cur: Json | undefined = obj
  for (const k of path) cur = isPlainObject(cur) ? cur[k] : undefined
  return cur
}

function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

function union(existing: string[], wanted: readonly string[]): string[] {
  return [...existing, ...wanted.filter((w) => !existing.includes(w))]
}

function agentEntry(name: AgentName, s: AgentsSettings): Record<string, Json> {
  const m = s.members[name]
  const p = TEAM[name]
  const entry: Record<string, Json> = {
    name: p.displayName,
    workspace: m.workspace,
    identity: { name: p.displayName, emoji: p.emoji },
    skills: [...p.skills],
    tools: {
      allow: [...p.tools],
      fs: { workspaceOnly: true },
      exec: { host: 'gateway', mode: p.onMiss === 'ask' ? 'ask' : 'allowlist', pathPrepend: [m.binDir] },
    },
  }
  if (p.spawns) entry.subagents = { allowAgents: p.spawns.map((a) => s.members[a].id) }
  if (s.model) entry.model = { primary: s.model, fallbacks: [] }
  return entry
}

export function planAgentsConfig(
  current: Record<string, Json>,
  s: AgentsSettings,
  opts: { gatewayToken?: string } = {},
): AgentsConfigPlan {
  // The team's gateway also gets the clawops plugin (the Fleet tab), reading the same clawops home.
  const setup = planGatewaySetup(current, { ...opts, plugin: clawopsPlugin(s.home) })
  const warnings = [...setup.warnings]
  const names = Object.keys(TEAM) as AgentName[]
  const ids = names.map((n) => s.members[n].id)
  const commander = s.members.commander.id
  const replacePaths = [...setup.replacePaths]

  const entries: Record<string, Json> = {}
  for (const name of names) {
    const id = s.members[name].id
    entries[id] = agentEntry(name, s)
    replacePaths.push(
      `agents.entries.${id}.skills`,
      `agents.entries.${id}.tools.allow`,
      `agents.entries.${id}.tools.exec.pathPrepend`,
    )
    if (TEAM[name].spawns) replacePaths.push(`agents.entries.${id}.subagents.allowAgents`)
    if (s.model) replacePaths.push(`agents.entries.${id}.model.fallbacks`)
  }
  // A multi-agent roster needs an owner for ambient work (unscoped sessions, the heartbeat). An
  // agent the operator already had keeps that role; on a gateway of its own the team's is Commander.
  const entriesNow = get(current, ['agents', 'entries'])
  const theirs = isPlainObject(entriesNow) ? Object.keys(entriesNow).filter((k) => !ids.includes(k)) : []
  const owner = theirs[0] ?? commander
  const defaults: Record<string, Json> = {}
  if (!isPlainObject(get(current, ['agents', 'defaults', 'systemAgent'])))
    defaults.systemAgent = { agentId: owner }
  if (!isPlainObject(get(current, ['agents', 'defaults', 'heartbeat'])))
    defaults.heartbeat = { agentId: owner }
  const agents: Record<string, Json> = { ownership: 'explicit', entries }
  if (Object.keys(defaults).length) agents.defaults = defaults

  const a2aAllow = strings(get(current, ['tools', 'agentToAgent', 'allow']))
  if (a2aAllow.length === 0) {
    warnings.push(
      `tools.agentToAgent.allow now lists only the team (${ids.join(', ')}): other agents on this gateway can no longer message it or be messaged by it`,
    )
  }
  const tools: Record<string, Json> = { agentToAgent: { enabled: true, allow: union(a2aAllow, ids) } }
  replacePaths.push('tools.agentToAgent.allow')

  const patch: Record<string, Json> = { agents, tools }

  const hookAgents = strings(get(current, ['hooks', 'allowedAgentIds']))
  if (!hookAgents.includes('*')) {
    const setupHooks = isPlainObject(setup.patch.hooks) ? setup.patch.hooks : {}
    patch.hooks = { ...setupHooks, allowedAgentIds: union(hookAgents, ids) }
    replacePaths.push('hooks.allowedAgentIds')
  } else if (setup.patch.hooks) patch.hooks = setup.patch.hooks
  if (setup.patch.gateway) patch.gateway = setup.patch.gateway

  const { channel, numbers } = s.operator
  if (numbers.length === 0) {
    warnings.push(
      'agents.operatorNumbers is empty: no operator channel is restricted or routed to Commander, and its approvals reach only the Control UI or `openclaw approvals resolve`',
    )
  } else {
    patch.channels = { [channel]: { dmPolicy: 'allowlist', allowFrom: numbers } }
    replacePaths.push(`channels.${channel}.allowFrom`)
    const bindings = Array.isArray(current.bindings) ? current.bindings : []
    const isOperatorRoute = (b: Json) =>
      isPlainObject(b) &&
      (b.type === undefined || b.type === 'route') &&
      isPlainObject(b.match) &&
      b.match.channel === channel &&
      b.match.peer === undefined &&
      b.match.accountId === undefined
    const routed = bindings.filter(isOperatorRoute)
    if (!(routed.length === 1 && isPlainObject(routed[0]) && routed[0].agentId === commander)) {
      if (routed.some((b) => isPlainObject(b) && b.agentId !== commander)) {
        warnings.push(`the ${channel} channel was routed to another agent; it now goes to ${commander}`)
      }
      patch.bindings = [
        ...bindings.filter((b) => !isOperatorRoute(b)),
        { agentId: commander, match: { channel } },
      ]
      replacePaths.push('bindings')
    }
    patch.approvals = {
      exec: {
        enabled: true,
        mode: 'targets',
        agentFilter: [commander],
        targets: numbers.map((to) => ({ channel, to })),
      },
    }
    replacePaths.push('approvals.exec.agentFilter', 'approvals.exec.targets')
  }

  const next = applyPatch(current, patch)
  const changes = diffConfigs(current, next)
  if (changes.length === 0) {
    return { changed: false, changes, patch: {}, replacePaths: [], hooksTokenGenerated: false, warnings }
  }
  return {
    changed: true,
    changes,
    patch,
    replacePaths: [...new Set(replacePaths)],
    hooksTokenGenerated: setup.hooksTokenGenerated,
    warnings,
  }
}
