import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../../src/lib/gateway/backoff.js'
import { GatewayRpcError } from '../../../src/lib/gateway/client.js'
import { invokeError } from '../../../src/lib/gateway/nodes.js'

const o = { nodeId: 'n1', command: 'vps.health' }

// Error shapes as the openclaw 2026.9.6 gateway returns them for node.invoke.
describe('node.invoke error mapping', () => {
  it('keeps the node error code', () => {
    const e = invokeError(
      new GatewayRpcError('node.invoke', 'UNAVAILABLE', 'INVALID_PARAMS: bad', {
        nodeError: { code: 'INVALID_PARAMS', message: 'bad' },
        nodeCommandDispatched: true,
      }),
      o,
    )
    expect(e.toBody()).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'bad',
      details: { nodeCode: 'INVALID_PARAMS', nodeId: 'n1' },
    })
    const busy = invokeError(
      new GatewayRpcError('node.invoke', 'UNAVAILABLE', 'x', {
        nodeError: { code: 'UNAVAILABLE', message: 'docker is not installed' },
      }),
      o,
    )
    expect(busy.code).toBe('NODE_ERROR')
  })

  it('maps a disconnected node, a command outside the allowlist and a timeout', () => {
    expect(
      invokeError(
        new GatewayRpcError('node.invoke', 'UNAVAILABLE', 'node not connected', {
          code: 'NOT_CONNECTED',
          nodeError: { code: 'NOT_CONNECTED', message: 'node not connected' },
          nodeCommandDispatched: false,
        }),
        o,
      ).toBody(),
    ).toMatchObject({ code: 'NODE_ERROR', details: { nodeCode: 'NOT_CONNECTED' } })
    expect(
      invokeError(
        new GatewayRpcError('node.invoke', 'INVALID_REQUEST', 'node command not allowed', {
          reason: 'command not allowlisted',
        }),
        o,
      ).code,
    ).toBe('POLICY_DENIED')
    expect(
      invokeError(new GatewayRpcError('node.invoke', 'UNAVAILABLE', 'node invoke timed out', {}), o).code,
    ).toBe('TIMEOUT')
  })
})

describe('backoff', () => {
  it('grows from the minimum to the cap with bounded jitter', () => {
    const opts = { minMs: 1_000, maxMs: 30_000 }
    expect(backoffDelay(0, opts, () => 1)).toBe(1_000)
    expect(backoffDelay(0, opts, () => 0)).toBe(500)
    expect(backoffDelay(3, opts, () => 1)).toBe(8_000)
    expect(backoffDelay(50, opts, () => 1)).toBe(30_000)
    expect(backoffDelay(50, opts, () => 0)).toBe(15_000)
  })
})

describe('transient invoke errors', () => {
  it('retries overload and gateway-marked retryable refusals only', async () => {
    const { isTransientInvokeError } = await import('../../../src/lib/gateway/nodes.js')
    const e = (code: string, message: string, retryable = false) =>
      new GatewayRpcError('node.invoke', code, message, {}, retryable)
    expect(
      isTransientInvokeError(e('UNAVAILABLE', 'The server is busy. Please try again in a moment.')),
    ).toBe(true)
    expect(
      isTransientInvokeError(
        e('UNAVAILABLE', 'WorkerTaskError: worker task capacity reached: code=overloaded'),
      ),
    ).toBe(true)
    expect(
      isTransientInvokeError(e('UNAVAILABLE', 'node pairing changed while invocation was active', true)),
    ).toBe(true)
    expect(isTransientInvokeError(e('UNAVAILABLE', 'node not connected'))).toBe(false)
    expect(isTransientInvokeError(e('INVALID_REQUEST', 'node command not allowed'))).toBe(false)
  })
})
