/** Builders for gf-clawnode unit and integration tests: configs, node contexts, temp dirs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeContext } from '../../clawnode/commands/context.js'
import { buildRegistry } from '../../clawnode/commands/index.js'
import type { CommandRegistry, InvokeOutcome } from '../../clawnode/commands/registry.js'
import { type ClawnodeConfig, parseConfig } from '../../clawnode/config.js'
import { createServiceManager } from '../../clawnode/service/manager.js'
import { createLogger } from '../../src/lib/log.js'
import { packageRoot } from '../../src/lib/paths.js'

export function tempDir(prefix = 'clawnode-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true })
      rmSync(`${dir}-state`, { recursive: true, force: true })
    },
  }
}

export const STAND_IN_GATEWAY = () => join(packageRoot(), 'test', 'support', 'stand-in-gateway.mjs')

/** A config with everything a test needs filled in; `over` is merged at the top level. */
export function nodeConfig(dir: string, over: Record<string, unknown> = {}): ClawnodeConfig {
  return parseConfig({
    instanceId: 'vps-test',
    gateway: { url: 'ws://127.0.0.1:9', token: 'first-contact-token-for-tests' },
    // Beside the user's state directory, never in it (the config refuses that).
    stateDir: `${dir}-state`,
    log: { target: 'off' },
    userGateway: { url: 'http://127.0.0.1:9', configPath: join(dir, 'openclaw.json') },
    ...over,
  })
}

export interface TestNode {
  ctx: NodeContext
  registry: CommandRegistry
  invoke(command: string, params?: unknown, timeoutMs?: number): Promise<InvokeOutcome>
  /** Invokes and parses a successful payload, failing the test otherwise. */
  call<T = Record<string, unknown>>(command: string, params?: unknown): Promise<T>
}

export function testNode(config: ClawnodeConfig): TestNode {
  const ctx: NodeContext = {
    config,
    instanceId: config.instanceId,
    deviceId: 'd'.repeat(64),
    version: '0.0.0-test',
    startedAt: Date.now(),
    services: createServiceManager(config),
    logger: createLogger({ home: config.stateDir, target: 'off' }),
  }
  const registry = buildRegistry(config)
  const invoke = (command: string, params?: unknown, timeoutMs?: number) =>
    registry.invoke(command, params === undefined ? null : JSON.stringify(params), {
      node: ctx,
      ...(timeoutMs ? { timeoutMs } : {}),
    })
  return {
    ctx,
    registry,
    invoke,
    async call<T>(command: string, params?: unknown): Promise<T> {
      const out = await invoke(command, params)
      if (!out.ok) throw new Error(`${command} failed: ${out.error.code} ${out.error.message}`)
      return JSON.parse(out.payloadJSON) as T
    },
  }
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
}
