// `clawops agents install --file` for a gateway that is not running, through the built binary: the
// config file gets the team (and nothing secret is printed), the wrappers and workspaces are written,
// the plan says approvals and cron jobs wait for the running gateway, a second run changes nothing,
// and only the operator and Commander may install.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

const home = tempHome()
const file = join(home, 'openclaw.json')
const env = { CLAWOPS_HOME: home }
afterAll(() => rmSync(home, { recursive: true, force: true }))

writeFileSync(join(home, 'config.json'), JSON.stringify({ agents: { operatorNumbers: ['+15550001111'] } }))
writeFileSync(
  file,
  JSON.stringify({ gateway: { mode: 'local', auth: { mode: 'token', token: 'gw-file-secret-token' } } }),
)
const run = (...args: string[]): Json =>
  clawops(['agents', 'install', '--file', file, ...args, '--json'], env).json

describe('clawops agents install --file', () => {
  it('--dry-run prints the diff and writes nothing', () => {
    const r = run('--dry-run')
    expect(r.ok).toBe(true)
    expect(r.data.status).toBe('dry-run')
    expect(r.data.steps.map((s: Json) => s.name)).toEqual(['wrappers', 'workspaces', 'config'])
    // New sections appear whole; a second install would show leaf paths only for what changed.
    const changes = r.data.steps[2].result.changes
    expect(changes.map((c: Json) => c.path)).toEqual([
      'agents',
      'approvals',
      'bindings',
      'channels',
      'gateway.nodes',
      'hooks',
      'tools',
    ])
    expect(changes[0].after.entries.commander.tools.exec.mode).toBe('ask')
    expect(changes.find((c: Json) => c.path === 'hooks').after.token).toBe('[redacted]')
    expect(JSON.stringify(r)).not.toContain('gw-file-secret-token')
    expect(r.warnings.join('\n')).toMatch(/run `clawops agents install` again once it runs/)
    expect(existsSync(join(home, 'agents'))).toBe(false)
    expect(JSON.parse(readFileSync(file, 'utf8')).agents).toBeUndefined()
  })

  it('installs, then changes nothing the second time', () => {
    const r = run()
    expect(r.ok, JSON.stringify(r)).toBe(true)
    expect(r.data.status).toBe('done')
    const cfg = JSON.parse(readFileSync(file, 'utf8'))
    expect(cfg.gateway.auth.token).toBe('gw-file-secret-token')
    expect(cfg.agents.entries.triage.tools.exec).toMatchObject({ mode: 'allowlist' })
    expect(cfg.hooks.enabled).toBe(true)
    const wrapper = join(home, 'agents', 'bin', 'triage', 'clawops')
    expect(statSync(wrapper).mode & 0o111).not.toBe(0)
    expect(readFileSync(wrapper, 'utf8')).toContain('CLAWOPS_ACTOR=triage')
    expect(
      existsSync(join(home, 'agents', 'workspaces', 'triage', 'skills', 'incident-response', 'SKILL.md')),
    ).toBe(true)
    const again = run()
    expect(again.data.steps).toEqual([])
    expect(again.data.summary).toMatch(/already installed/)
  })

  it('is refused to every other role, and audited', () => {
    const r = clawops(['agents', 'install', '--file', file, '--as', 'guardian', '--json'], env).json as Json
    expect(r.error).toMatchObject({ code: 'POLICY_DENIED', details: { rules: ['role-permission'] } })
    const audit = clawops(['audit', 'log', '--actor', 'guardian', '--json'], env).json as Json
    expect(audit.data.entries).toEqual([
      expect.objectContaining({ action: 'agents.install', outcome: 'denied' }),
    ])
  })
})
