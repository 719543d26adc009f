import { describe, expect, it, vi } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import type { NodeInvoker, NodeTarget } from '../../../src/lib/gateway/link.js'
import { probeInstance } from '../../../src/lib/health/probe.js'

const now = new Date('2026-12-06T12:00:00.000Z')
const opts = { timeoutMs: 1_000, now, lastHeartbeatAt: '2026-12-06T11:50:00.000Z', connected: null }
const target = (id: string): NodeTarget => ({ id, nodeId: `dev-${id}`, gateway: 'main' })

const answers: Record<string, unknown> = {
  'vps.health': { status: 'ok', problems: [], memory: { usedPct: 41 }, disk: { usedPct: 62 } },
  'vps.metrics': { cpu: { busyPct: 12 }, memory: { usedPct: 41 } },
  'openclaw.health': { healthy: true, live: true, ready: true, lastActivityAt: '2026-12-06T11:59:00.000Z' },
}

/** A gateway in front of nodes; `probe` says how a node answers vps.probe. */
function invoker(probe: (id: string) => unknown | Promise<unknown>) {
  const calls: string[] = []
  const nodes: NodeInvoker = {
    async invoke<T>(t: NodeTarget, command: string) {
      calls.push(`${t.id} ${command}`)
      if (command === 'vps.probe') return (await probe(t.id)) as T
      return answers[command] as T
    },
  } as NodeInvoker
  return { nodes, calls }
}

const unknownCommand = () =>
  new UserError('INVALID_INPUT', 'unknown command: "vps.probe"', { details: { nodeCode: 'UNKNOWN_COMMAND' } })

describe('a health probe', () => {
  it('is one node.invoke (vps.probe) when the node has it, read as the three commands would be', async () => {
    const { nodes, calls } = invoker(() => ({
      parts: {
        'vps.health': { ok: true, payload: answers['vps.health'] },
        'vps.metrics': { ok: false, error: { code: 'TIMEOUT', message: 'vps.metrics did not finish' } },
        'openclaw.health': { ok: true, payload: answers['openclaw.health'] },
      },
    }))
    const p = await probeInstance(nodes, target('i-1'), opts)
    expect(calls).toEqual(['i-1 vps.probe'])
    expect(p).toMatchObject({
      reached: true,
      heartbeatAgeS: 0,
      vps: { status: 'ok', memPct: 41, diskPct: 62 },
      metrics: null,
      openclaw: { live: true, ready: true },
      lastActivityAt: '2026-12-06T11:59:00.000Z',
      errors: [
        {
          command: 'vps.metrics',
          code: 'TIMEOUT',
          nodeCode: 'TIMEOUT',
          message: 'vps.metrics did not finish',
        },
      ],
    })
  })

  it('asks a node from before vps.probe the three commands, and remembers it for this connection', async () => {
    const { nodes, calls } = invoker(() => {
      throw unknownCommand()
    })
    const first = await probeInstance(nodes, target('i-1'), opts)
    expect(first).toMatchObject({ reached: true, errors: [], metrics: { cpuBusyPct: 12 } })
    await probeInstance(nodes, target('i-1'), opts)
    expect(calls).toEqual([
      'i-1 vps.probe',
      'i-1 vps.health',
      'i-1 vps.metrics',
      'i-1 openclaw.health',
      'i-1 vps.health',
      'i-1 vps.metrics',
      'i-1 openclaw.health',
    ])
    // An hour on (watch runs for days; the node may have been upgraded), it is asked with one call again.
    vi.useFakeTimers({ now: Date.now() + 61 * 60_000, toFake: ['Date'] })
    try {
      await probeInstance(nodes, target('i-1'), opts)
    } finally {
      vi.useRealTimers()
    }
    expect(calls.slice(7)).toEqual([
      'i-1 vps.probe',
      'i-1 vps.health',
      'i-1 vps.metrics',
      'i-1 openclaw.health',
    ])
    // Another connection (another clawops process) asks again.
    const again = invoker(() => {
      throw unknownCommand()
    })
    await probeInstance(again.nodes, target('i-1'), opts)
    expect(again.calls[0]).toBe('i-1 vps.probe')
  })

  it('falls back the same way when the gateway has not allowed vps.probe yet', async () => {
    for (const refusal of [
      new UserError('POLICY_DENIED', 'node command not allowed'),
      new UserError('NODE_ERROR', 'node command not allowed: the node did not declare vps.probe'),
    ]) {
      const { nodes, calls } = invoker(() => {
        throw refusal
      })
      expect(await probeInstance(nodes, target('i-2'), opts)).toMatchObject({ reached: true, errors: [] })
      expect(calls).toHaveLength(4)
    }
  })

  it('fails every part with the call when the node cannot be asked, and keeps asking it with one call', async () => {
    const { nodes, calls } = invoker(() => {
      throw new UserError('NODE_ERROR', 'node dev-i-3 is not connected to the gateway', {
        details: { nodeCode: 'NOT_CONNECTED' },
      })
    })
    const p = await probeInstance(nodes, target('i-3'), opts)
    expect(p).toMatchObject({ reached: false, vps: null, metrics: null, openclaw: null, heartbeatAgeS: 600 })
    expect(p.errors.map((e) => [e.command, e.nodeCode])).toEqual([
      ['vps.health', 'NOT_CONNECTED'],
      ['vps.metrics', 'NOT_CONNECTED'],
      ['openclaw.health', 'NOT_CONNECTED'],
    ])
    await probeInstance(nodes, target('i-3'), opts)
    expect(calls).toEqual(['i-3 vps.probe', 'i-3 vps.probe'])
  })

  it('rethrows GATEWAY_UNREACHABLE: the gateway is down, not the instance', async () => {
    const { nodes } = invoker(() => {
      throw new UserError('GATEWAY_UNREACHABLE', 'cannot reach the gateway')
    })
    await expect(probeInstance(nodes, target('i-4'), opts)).rejects.toMatchObject({
      code: 'GATEWAY_UNREACHABLE',
    })
  })

  it('takes a malformed vps.probe answer as a node that answered with nothing usable', async () => {
    for (const body of [null, 'parts', { parts: { 'vps.health': 7 } }, { parts: [] }]) {
      const { nodes } = invoker(() => body)
      const p = await probeInstance(nodes, target('i-5'), opts)
      expect(p).toMatchObject({ reached: true, vps: null, metrics: null, openclaw: null })
      expect(p.errors.map((e) => e.code)).toEqual(['NODE_ERROR', 'NODE_ERROR', 'NODE_ERROR'])
    }
  })
})
