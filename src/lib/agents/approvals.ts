/**
 * The team's part of the gateway host's exec approvals document (stored by the gateway in its state
 * database, read and written with `exec.approvals.get` / `exec.approvals.set` and a base hash, not
 * part of openclaw.json). Per agent: security `allowlist`, ask `on-miss` for Commander (a miss, such
 * as any `--confirm`, goes to a human) and `off` for the others (a miss is refused), the ask fallback
 * `deny` (no reachable human means no), no auto-allowed skill binaries, and exactly the generated
 * allowlist entry. Defaults and other agents are left as they are; a stale entry in one of our
 * agents' lists (an earlier role table, a hand-made grant) is dropped and shown in the plan.
 */

import type { AgentName } from '../config/watch-settings.js'
import { isPlainObject, type Json } from '../gateway/config-diff.js'
import { allowlistFor } from './allowlist.js'
import type { AgentsSettings } from './settings.js'
import { TEAM } from './team.js'

export interface AgentPolicy {
  security: 'allowlist'
  ask: 'on-miss' | 'off'
  askFallback: 'deny'
  autoAllowSkills: false
  allowlist: { pattern: string; argPattern?: string }[]
}

export interface ApprovalsChange {
  agent: string
  op: 'add' | 'change'
  /** Which policy fields differ (the patterns themselves are long; `agents install --json` has them). */
  fields: string[]
}

export interface ApprovalsPlan {
  changed: boolean
  changes: ApprovalsChange[]
  /** The whole document to write (only when changed). */
  file: Record<string, Json>
}

export function policyFor(name: AgentName, s: AgentsSettings): AgentPolicy {
  return {
    security: 'allowlist',
    ask: TEAM[name].onMiss === 'ask' ? 'on-miss' : 'off',
    askFallback: 'deny',
    autoAllowSkills: false,
    allowlist: allowlistFor(name, s.home),
  }
}

/** The fields that decide behaviour; ids and usage stamps the gateway adds are not compared. */
function comparable(entry: Json): string {
  if (!isPlainObject(entry)) return JSON.stringify(entry)
  return JSON.stringify({ pattern: entry.pattern ?? null, argPattern: entry.argPattern ?? null })
}

function differingFields(current: Record<string, Json>, want: AgentPolicy): string[] {
  const fields: string[] = []
  for (const k of ['security', 'ask', 'askFallback', 'autoAllowSkills'] as const) {
    if (current[k] !== want[k]) fields.push(k)
  }
  const have = Array.isArray(current.allowlist) ? current.allowlist.map(comparable) : []
  const wanted = want.allowlist.map((e) => comparable(e as unknown as Json))
  if (have.length !== wanted.length || have.some((h, i) => h !== wanted[i])) fields.push('allowlist')
  return fields
}

export function planApprovals(currentFile: unknown, s: AgentsSettings): ApprovalsPlan {
  const file: Record<string, Json> = isPlainObject(currentFile)
    ? structuredClone(currentFile)
    : { version: 1 }
  if (file.version === undefined) file.version = 1
  const agents: Record<string, Json> = isPlainObject(file.agents) ? file.agents : {}
  const changes: ApprovalsChange[] = []
  for (const name of Object.keys(TEAM) as AgentName[]) {
    const id = s.members[name].id
    const want = policyFor(name, s)
    const cur = agents[id]
    if (!isPlainObject(cur)) {
      changes.push({ agent: id, op: 'add', fields: Object.keys(want) })
      agents[id] = want as unknown as Json
      continue
    }
    const fields = differingFields(cur, want)
    if (fields.length === 0) continue
    changes.push({ agent: id, op: 'change', fields })
    // Keep what the gateway stores beside the policy (MCP tool grants), replace the policy itself.
    agents[id] = { ...cur, ...(want as unknown as Record<string, Json>) }
  }
  file.agents = agents
  return { changed: changes.length > 0, changes, file }
}
