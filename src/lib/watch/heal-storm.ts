/**
 * Rule 5 across watch's heals. Watch judges heals one instance at a time; a region blip would make
 * that a restart of every gateway in the region with no one asked. So the heals due in a cycle are
 * counted, in order, into the restart budget of their provider and region (fleet/restart-budget.ts);
 * those past it are not run. Once per scope and window watch plans the restart of the held pairs (a
 * plan that waits for a confirmation) and sends HEAL_STORM to Commander with the exact command that
 * confirms it (from a full cycle, which sees every held heal of the scope). A full cycle with nothing
 * held in a scope ends its storm.
 */
import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import type { Engine } from '../engine/engine.js'
import { UserError } from '../errors.js'
import { emitEvent } from '../events/emit.js'
import { RestartBudget } from '../fleet/restart-budget.js'
import restartKind from '../instance/restart.js'
import type { Logger } from '../log.js'
import type { RestartBudgetScope } from '../policy/rules.js'
import { Episodes } from '../store/episodes.js'
import { Instances } from '../store/instances.js'

export interface HealStorm {
  /** The provider, or provider/region, whose restart budget the held heals would overrun. */
  scope: string
  held: string[]
  /** The restart plan Commander may confirm (null when it was planned earlier in this window). */
  planId: string | null
  /** Whether Commander was told in this call (once per scope and window). */
  escalated: boolean
}

export type Held = Map<string, { scope: RestartBudgetScope; ids: string[] }>

/** Due heals, in order, within the restart budget; the rest held back by the scope they would overrun. */
export function withinRestartBudget(
  ctx: Context,
  settings: WatchSettings,
  ids: readonly string[],
): { fit: string[]; held: Held } {
  const instances = ctx.store().repo(Instances)
  const budget = new RestartBudget(ctx.store(), settings.restartBudget, ctx.clock())
  const fit: string[] = []
  const held: Held = new Map()
  for (const id of ids) {
    const inst = instances.get(id)
    if (!inst) continue
    const over = budget.admit(inst)
    if (!over) {
      fit.push(id)
      continue
    }
    const h = held.get(over.name) ?? { scope: over, ids: [] }
    h.ids.push(id)
    held.set(over.name, h)
  }
  return { fit, held }
}

/**
 * Tells Commander about each scope's held heals, once per scope and window, with a restart plan to
 * confirm; only from a full cycle.
 */
export async function escalateHealStorms(
  ctx: Context,
  engine: Engine,
  healCtx: Context,
  settings: WatchSettings,
  log: Logger,
  o: { held: Held; fullCycle: boolean },
): Promise<HealStorm[]> {
  const store = ctx.store()
  const episodes = store.repo(Episodes)
  const now = ctx.clock()
  // A real-time check sees one instance: it holds it back, and the next cycle, which sees every held
  // heal of the scope, plans and asks.
  if (!o.fullCycle)
    return [...o.held].map(([name, h]) => ({ scope: name, held: h.ids, planId: null, escalated: false }))
  for (const e of episodes.openWithPrefix('heal-storm:'))
    if (!o.held.has(e.key.slice('heal-storm:'.length))) episodes.close(e.key)
  const storms: HealStorm[] = []
  for (const [name, h] of o.held) {
    const key = `heal-storm:${name}`
    const since = episodes.get(key)
    if (since && now.getTime() - Date.parse(since) < settings.restartBudget.windowMs) {
      storms.push({ scope: name, held: h.ids, planId: null, escalated: false })
      continue
    }
    if (since) episodes.close(key)
    const { startedAt } = episodes.open(key, now.toISOString())
    const [provider, region] = name.split('/') as [string, string | undefined]
    // The held pairs exactly: heals already running in the scope are not restarted a second time,
    // and the plan stays the same (confirmable) while they finish.
    const pairs = [
      ...new Set(h.ids.map((id) => store.repo(Instances).get(id)?.pairId).filter((p) => p !== undefined)),
    ].sort()
    const selector = `pair in (${pairs.join(',')}),state!=ACTIVE`
    const command = `clawops restart -l '${selector}'`
    let planId: string | null = null
    let expiresAt: string | null = null
    try {
      const dry = await engine.mutate(healCtx, restartKind, { selector }, { dryRun: true })
      // Nothing past the budget any more (the fleet moved since): the next cycle heals them.
      if (dry.policy.decision === 'allow') {
        episodes.close(key)
        continue
      }
      await engine.mutate(healCtx, restartKind, { selector })
    } catch (err) {
      if (err instanceof UserError && err.code === 'CONFIRMATION_REQUIRED') {
        const d = err.details as { planId: string; expiresAt: string }
        planId = d.planId
        expiresAt = d.expiresAt
      } else log.warn({ scope: name, err: String(err) }, 'could not plan the restart of a heal storm')
    }
    const s = h.scope
    const n = h.ids.length
    emitEvent(
      store,
      settings,
      {
        type: 'HEAL_STORM',
        severity: 'high',
        provider,
        region: region ?? null,
        summary: `HEAL STORM in ${name}: ${n} instance${n === 1 ? '' : 's'} due a heal ${n === 1 ? 'is' : 'are'} past the restart budget (${s.used} of ${s.users} users' gateways restarted within ${Math.round(settings.restartBudget.windowMs / 60_000)} min; budget ${s.budget}). Watch did not heal them.${planId ? ` To restart them anyway, confirm plan ${planId} (valid until ${expiresAt}).` : ''}`,
        suggest: [
          planId ? `${command} --confirm ${planId} --json` : `${command} --json`,
          `clawops incident exposure --provider ${provider}${region ? ` --region ${region}` : ''} --json`,
        ],
        data: { scope: s, held: h.ids, planId, selector },
        dedupeKey: `HEAL_STORM:${name}@${startedAt}`,
      },
      now.toISOString(),
    )
    log.warn({ scope: name, held: n, planId }, 'heal storm: heals held back, Commander asked')
    storms.push({ scope: name, held: h.ids, planId, escalated: true })
  }
  return storms
}
