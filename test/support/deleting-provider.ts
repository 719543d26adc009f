/**
 * A provider adapter for teardown tests that need no cloud: `delete` and snapshots (the archive of a
 * pair without nodes) are the only calls it serves. It records each delete and snapshot, lets a test
 * look at the fleet at that moment (`onDelete`), and fails the next `failNext` deletes the way a
 * provider error does. Everything else refuses, so a test learns at once if an operation reaches for
 * more than it should.
 */
import { UserError } from '../../src/lib/errors.js'
import type { CallOptions, ProviderAdapter, ProviderSnapshot } from '../../src/lib/providers/types.js'

export class DeletingProvider {
  readonly deletes: string[] = []
  readonly snapshots: ProviderSnapshot[] = []
  failNext = 0
  onDelete: ((serverId: string, opts: CallOptions | undefined) => void) | null = null

  adapter(): ProviderAdapter {
    const refuse = () => {
      throw new Error('DeletingProvider serves delete only')
    }
    return {
      provider: 'hetzner',
      capabilities: {
        resize: 'in-place',
        delete: 'immediate',
        labels: 'kv',
        prices: 'static',
        userData: 'cloud-init',
        snapshots: 'account',
      },
      planFor: () => 'cx22',
      delete: async (serverId, opts) => {
        this.onDelete?.(serverId, opts)
        if (this.failNext > 0) {
          this.failNext--
          throw new UserError('PROVIDER_ERROR', `hetzner: delete of ${serverId} failed (test)`)
        }
        this.deletes.push(serverId)
        return { mode: 'immediate', effectiveAt: null, pending: null, alreadyGone: false }
      },
      snapshot: async (serverId, name) => {
        const snap: ProviderSnapshot = {
          provider: 'hetzner',
          id: `snap-${this.snapshots.length + 1}`,
          serverId,
          name,
          status: 'available',
          sizeGb: 1,
          createdAt: new Date(0).toISOString(),
          expiresAt: null,
        }
        this.snapshots.push(snap)
        return snap
      },
      getSnapshot: async (ref) => this.snapshots.find((s) => s.id === ref.id) ?? null,
      deleteSnapshot: refuse,
      create: refuse,
      get: refuse,
      list: refuse,
      findByOpLabel: refuse,
      reboot: refuse,
      powerOn: refuse,
      powerOff: refuse,
      resize: refuse,
      prices: refuse,
      regions: refuse,
      waitFor: refuse,
      stats: () => ({ requests: 0, retries: 0, rateLimited: 0, throttledMs: 0 }),
    }
  }
}
