/**
 * The first health check after a node joins or comes back asks again while the user gateway is not
 * live yet (a node that has just started answers before its gateway does), and gives its last
 * answer when the time is up.
 */
import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import type { NodeInvoker } from '../../../src/lib/gateway/link.js'
import { firstHealth } from '../../../src/lib/provisioning/member.js'

function invoker(answers: (boolean | Error)[]): NodeInvoker & { calls: number } {
  const inv = {
    calls: 0,
    async invoke<T>(): Promise<T> {
      const a = answers[Math.min(inv.calls++, answers.length - 1)]!
      if (a instanceof Error) throw a
      return { live: a } as T
    },
  }
  return inv
}

const target = { id: 'i-1', nodeId: 'n-1' }

describe('firstHealth', () => {
  it('waits for a user gateway that is still starting', async () => {
    const inv = invoker([false, new UserError('NODE_ERROR', 'not connected'), false, true])
    expect(await firstHealth(inv, target, 10_000)).toBe(true)
    expect(inv.calls).toBe(4)
  })

  it('reports a gateway that never comes up as not live once the time is up', async () => {
    const inv = invoker([false])
    expect(await firstHealth(inv, target, 1_500)).toBe(false)
    expect(inv.calls).toBeGreaterThan(1)
  })

  it('does not retry an error that is not transient', async () => {
    const inv = invoker([new UserError('POLICY_DENIED', 'no')])
    await expect(firstHealth(inv, target, 10_000)).rejects.toMatchObject({ code: 'POLICY_DENIED' })
  })
})
