/**
 * vitest globalSetup of the `integration` project: ONE real OpenClaw gateway per test run, on a free
 * loopback port with token auth, isolated in a temp dir, configured the way `clawops gateway setup`
 * leaves a gateway (every clawnode command allowlisted, hooks on with their own token and the
 * `clawops:` session prefix). Local auto-approval and SSH-verified approval are switched off so
 * pairing behaves as it does for a remote VPS. Tests read it with `inject('gateway')`.
 *
 * CLAWOPS_TEST_KEEP_GATEWAY=1 keeps the temp dir (logs, state) after the run.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { setupGatewayFile } from '../../src/lib/gateway/setup.js'
import { freePort, type GatewayInfo, isolatedEnv, startGateway, stopGateway } from './gateway-process.js'

declare module 'vitest' {
  export interface ProvidedContext {
    gateway: GatewayInfo
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'clawops-gw-'))
  const env = isolatedEnv(dir)
  const port = await freePort()
  const token = randomBytes(24).toString('base64url')
  const configPath = env.OPENCLAW_CONFIG_PATH!
  const logPath = join(dir, 'openclaw.log')
  writeFileSync(
    configPath,
    `${JSON.stringify(
      {
        gateway: {
          mode: 'local',
          port,
          bind: 'loopback',
          auth: { mode: 'token', token },
          nodes: { pairing: { autoApproveLocal: false, sshVerify: false } },
        },
        logging: { file: logPath },
        agents: { defaults: { workspace: join(dir, 'workspace') } },
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  )
  // The same function `clawops gateway setup` uses adds the command allowlist and the hooks section.
  setupGatewayFile(configPath)
  const written = JSON.parse(readFileSync(configPath, 'utf8'))
  const info: GatewayInfo = {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    port,
    token,
    hooksToken: written.hooks.token,
    dir,
    stateDir: env.OPENCLAW_STATE_DIR!,
    configPath,
    logPath,
    pidFile: join(dir, 'gateway.pid'),
    env,
  }
  const t0 = Date.now()
  try {
    await startGateway(info)
  } catch (err) {
    await stopGateway(info, 2_000)
    throw err
  }
  process.stderr.write(
    `[global-gateway] openclaw gateway ready on ${info.url} in ${Date.now() - t0} ms (${dir})\n`,
  )
  project.provide('gateway', info)

  return async () => {
    await stopGateway(info)
    if (!process.env.CLAWOPS_TEST_KEEP_GATEWAY) rmSync(dir, { recursive: true, force: true })
  }
}
