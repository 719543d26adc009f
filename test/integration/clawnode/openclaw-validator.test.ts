// gf-clawnode's long-lived OpenClaw validator against `openclaw config validate --json` itself: the
// same verdict and the same issues for every config of a corpus (valid ones, wrong types, unknown
// keys, a bad enum), so the fast path is proven to be OpenClaw's own judgement. It also stays up
// between validations, restarts after dying, and fails (never passes) a config it could not judge.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { OpenclawValidator, stopValidators } from '../../../clawnode/openclaw-validator.js'
import { validateConfig } from '../../../clawnode/user-config.js'
import { openclawBin } from '../../../src/lib/paths.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

// OpenClaw goes quiet under a test runner's variables; both sides must run as they do on a VPS.
for (const k of Object.keys(process.env)) if (/^(VITEST|JEST|NODE_ENV$|TEST$)/.test(k)) delete process.env[k]

const tmp = tempDir('oc-validator-it-')
const stateDir = join(tmp.dir, 'state')
mkdirSync(stateDir, { recursive: true })
const env = { ...process.env, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_HOME: join(tmp.dir, 'home') }

const CORPUS: Record<string, unknown> = {
  empty: {},
  kimi: { agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5' } } } },
  gateway: {
    gateway: { mode: 'local', port: 18789, bind: 'loopback', auth: { mode: 'token', token: 'x'.repeat(24) } },
  },
  'model-42': { agents: { defaults: { model: { primary: 42 } } } },
  'port-string': { gateway: { mode: 'local', port: 'eighteen' } },
  'unknown-key': { nonsense: { x: 1 } },
  'bad-bind-enum': { gateway: { auth: { mode: 'sometimes' } } },
}

function cliVerdict(file: string) {
  const r = spawnSync(process.execPath, [openclawBin(), 'config', 'validate', '--json'], {
    env: { ...env, OPENCLAW_CONFIG_PATH: file },
    encoding: 'utf8',
    timeout: 120_000,
  })
  if (!r.stdout.trim())
    throw new Error(`openclaw config validate printed nothing (exit ${r.status}): ${r.stderr.slice(-600)}`)
  const report = JSON.parse(r.stdout) as { valid: boolean; issues?: { path: string; message: string }[] }
  return {
    valid: report.valid && r.status === 0,
    issues: (report.issues ?? []).map(({ path, message }) => ({ path, message })),
  }
}

afterAll(() => {
  stopValidators()
  tmp.cleanup()
})

describe("gf-clawnode's OpenClaw validator", () => {
  const validator = new OpenclawValidator({
    node: [process.execPath],
    openclaw: openclawBin(),
    idleMs: 60_000,
  })
  afterAll(() => validator.stop())

  it('gives the verdict and the issues `openclaw config validate --json` gives, for every config of the corpus', async () => {
    for (const [name, config] of Object.entries(CORPUS)) {
      const file = join(stateDir, `${name}.json`)
      writeFileSync(file, JSON.stringify(config, null, 2))
      const cli = cliVerdict(file)
      const mine = await validator.validate(file, stateDir, 120_000)
      expect({ name, valid: mine.valid, issues: mine.issues }).toEqual({
        name,
        valid: cli.valid,
        issues: cli.issues,
      })
    }
    expect(
      (await validator.validate(join(stateDir, 'model-42.json'), stateDir, 60_000)).issues.map((i) => i.path),
    ).toEqual(['agents.defaults.model'])
  }, 600_000)

  it('comes back after its process dies, and fails a validation it cannot answer', async () => {
    const file = join(stateDir, 'kimi.json')
    expect((await validator.validate(file, stateDir, 120_000)).valid).toBe(true)
    validator.stop()
    expect((await validator.validate(file, stateDir, 120_000)).valid).toBe(true)
    const broken = new OpenclawValidator({
      node: [process.execPath],
      openclaw: '/nonexistent/openclaw',
      idleMs: 1_000,
    })
    await expect(broken.validate(file, stateDir, 30_000)).rejects.toThrow(/could not load/)
    const v = await validateConfig(CORPUS.kimi, {
      configPath: file,
      validator: {
        node: [process.execPath],
        openclaw: '/nonexistent/openclaw',
        idleMs: 1_000,
        timeoutMs: 30_000,
      },
      timeoutMs: 30_000,
    })
    expect(v).toMatchObject({ valid: false, validators: ['structure', 'openclaw config validate'] })
    expect(v.issues[0]!.message).toMatch(/could not load/)
  }, 300_000)
})
