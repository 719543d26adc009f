/**
 * The process bench/restart-budget.js measures (bundled from src/ by esbuild): a store with `pairs`
 * pairs over the five providers (three regions each) and `history` finished heal operations spread
 * over the last 30 days (four journaled steps each), then:
 *   - a heal plan (engine dry run of the heal kind, restart budget included), per plan;
 *   - the restart budget as a restart step's re-check reads it, per step;
 *   - the plan of a restart of every primary (`clawops restart -l role=primary --dry-run`).
 */
import { writeSync } from 'node:fs'
import { Context } from '../src/lib/context.js'
import { PROVIDERS } from '../src/lib/domain/provider.js'
import { RestartBudget } from '../src/lib/fleet/restart-budget.js'
import healKind from '../src/lib/heal/heal.js'
import restartKind from '../src/lib/instance/restart.js'
import { Operations } from '../src/lib/store/operations.js'
import { engine } from '../test/support/engine.js'
import { addPair } from '../test/support/watch-fakes.js'

const [home, pairsArg, historyArg, runsArg] = process.argv.slice(2)
const pairsN = Number(pairsArg)
const history = Number(historyArg)
const runs = Number(runsArg)
let t = Date.parse('2026-11-26T07:00:00.000Z')
const clock = () => new Date(t)
const ctx = new Context({ home: home!, env: {}, clock })
const store = ctx.store()
const pairs = store.tx(() =>
  Array.from({ length: pairsN }, (_, i) =>
    addPair(ctx, { provider: PROVIDERS[i % 5], region: `r${i % 3}` }, { provider: PROVIDERS[(i + 1) % 5] }),
  ),
)
const ops = store.repo(Operations)
const now = t
t -= 30 * 24 * 3600_000
const spacing = Math.floor((30 * 24 * 3600_000) / history)
store.tx(() => {
  for (let i = 0; i < history; i++) {
    t += spacing
    const inst = pairs[i % pairsN]!.primary
    const id = `op-h${i}`
    ops.create(
      {
        id,
        kind: 'heal',
        planId: `plan-h${i}`,
        actor: 'guardian',
        identity: 'guardian',
        params: {},
        summary: '',
      },
      [
        { name: 'verify', target: inst.id, input: {} },
        { name: 'restart', target: inst.id, input: {} },
        { name: 'confirm', target: inst.id, input: {} },
        { name: 'escalate', target: inst.pairId, input: {} },
      ],
    )
    for (const seq of [1, 2, 3, 4]) {
      ops.startStep(id, seq)
      ops.finishStep(id, seq, { state: 'done', result: {} })
    }
    ops.setState(id, 'done')
  }
})
t = now

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const timed = async (f: (i: number) => unknown) => {
  const xs: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await f(i)
    xs.push(performance.now() - t0)
  }
  return Math.round(median(xs) * 100) / 100
}
const settings = ctx.watchSettings().restartBudget
const healPlanMs = await timed((i) =>
  engine.mutate(ctx.as('guardian'), healKind, { instance: pairs[i % pairsN]!.primary.id }, { dryRun: true }),
)
const recheckMs = await timed((i) =>
  new RestartBudget(store, settings, clock(), { opId: 'op-none', seq: 2 }).fact([pairs[i % pairsN]!.primary]),
)
const bulkPlanMs = await timed(() =>
  engine.mutate(ctx.as('guardian'), restartKind, { selector: 'role=primary' }, { dryRun: true }),
)
writeSync(
  1,
  `${JSON.stringify({ pairs: pairsN, historySteps: history * 4, runs, healPlanMs, recheckMs, bulkPlanMs })}\n`,
)
ctx.close?.()
