import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  nodeConfig,
  STAND_IN_GATEWAY,
  type TestNode,
  tempDir,
  testNode,
  writeJson,
} from '../../support/clawnode-fixtures.js'
import { freePort } from '../../support/gateway-process.js'

interface Health {
  healthy: boolean
  live: boolean
  ready: boolean
  healthz: { status: number | null; body: { pid?: number } }
  service: { state: string; pid?: number }
}

describe('openclaw.* through the plain process manager and a real stand-in gateway', () => {
  const tmp = tempDir()
  let node: TestNode
  let port: number

  beforeAll(async () => {
    port = await freePort()
    const config = nodeConfig(tmp.dir, {
      service: {
        kind: 'process',
        argv: [process.execPath, STAND_IN_GATEWAY(), '--port', String(port)],
        env: { OPENCLAW_CONFIG_PATH: join(tmp.dir, 'openclaw.json') },
        stopTimeoutMs: 2_000,
      },
      userGateway: {
        url: `http://127.0.0.1:${port}`,
        configPath: join(tmp.dir, 'openclaw.json'),
        healthTimeoutMs: 1_000,
      },
    })
    writeJson(config.userGateway.configPath, { gateway: { mode: 'local' } })
    node = testNode(config)
  })
  afterAll(async () => {
    await node.ctx.services.close()
    tmp.cleanup()
  })

  it('reports the gateway down before it is started, with the reason', async () => {
    const h = await node.call<Health>('openclaw.health')
    expect(h).toMatchObject({ healthy: false, live: false, service: { state: 'stopped' } })
    expect(h.healthz.status).toBeNull()
  })

  it('starts it and waits until /healthz answers', async () => {
    const out = await node.call<{ healthy: boolean }>('openclaw.start', {})
    expect(out.healthy).toBe(true)
    const h = await node.call<Health>('openclaw.health')
    expect(h).toMatchObject({ healthy: true, live: true, ready: true, service: { state: 'running' } })
    expect(h.healthz.body.pid).toBe(h.service.pid)
  })

  it('restart replaces the process', async () => {
    const before = (await node.call<Health>('openclaw.health')).service.pid
    expect(await node.call('openclaw.restart', {})).toMatchObject({ action: 'restart', healthy: true })
    const after = await node.call<Health>('openclaw.health')
    expect(after.service.pid).toBeDefined()
    expect(after.service.pid).not.toBe(before)
    expect(after.healthz.body.pid).toBe(after.service.pid)
  })

  it('logs returns the tail of the service output', async () => {
    const out = await node.call<{ lines: string[] }>('openclaw.logs', { lines: 5 })
    expect(out.lines.length).toBeGreaterThan(0)
    expect(out.lines.length).toBeLessThanOrEqual(5)
    expect(out.lines.join('\n')).toMatch(/GET \/(healthz|readyz)/)
  })

  it('config.push with restart rolls back when the new config keeps the gateway from starting', async () => {
    const path = node.ctx.config.userGateway.configPath
    const out = await node.call<Record<string, unknown>>('config.push', {
      config: { gateway: { mode: 'local' }, standIn: { crashOnStart: true } },
      restart: true,
    })
    expect(out).toMatchObject({
      changed: true,
      restarted: true,
      healthy: false,
      rolledBack: true,
      healthyAfterRollback: true,
    })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ gateway: { mode: 'local' } })
  }, 60_000)

  it('stop stops it and health says so', async () => {
    await node.call('openclaw.stop')
    const h = await node.call<Health>('openclaw.health')
    expect(h).toMatchObject({ healthy: false, service: { state: 'stopped' } })
  })

  it('update without an update command configured is UNAVAILABLE, not a pretend success', async () => {
    const release = { sha256: 'a'.repeat(64), key: 'k-unavailable' }
    expect(await node.invoke('openclaw.update', { version: '2026.9.7', ...release })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    })
    expect(await node.invoke('openclaw.update', { version: '1.0;rm', ...release })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
  })
})

describe('with no service manager', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  it('lifecycle commands are UNAVAILABLE and health still probes', async () => {
    const node = testNode(nodeConfig(tmp.dir))
    expect(await node.invoke('openclaw.restart', {})).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    })
    expect(await node.invoke('openclaw.logs', {})).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    })
    expect(await node.call('openclaw.health')).toMatchObject({
      healthy: false,
      service: { kind: 'none', state: 'unknown' },
    })
  })
})
