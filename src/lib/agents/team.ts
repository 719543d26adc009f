/**
 * The agent team of PRD §3 as data: who each agent is, which skills it loads, which gateway tools
 * it may call and what happens when it tries an exec outside its allowlist. `clawops agents install`
 * writes this into the operator's gateway; the role table (roles.ts) decides the exec allowlists.
 */
import type { AgentName } from '../config/watch-settings.js'

export const SKILLS = [
  'clawops',
  'vps-fleet',
  'gateway-manager',
  'auto-heal',
  'instance-diagnose',
  'provision',
  'failover',
  'config-push',
  'cost-analysis',
  'incident-response',
  'provider-health',
  'capacity-planning',
  'security-audit',
] as const
export type SkillName = (typeof SKILLS)[number]

export interface AgentProfile {
  displayName: string
  emoji: string
  /** One line for the roster and the gateway's agent list. */
  summary: string
  /** Kept small: every skill's name and description sit in the agent's system prompt. */
  skills: readonly SkillName[]
  /**
   * Gateway tools the agent may call. `exec` runs clawops (allowlisted per role); `read` loads skill
   * files from its own workspace (fs is workspace-only); the session tools are how agents talk.
   * No write, edit, process or browser tool: exec stays synchronous and the workspace stays ours.
   */
  tools: readonly string[]
  /**
   * An exec outside the allowlist: `ask` sends it to the operator's approval (the only way a
   * `--confirm` ever runs), `deny` refuses it outright.
   */
  onMiss: 'ask' | 'deny'
  /** Agents it may start with sessions_spawn. */
  spawns?: readonly AgentName[]
}

const TALK = ['sessions_send', 'session_status'] as const

export const TEAM: Readonly<Record<AgentName, AgentProfile>> = {
  commander: {
    displayName: 'Commander',
    emoji: '🎖️',
    summary: 'senior SRE: talks to the operator, routes work to the specialists, asks for confirmations',
    skills: ['clawops', 'vps-fleet', 'gateway-manager', 'failover', 'config-push', 'incident-response'],
    tools: ['exec', 'read', ...TALK, 'sessions_spawn', 'sessions_list', 'sessions_history'],
    onMiss: 'ask',
    spawns: ['forge', 'guardian', 'ledger', 'triage', 'briefer'],
  },
  forge: {
    displayName: 'Forge',
    emoji: '🔨',
    summary:
      'provisioning: creates pairs, replaces standbys; tier changes and teardowns wait for confirmation',
    skills: ['provision', 'vps-fleet', 'gateway-manager'],
    tools: ['exec', 'read', ...TALK],
    onMiss: 'deny',
  },
  guardian: {
    displayName: 'Guardian',
    emoji: '🛡️',
    summary: 'watchdog: health sweeps, heal, restart, fail over; never deletes a VPS',
    skills: ['auto-heal', 'instance-diagnose', 'failover', 'vps-fleet'],
    tools: ['exec', 'read', ...TALK],
    onMiss: 'deny',
  },
  ledger: {
    displayName: 'Ledger',
    emoji: '📒',
    summary: 'cost analyst: reports and recommends; its changes wait for Commander',
    skills: ['cost-analysis', 'capacity-planning', 'provider-health'],
    tools: ['exec', 'read', ...TALK],
    onMiss: 'deny',
  },
  triage: {
    displayName: 'Triage',
    emoji: '🩺',
    summary: 'incident responder: read-only diagnostics and incident reports',
    skills: ['incident-response', 'instance-diagnose', 'provider-health', 'security-audit'],
    tools: ['exec', 'read', ...TALK, 'sessions_history'],
    onMiss: 'deny',
  },
  briefer: {
    displayName: 'Briefer',
    emoji: '🗞️',
    summary: 'briefings: daily voice note, weekly cost report, monthly capacity report',
    skills: ['vps-fleet', 'capacity-planning'],
    tools: ['exec', 'read', ...TALK],
    onMiss: 'deny',
  },
}
