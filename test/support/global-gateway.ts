/**
 * vitest globalSetup of the `integration` project: ONE real OpenClaw gateway per test run, on a free
 * loopback port with token auth, isolated in a temp dir, configured the way `clawops gateway setup`
 * leaves a gateway (every clawnode command allowlisted, hooks on with their own token and the
 * `clawops:` session prefix). Local auto-approval and SSH-verified approval are switched off so
 * pairing behaves as it does for a remote VPS. Tests read it with `inject('gateway')`.
 *
 * CLAWOPS_TEST_KEEP_GATEWAY=1 keeps the temp dir (logs, state) after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { type GatewayInfo, prepareGateway, startGateway, stopGateway } from './gateway-process.js'

declare module 'vitest' {
  export interface ProvidedContext {
    gateway: GatewayInfo
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'clawops-gw-'))
  const info = await prepareGateway(dir)
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
