import { describe, expect, it } from 'vitest'
import { awaitLease, holdLease } from '../../../src/lib/engine/lease.js'
import { Leases } from '../../../src/lib/store/leases.js'
import { manualClock, testContext } from '../../support/context.js'

describe('leases held by a process and awaited by a standby', () => {
  it('takes over a lease held on another host only once it lapses', async () => {
    const clock = manualClock()
    const ctx = testContext({ clock })
    const leases = ctx.store().repo(Leases)
    // A leader on another host (its liveness cannot be checked from here) renewed it just now.
    expect(leases.acquire('watch', 'other-host:4242:lease-abc', 'watch on other-host', 12_000)).toBe(true)
    expect(() => holdLease(ctx, 'watch', 'me', { ttlMs: 12_000 })).toThrow(/held by watch on other-host/)

    const stop = new AbortController()
    const heard: string[] = []
    const waiting = awaitLease(ctx, 'watch', 'me standing by', {
      ttlMs: 12_000,
      pollMs: 5,
      signal: stop.signal,
      onWaiting: (l) => heard.push(l.holder),
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(leases.get('watch')?.owner).toBe('other-host:4242:lease-abc')
    clock.advance(11_000)
    await new Promise((r) => setTimeout(r, 50))
    expect(leases.get('watch')?.owner).toBe('other-host:4242:lease-abc')
    clock.advance(1_001)
    const held = await waiting
    expect(held?.held()).toBe(true)
    expect(leases.get('watch')).toMatchObject({ holder: 'me standing by', owner: held!.owner })
    expect(heard).toEqual(['watch on other-host'])
    held!.release()
    expect(leases.get('watch')).toBeUndefined()
    ctx.close()
  })

  it('takes over at once from a process of this host that no longer exists', async () => {
    const ctx = testContext()
    const leases = ctx.store().repo(Leases)
    const { hostname } = await import('node:os')
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    expect(leases.acquire('watch', `${hostname()}:4194305:lease-x`, 'killed watch', 12_000)).toBe(true)
    const held = holdLease(ctx, 'watch', 'me', { ttlMs: 12_000 })
    expect(leases.get('watch')?.holder).toBe('me')
    held.release()
    ctx.close()
  })

  it('gives up waiting when its signal fires', async () => {
    const ctx = testContext()
    ctx.store().repo(Leases).acquire('watch', 'other-host:1:lease-y', 'someone', 60_000)
    const stop = new AbortController()
    const waiting = awaitLease(ctx, 'watch', 'me', { pollMs: 5, signal: stop.signal })
    stop.abort('SIGTERM')
    expect(await waiting).toBeNull()
    ctx.close()
  })
})
