/**
 * Where the team lives and how the operator reaches it, from the optional `agents` section of the
 * config. Agent ids and session keys come from `watch.agents` (watchSettings), so the agents the
 * install creates are the ones `clawops watch` delivers events to.
 */
import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import { AGENT_NAMES, type AgentName, watchSettings } from '../config/watch-settings.js'

export type OperatorChannel = 'whatsapp' | 'telegram' | 'signal' | 'slack' | 'discord'

export interface TeamMember {
  name: AgentName
  /** The gateway agent id (agents.entries key). */
  id: string
  /** The session key watch delivers to, e.g. clawops:guardian. */
  sessionKey: string
  workspace: string
  /** Holds this agent's `clawops` wrapper; the only directory its exec PATH gains. */
  binDir: string
}

export interface AgentsSettings {
  home: string
  members: Record<AgentName, TeamMember>
  model: string | null
  operator: { channel: OperatorChannel; numbers: string[] }
  guardianSweep: boolean
}

export function agentsSettings(config: Config, home: string): AgentsSettings {
  const a = config.agents ?? {}
  const watch = watchSettings(config)
  const root = a.workspaceRoot ?? join(home, 'agents', 'workspaces')
  const members = Object.fromEntries(
    AGENT_NAMES.map((name) => [
      name,
      {
        name,
        id: watch.agents[name].agentId,
        sessionKey: watch.agents[name].sessionKey,
        workspace: join(root, name),
        binDir: join(home, 'agents', 'bin', name),
      },
    ]),
  ) as Record<AgentName, TeamMember>
  return {
    home,
    members,
    model: a.model ?? null,
    operator: { channel: a.channel ?? 'whatsapp', numbers: [...(a.operatorNumbers ?? [])] },
    guardianSweep: a.guardianSweep ?? true,
  }
}

/** The full gateway session key of an agent's clawops session (`agent:<id>:<key>`). */
export function agentSessionKey(m: TeamMember): string {
  return `agent:${m.id}:${m.sessionKey}`
}
