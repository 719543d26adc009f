// The skills and souls the agents load: the SKILL.md format OpenClaw accepted (frontmatter with a
// name, a description and metadata requiring the clawops binary), every clawops command a skill or
// a soul names exists with those flags, the soul files have the sections of PRD §3.3, and each
// agent's set stays compact.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { SKILLS, TEAM } from '../../../src/lib/agents/team.js'
import { TOOLS_MARKER } from '../../../src/lib/agents/workspace.js'
import type { AgentName } from '../../../src/lib/config/watch-settings.js'
import { packageRoot } from '../../../src/lib/paths.js'
import { checkCommand, commandsIn, loadManifest } from './skill-commands.js'

const root = packageRoot()
const manifest = loadManifest(root)
const skillText = (name: string) => readFileSync(join(root, 'skills', name, 'SKILL.md'), 'utf8')
const AGENTS = Object.keys(TEAM) as AgentName[]

function frontmatter(text: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text)
  if (!m) throw new Error('no frontmatter')
  return parseYaml(m[1]!) as Record<string, unknown>
}

describe('skills', () => {
  it('are exactly the thirteen of the PRD, one folder each', () => {
    const dirs = readdirSync(join(root, 'skills')).filter((d) =>
      existsSync(join(root, 'skills', d, 'SKILL.md')),
    )
    expect(dirs.sort()).toEqual([...SKILLS].sort())
  })

  it.each(SKILLS)('%s has the accepted frontmatter and requires the clawops binary', (name) => {
    const fm = frontmatter(skillText(name))
    expect(fm.name).toBe(name)
    expect(typeof fm.description).toBe('string')
    expect((fm.description as string).length).toBeGreaterThan(40)
    // Every description sits in the system prompt of each agent that has the skill; OpenClaw's guidance
    // (docs/tools/creating-skills.md): one line, under 160 characters.
    expect(fm.description as string).not.toMatch(/\n/)
    expect((fm.description as string).length).toBeLessThan(160)
    const oc = (fm.metadata as { openclaw: { requires: { bins: string[] }; os: string[] } }).openclaw
    expect(oc.requires.bins).toEqual(['clawops'])
    expect(oc.os).toContain('linux')
  })

  it.each(SKILLS)('every clawops command %s names exists with those flags', (name) => {
    const named = commandsIn(skillText(name))
    expect(named.length, 'a skill names the commands to run').toBeGreaterThan(0)
    for (const c of named) {
      const v = checkCommand(c.text, manifest)
      if (c.missingByDesign) expect(v.ok, `${c.text} is said not to exist, but it does`).toBe(false)
      else expect(v, c.text).toMatchObject({ ok: true })
      // Agents always ask for the JSON envelope.
      if (!c.missingByDesign) expect(c.text, `${name}: ${c.text}`).toContain('--json')
    }
  })

  it('the checker itself refuses what does not exist', () => {
    expect(checkCommand('clawops fleet status --json', manifest)).toMatchObject({ ok: true })
    expect(checkCommand('clawops fleet explode --json', manifest).ok).toBe(false)
    expect(checkCommand('clawops instance list --colour red --json', manifest).ok).toBe(false)
    expect(checkCommand('clawops fleet status extra --json', manifest).ok).toBe(false)
    expect(checkCommand('clawops cost report --previous=yes --json', manifest).ok).toBe(false)
    expect(checkCommand('clawops instance exec i-1 --json -- df -h', manifest)).toMatchObject({ ok: true })
    expect(checkCommand('clawops restart -l "a=b,c=d" --json', manifest)).toMatchObject({ ok: true })
  })
})

describe('souls', () => {
  it.each(AGENTS)('%s has SOUL.md, AGENTS.md and IDENTITY.md with the PRD sections', (agent) => {
    const read = (f: string) => readFileSync(join(root, 'souls', agent, f), 'utf8')
    const soul = read('SOUL.md')
    for (const section of ['## Identity', '## Communication', '## Autonomy', '## Escalation', '## Cadence']) {
      expect(soul, `${agent} SOUL.md ${section}`).toContain(section)
    }
    const rules = read('AGENTS.md')
    expect(rules).toContain('## Rules')
    expect(rules).toMatch(/## Tools\n<!-- clawops:tools -->/)
    expect(rules).toContain(TOOLS_MARKER)
    const identity = read('IDENTITY.md')
    expect(identity).toContain(`- **Name:** ${TEAM[agent].displayName}`)
    expect(identity).toContain(`- **Emoji:** ${TEAM[agent].emoji}`)
    for (const f of ['SOUL.md', 'AGENTS.md']) {
      for (const c of commandsIn(read(f)))
        expect(checkCommand(c.text, manifest), c.text).toMatchObject({ ok: true })
    }
  })
})

describe('each agent’s set', () => {
  // What an agent carries: its soul files always (bootstrap injection), its skills on demand.
  const sizes = AGENTS.map((agent) => {
    const soul = ['SOUL.md', 'AGENTS.md', 'IDENTITY.md']
      .map((f) => readFileSync(join(root, 'souls', agent, f), 'utf8').length)
      .reduce((a, b) => a + b, 0)
    const skills = TEAM[agent].skills.map((s) => skillText(s).length).reduce((a, b) => a + b, 0)
    return { agent, skills: TEAM[agent].skills.length, soulChars: soul, skillChars: skills }
  })

  it('stays compact: at most 6 skills and about 6k tokens of skills per agent', () => {
    for (const s of sizes) {
      expect(s.skills, s.agent).toBeLessThanOrEqual(6)
      expect(s.skillChars / 4, s.agent).toBeLessThan(6000)
      expect(s.soulChars / 4, s.agent).toBeLessThan(1500)
    }
    // Printed for the README's size table.
    console.table(sizes.map((s) => ({ ...s, approxTokens: Math.round((s.soulChars + s.skillChars) / 4) })))
  })
})
