/**
 * The restart budget (safety rule 5 across operations): heals and restarts of the users' gateways
 * share, per provider and per region of a provider, a number of users whose gateways may restart
 * within a window without anyone asked: maxShare (20 %) of the scope's users, at least minUsers (3),
 * at most maxUsers (10, rule 5's number). What counts is read from the journal: the `restart` steps of
 * heal and restart operations started in the window, or pending in one still running; a heal that
 * found its instance healthy restarted nothing. The rule itself is in policy/rules.ts; the heal and
 * restart kinds put the fact in their plans, and watch uses the same count to hold heals back.
 */
import type { WatchSettings } from '../config/watch-settings.js'
import type { Instance } from '../domain/instance.js'
import type { RestartBudgetFact, RestartBudgetScope } from '../policy/rules.js'
import { Instances } from '../store/instances.js'
import { Operations } from '../store/operations.js'
import type { Store } from '../store/store.js'

/** Operation kinds whose `restart` steps restart a user's gateway. */
const RESTARTING_KINDS = ['heal', 'instance.restart'] as const

type Placed = Pick<Instance, 'userId' | 'region'> & { provider: string }

interface Scope {
  key: string
  scope: 'provider' | 'region'
  name: string
  provider: string
  region: string | null
}

function scopesOf(i: Placed): Scope[] {
  return [
    { key: `p:${i.provider}`, scope: 'provider', name: i.provider, provider: i.provider, region: null },
    {
      key: `r:${i.provider}/${i.region}`,
      scope: 'region',
      name: `${i.provider}/${i.region}`,
      provider: i.provider,
      region: i.region,
    },
  ]
}

export class RestartBudget {
  private readonly used = new Map<string, Set<string>>()
  private readonly users = new Map<string, number>()

  /** `except`: the step being judged (a resumed or retried restart does not count against itself). */
  constructor(
    private readonly store: Store,
    private readonly settings: WatchSettings['restartBudget'],
    now: Date,
    except?: { opId: string; seq: number },
  ) {
    const since = new Date(now.getTime() - settings.windowMs).toISOString()
    for (const r of store.repo(Operations).stepTargetsSince(RESTARTING_KINDS, 'restart', since, except))
      for (const s of scopesOf(r)) this.usersIn(this.used, s.key).add(r.userId)
  }

  private usersIn(m: Map<string, Set<string>>, key: string): Set<string> {
    let set = m.get(key)
    if (!set) {
      set = new Set()
      m.set(key, set)
    }
    return set
  }

  /** The users a scope may have restarted per window: a share of its users, within [minUsers, maxUsers]. */
  budgetOf(s: Scope): { users: number; budget: number } {
    let users = this.users.get(s.key)
    if (users === undefined) {
      users = this.store.repo(Instances).countUsers({ provider: s.provider, region: s.region })
      this.users.set(s.key, users)
    }
    const b = this.settings
    return { users, budget: Math.min(b.maxUsers, Math.max(b.minUsers, Math.floor(b.maxShare * users))) }
  }

  private view(s: Scope, planned: Set<string>): RestartBudgetScope {
    const used = this.used.get(s.key) ?? new Set<string>()
    const would = new Set([...used, ...planned])
    return { scope: s.scope, name: s.name, ...this.budgetOf(s), used: used.size, wouldUse: would.size }
  }

  /** The fact for a plan that restarts the gateways of `targets`. */
  fact(targets: readonly Placed[]): RestartBudgetFact {
    const planned = new Map<string, { scope: Scope; users: Set<string> }>()
    for (const t of targets)
      for (const s of scopesOf(t)) {
        const p = planned.get(s.key) ?? { scope: s, users: new Set<string>() }
        p.users.add(t.userId)
        planned.set(s.key, p)
      }
    return {
      windowMinutes: Math.round(this.settings.windowMs / 60_000),
      scopes: [...planned.values()].map((p) => this.view(p.scope, p.users)),
    }
  }

  /**
   * Counts the restart of `i`'s gateway in if every scope it is in has room, and returns null; else
   * returns the tightest scope it would push over (its region before its provider) and counts nothing.
   */
  admit(i: Placed): RestartBudgetScope | null {
    const views = scopesOf(i).map((s) => ({ s, v: this.view(s, new Set([i.userId])) }))
    const over = views
      .filter(({ v }) => v.wouldUse > v.budget)
      .sort((a, b) => (a.s.scope === b.s.scope ? 0 : a.s.scope === 'region' ? -1 : 1))[0]
    if (over) return over.v
    for (const { s } of views) this.usersIn(this.used, s.key).add(i.userId)
    return null
  }
}
