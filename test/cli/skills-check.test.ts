/**
 * `openclaw skills check` (the real openclaw CLI of runtime/openclaw) on clawops' skills, loaded as an
 * extra skills directory of a throwaway OpenClaw home, with `bin/` (the clawops shim) on the PATH as
 * an operator would have it: every skill is eligible and visible to the model and as a command,
 * none misses a requirement, none is blocked or disabled. The check runs on local inventory: the
 * config points the gateway at a closed port, so no gateway on this machine answers for it.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempHome } from '../support/context.js'

const root = join(import.meta.dirname, '..', '..')
const openclaw = join(root, 'runtime', 'openclaw', 'node_modules', '.bin', 'openclaw')
const skills = readdirSync(join(root, 'skills')).filter((d) =>
  existsSync(join(root, 'skills', d, 'SKILL.md')),
)

async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

describe.skipIf(!existsSync(openclaw))('openclaw skills check', () => {
  it('finds every clawops skill eligible, visible and complete', async () => {
    const home = tempHome()
    mkdirSync(join(home, 'home'))
    writeFileSync(
      join(home, 'openclaw.json'),
      JSON.stringify({
        gateway: { port: await closedPort() },
        skills: { load: { extraDirs: [join(root, 'skills')] } },
      }),
    )
    // Without vitest's markers: openclaw prints nothing when it believes it runs under a test runner.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(VITEST|OPENCLAW_GATEWAY_|NODE_ENV$)/.test(k)),
    )
    // Into a file: openclaw exits before a large write into a pipe has drained.
    const out = join(home, 'check.json')
    const fd = openSync(out, 'w')
    const r = spawnSync(openclaw, ['skills', 'check', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', fd, 'pipe'],
      timeout: 150_000,
      env: {
        ...env,
        HOME: join(home, 'home'),
        OPENCLAW_STATE_DIR: join(home, 'state'),
        OPENCLAW_CONFIG_PATH: join(home, 'openclaw.json'),
        // The clawops shim first, then the project's Node 24 (the skills require the clawops binary).
        PATH: [join(root, 'bin'), join(root, 'node_modules', 'node', 'bin'), process.env.PATH].join(
          delimiter,
        ),
      },
    })
    closeSync(fd)
    expect(r.status, r.stderr.slice(-2000)).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      eligible: string[]
      modelVisible: string[]
      commandVisible: string[]
      disabled: string[]
      blocked: string[]
      missingRequirements: { name: string; missing: { bins: string[] } }[]
    }
    expect(skills).toHaveLength(13)
    for (const name of skills) {
      expect(report.eligible, name).toContain(name)
      expect(report.modelVisible, name).toContain(name)
      expect(report.commandVisible, name).toContain(name)
    }
    const ours = new Set(skills)
    expect(report.missingRequirements.filter((m) => ours.has(m.name))).toEqual([])
    expect([...report.disabled, ...report.blocked].filter((n) => ours.has(n))).toEqual([])
    // The check does check binaries: bundled skills whose tools this machine lacks are reported.
    expect(report.missingRequirements.some((m) => m.missing.bins.length > 0)).toBe(true)
  }, 180_000)
})
