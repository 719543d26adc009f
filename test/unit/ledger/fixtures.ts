/** Small hand-made fleets for the Ledger tests: instances with billing segments opened at given times. */
import type { Instance, InstanceState, Role } from '../../../src/lib/domain/instance.js'
import type { Provider } from '../../../src/lib/domain/provider.js'
import type { Tier } from '../../../src/lib/domain/tier.js'
import { closeBilling, openBilling } from '../../../src/lib/store/billing.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import type { Store } from '../../../src/lib/store/store.js'

export interface MemberSpec {
  id: string
  pair: string
  role?: Role
  provider: Provider
  region: string
  tier: Tier
  state?: InstanceState
  created: string
  deleted?: string
  termMonths?: number
}

export function addMember(store: Store, m: MemberSpec): Instance {
  const pairs = store.repo(Pairs)
  const userId = `u-${m.pair}`
  if (!pairs.get(m.pair)) {
    pairs.insert({ id: m.pair, userId, labels: {}, createdAt: m.created, updatedAt: m.created })
  }
  const i: Instance = {
    id: m.id,
    pairId: m.pair,
    userId,
    provider: m.provider,
    region: m.region,
    tier: m.tier,
    role: m.role ?? 'primary',
    state: m.deleted ? 'DELETED' : (m.state ?? 'ACTIVE'),
    providerId: null,
    ip: null,
    tailscaleName: null,
    nodeId: null,
    labels: {},
    healthScore: null,
    lastHeartbeatAt: null,
    createdAt: m.created,
    updatedAt: m.deleted ?? m.created,
  }
  store.repo(Instances).insert(i)
  openBilling(store, i, m.created, { termMonths: m.termMonths })
  if (m.deleted) closeBilling(store, i.id, m.deleted)
  return i
}
