/**
 * Each agent's workspace: its soul files (souls/<agent>/: SOUL.md, IDENTITY.md, AGENTS.md) and its
 * skills (skills/<name>/SKILL.md copied into <workspace>/skills/), planned as file changes so
 * `--dry-run` can show them and a second install changes nothing. AGENTS.md's `## Tools` section is
 * completed from the role table, so what an agent reads about its authority is what its allowlist
 * enforces. Files the gateway adds (USER.md, memory/) are left alone; a clawops skill no longer
 * assigned to the agent is removed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { AgentName } from '../config/watch-settings.js'
import { UserError } from '../errors.js'
import { packageRoot } from '../paths.js'
import { grantOf, ROLES } from '../policy/roles.js'
import { allowedCommands } from './allowlist.js'
import { COMMAND_RULES } from './command-rules.js'
import { type AgentsSettings, agentSessionKey } from './settings.js'
import { SKILLS, TEAM } from './team.js'

export const SOUL_FILES = ['SOUL.md', 'IDENTITY.md', 'AGENTS.md'] as const
export const TOOLS_MARKER = '<!-- clawops:tools -->'

export interface FileChange {
  agent: AgentName
  path: string
  op: 'add' | 'change' | 'remove'
}

interface WantedFile {
  agent: AgentName
  path: string
  content: string | null
}

export function soulPath(agent: AgentName, file: string): string {
  return join(packageRoot(), 'souls', agent, file)
}

export function skillPath(skill: string): string {
  return join(packageRoot(), 'skills', skill, 'SKILL.md')
}

function readShipped(path: string): string {
  if (!existsSync(path)) {
    throw new UserError('INTERNAL', `${path} is missing from this clawops installation`, {
      hint: 'Reinstall clawops: its skills/ and souls/ folders ship with the package.',
    })
  }
  return readFileSync(path, 'utf8')
}

/** The generated `## Tools` text of an agent: what its exec allowlist admits, in words. */
export function toolsSection(agent: AgentName, s: AgentsSettings): string {
  const cmds = allowedCommands(agent)
  const reads = cmds.filter((c) => COMMAND_RULES[c]!.action === null)
  const acts = cmds.filter((c) => COMMAND_RULES[c]!.action !== null)
  const waits = acts.filter((c) => grantOf(agent, COMMAND_RULES[c]!.action!) === 'confirm')
  const profile = TEAM[agent]
  const commander = agentSessionKey(s.members.commander)
  const lines = [
    `- \`exec\` runs \`clawops\` only, always with \`--json\`. clawops already knows you are ${agent}: never pass \`--as\`.`,
    `- Reads: ${reads.map((c) => `\`clawops ${c}\``).join(', ')}.`,
    acts.length
      ? `- Changes you may start: ${acts.map((c) => `\`clawops ${c}\``).join(', ')}.`
      : '- Changes you may start: none. You are read-only.',
  ]
  if (waits.length) {
    lines.push(
      `- These come back CONFIRMATION_REQUIRED with a plan id and wait: ${waits.map((c) => `\`${c}\``).join(', ')}.`,
    )
  }
  lines.push(
    ROLES[agent].canConfirm
      ? '- `--confirm <planId>` is not in your allowlist: when you run it, the gateway asks the operator to approve that exact command. Run it only after the operator said yes to that plan, then wait for the approval.'
      : `- You never run \`--confirm\`: send the plan id and its summary to Commander (\`sessions_send\` to \`${commander}\`).`,
    '- Anything else (another program, a shell operator, a command not listed here) is refused by the gateway before it runs.',
    `- Other tools: ${profile.tools.filter((t) => t !== 'exec').join(', ')}.`,
  )
  return lines.join('\n')
}

function wantedFiles(agent: AgentName, s: AgentsSettings): WantedFile[] {
  const ws = s.members[agent].workspace
  const files: WantedFile[] = SOUL_FILES.map((f) => {
    let content = readShipped(soulPath(agent, f))
    if (f === 'AGENTS.md') {
      if (!content.includes(TOOLS_MARKER)) {
        throw new UserError('INTERNAL', `${soulPath(agent, f)} has no ${TOOLS_MARKER} line`)
      }
      content = content.replace(TOOLS_MARKER, toolsSection(agent, s))
    }
    return { agent, path: join(ws, f), content }
  })
  const mine = new Set<string>(TEAM[agent].skills)
  for (const skill of SKILLS) {
    const path = join(ws, 'skills', skill, 'SKILL.md')
    files.push({ agent, path, content: mine.has(skill) ? readShipped(skillPath(skill)) : null })
  }
  return files
}

export interface WorkspacePlan {
  changes: FileChange[]
  /** What the changes write (content) or delete (null); not part of the printed plan. */
  writes: { path: string; content: string | null }[]
}

export function planWorkspaces(s: AgentsSettings): WorkspacePlan {
  const changes: FileChange[] = []
  const writes: WorkspacePlan['writes'] = []
  for (const agent of Object.keys(TEAM) as AgentName[]) {
    for (const f of wantedFiles(agent, s)) {
      const exists = existsSync(f.path)
      if (f.content === null) {
        if (!exists) continue
        changes.push({ agent, path: f.path, op: 'remove' })
      } else if (!exists) {
        changes.push({ agent, path: f.path, op: 'add' })
      } else if (readFileSync(f.path, 'utf8') !== f.content) {
        changes.push({ agent, path: f.path, op: 'change' })
      } else continue
      writes.push({ path: f.path, content: f.content })
    }
  }
  return { changes, writes }
}

/** Applies a plan's writes (atomically per file); a removed skill takes its folder with it. */
export function applyWorkspaces(plan: WorkspacePlan): number {
  for (const w of plan.writes) {
    if (w.content === null) {
      rmSync(dirname(w.path), { recursive: true, force: true })
      continue
    }
    mkdirSync(dirname(w.path), { recursive: true })
    const tmp = `${w.path}.${process.pid}.tmp`
    writeFileSync(tmp, w.content)
    renameSync(tmp, w.path)
  }
  return plan.writes.length
}
