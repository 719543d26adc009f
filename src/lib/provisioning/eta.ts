/**
 * How long provisioning still needs, from the phases seen so far: each phase's median in this
 * operation once one member has finished it, else the provider's median over the last week of
 * provisioning history, else a default. A member's ETA is what its remaining phases are expected to
 * take (the current one minus what it has run already).
 */
import type { Context } from '../context.js'
import type { Provider } from '../domain/provider.js'
import { PROVISION_PHASES, ProvisionHistory, type ProvisionPhase } from '../store/provision-history.js'

/** Before anything was measured: a cloud VPS creates in seconds and boots in about a minute. */
const DEFAULT_MS: Record<ProvisionPhase, number> = {
  create: 5_000,
  boot: 60_000,
  join: 30_000,
  health: 5_000,
}
const HISTORY_MS = 7 * 24 * 3600_000

export class PhaseClock {
  private readonly seen = new Map<string, number[]>()
  private readonly history = new Map<Provider, Record<ProvisionPhase, number | null>>()
  private readonly pairs: number[] = []

  constructor(private readonly ctx: Context) {}

  observe(provider: Provider, phase: ProvisionPhase, ms: number): void {
    const key = `${provider}:${phase}`
    const list = this.seen.get(key) ?? []
    list.push(ms)
    this.seen.set(key, list)
  }

  expected(provider: Provider, phase: ProvisionPhase): number {
    const mine = this.seen.get(`${provider}:${phase}`)
    if (mine?.length) return [...mine].sort((a, b) => a - b)[Math.floor(mine.length / 2)]!
    let h = this.history.get(provider)
    if (!h) {
      const since = new Date(this.ctx.clock().getTime() - HISTORY_MS).toISOString()
      h = this.ctx.store().repo(ProvisionHistory).phaseMedians(provider, since)
      this.history.set(provider, h)
    }
    return h[phase] ?? DEFAULT_MS[phase]
  }

  /** Milliseconds a member in `phase` (running for `elapsedMs`) is expected to need until ACTIVE. */
  remaining(provider: Provider, phase: ProvisionPhase, elapsedMs = 0): number {
    const from = PROVISION_PHASES.indexOf(phase)
    let ms = Math.max(0, this.expected(provider, phase) - elapsedMs)
    for (const p of PROVISION_PHASES.slice(from + 1)) ms += this.expected(provider, p)
    return Math.round(ms)
  }

  observePair(ms: number): void {
    this.pairs.push(ms)
  }

  /** Milliseconds until `left` more pairs are up, `concurrency` at a time, at this operation's pace so far. */
  pairsRemaining(left: number, concurrency: number): number {
    const sorted = [...this.pairs].sort((a, b) => a - b)
    const perPair = sorted[Math.floor(sorted.length / 2)] ?? 0
    return Math.round(Math.ceil(left / Math.max(1, concurrency)) * perPair)
  }
}

const clocks = new WeakMap<Context, Map<string, PhaseClock>>()

/** One clock per operation and process, shared by the members provisioned in parallel. */
export function phaseClock(ctx: Context, opId: string): PhaseClock {
  let byOp = clocks.get(ctx)
  if (!byOp) {
    byOp = new Map()
    clocks.set(ctx, byOp)
  }
  let c = byOp.get(opId)
  if (!c) {
    c = new PhaseClock(ctx)
    byOp.set(opId, c)
  }
  return c
}
