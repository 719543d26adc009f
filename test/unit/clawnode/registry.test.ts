import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { NodeContext } from '../../../clawnode/commands/context.js'
import { NodeCommandError } from '../../../clawnode/commands/errors.js'
import { probeCommands } from '../../../clawnode/commands/probe.js'
import { CommandRegistry, defineCommand } from '../../../clawnode/commands/registry.js'
import { CLAWNODE_COMMANDS } from '../../../src/lib/gateway/node-commands.js'
import { nodeConfig, tempDir, testNode } from '../../support/clawnode-fixtures.js'

const node = {} as NodeContext

function registry(maxOutputBytes = 1024, defaultTimeoutMs = 1_000) {
  return new CommandRegistry(
    [
      defineCommand({
        name: 'vps.health',
        params: z.object({ n: z.number().int().default(1) }).strict(),
        async run(p) {
          return { n: p.n }
        },
      }),
      defineCommand({
        name: 'vps.info',
        params: z.object({ size: z.number().int() }).strict(),
        async run(p) {
          return { blob: 'x'.repeat(p.size) }
        },
      }),
      defineCommand({
        name: 'vps.metrics',
        params: z.object({}).strict(),
        async run(_p, ctx) {
          // Ignores its abort signal on purpose: the registry must still answer on time.
          await sleep(10_000, undefined, { signal: AbortSignal.timeout(5_000) }).catch(() => {})
          return { late: true, aborted: ctx.signal.aborted }
        },
      }),
      defineCommand({
        name: 'vps.reboot',
        params: z.object({ kind: z.string() }).strict(),
        async run(p) {
          if (p.kind === 'node') throw new NodeCommandError('UNAVAILABLE', 'no such thing here')
          throw new Error('boom')
        },
      }),
    ],
    { defaultTimeoutMs, maxOutputBytes },
  )
}

describe('vps.probe', () => {
  it('keeps each part to its own outcome: an answer, a node error, a part past the deadline', async () => {
    const r: CommandRegistry = new CommandRegistry(
      [
        defineCommand({
          name: 'vps.health',
          params: z.object({}).strict(),
          async run() {
            return { status: 'ok' }
          },
        }),
        defineCommand({
          name: 'vps.metrics',
          params: z.object({ sampleMs: z.number() }).strict(),
          async run(p) {
            throw new NodeCommandError('UNAVAILABLE', `no /proc here (asked for ${p.sampleMs} ms)`)
          },
        }),
        defineCommand({
          name: 'openclaw.health',
          params: z.object({}).strict(),
          async run(_p, ctx) {
            await sleep(5_000, undefined, { signal: ctx.signal }).catch(() => {})
            return { live: true }
          },
        }),
        ...probeCommands(() => r),
      ],
      { defaultTimeoutMs: 1_000, maxOutputBytes: 4096 },
    )
    const t0 = Date.now()
    const out = await r.invoke('vps.probe', '{"sampleMs":100}', { node, timeoutMs: 1_500 })
    expect(Date.now() - t0).toBeLessThan(1_500)
    expect(out.ok).toBe(true)
    const body = JSON.parse((out as { payloadJSON: string }).payloadJSON)
    expect(body.parts).toEqual({
      'vps.health': { ok: true, payload: { status: 'ok' } },
      'vps.metrics': {
        ok: false,
        error: { code: 'UNAVAILABLE', message: 'no /proc here (asked for 100 ms)' },
      },
      'openclaw.health': {
        ok: false,
        error: { code: 'TIMEOUT', message: expect.stringMatching(/openclaw.health/) },
      },
    })
  })
})

describe('command registry: bad input never crashes the node', () => {
  const r = registry()

  it('runs a command and returns its JSON', async () => {
    expect(await r.invoke('vps.health', '{"n":3}', { node })).toEqual({ ok: true, payloadJSON: '{"n":3}' })
    expect(await r.invoke('vps.health', null, { node })).toEqual({ ok: true, payloadJSON: '{"n":1}' })
  })

  it('answers unknown commands, malformed JSON and wrong params with structured errors', async () => {
    expect(await r.invoke('rm.rf', '{}', { node })).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_COMMAND' },
    })
    expect(await r.invoke('vps.health', '{"n":', { node })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
    const wrong = await r.invoke('vps.health', '{"n":"three","extra":1}', { node })
    expect(wrong).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } })
    expect(!wrong.ok && wrong.error.message).toMatch(/n:.*extra|extra.*n:/s)
    expect(await r.invoke('vps.health', '[1,2]', { node })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
  })

  it('survives arbitrary command names and params', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.oneof(fc.string(), fc.json(), fc.constant(null)),
        async (cmd, params) => {
          const out = await r.invoke(cmd, params, { node })
          expect(typeof out.ok).toBe('boolean')
        },
      ),
      { numRuns: 300 },
    )
  })

  it('turns thrown errors into results: NodeCommandError keeps its code, others are INTERNAL', async () => {
    expect(await r.invoke('vps.reboot', '{"kind":"node"}', { node })).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'no such thing here' },
    })
    expect(await r.invoke('vps.reboot', '{"kind":"bug"}', { node })).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: expect.stringContaining('boom') },
    })
  })

  it('refuses oversize output', async () => {
    expect(await r.invoke('vps.info', '{"size":100}', { node })).toMatchObject({ ok: true })
    expect(await r.invoke('vps.info', '{"size":5000}', { node })).toMatchObject({
      ok: false,
      error: { code: 'OUTPUT_TOO_LARGE' },
    })
  })

  it('answers a hung command with TIMEOUT at its deadline, bounded by the caller timeout too', async () => {
    const t0 = Date.now()
    expect(await r.invoke('vps.metrics', '{}', { node })).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT' },
    })
    expect(Date.now() - t0).toBeLessThan(1_500)
    const t1 = Date.now()
    expect(await r.invoke('vps.metrics', '{}', { node, timeoutMs: 500 })).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT' },
    })
    expect(Date.now() - t1).toBeLessThan(700)
  })

  it('rejects a command table with names outside CLAWNODE_COMMANDS or duplicates', () => {
    const spec = (name: string) => defineCommand({ name, params: z.object({}), run: async () => null })
    expect(
      () => new CommandRegistry([spec('shell.run')], { defaultTimeoutMs: 1, maxOutputBytes: 1 }),
    ).toThrow()
    expect(
      () =>
        new CommandRegistry([spec('vps.info'), spec('vps.info')], { defaultTimeoutMs: 1, maxOutputBytes: 1 }),
    ).toThrow()
  })
})

describe('the real command table', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('implements exactly CLAWNODE_COMMANDS', () => {
    const n = testNode(nodeConfig(tmp.dir))
    expect(n.registry.names()).toEqual([...CLAWNODE_COMMANDS])
  })

  it('rejects extra params on every command', async () => {
    const n = testNode(nodeConfig(tmp.dir))
    for (const c of CLAWNODE_COMMANDS) {
      const out = await n.invoke(c, { definitelyNotAParam: 1 })
      expect(out, c).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } })
    }
  })
})
