/** `clawops silence remove <id>`: ends a silence early (journaled and audited like adding one). */

import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { Silences } from '../store/silences.js'

export interface SilenceRemoveParams {
  id: string
}

const silenceRemove: OperationKind<SilenceRemoveParams> = {
  kind: 'silence.remove',
  action: 'silence.manage',

  parseParams(raw) {
    const p = raw as Partial<SilenceRemoveParams> | null
    if (!p || typeof p.id !== 'string' || !p.id)
      throw new UserError('INVALID_INPUT', 'which silence? give its id')
    return { id: p.id }
  },

  plan(ctx, p) {
    const s = ctx.store().repo(Silences).get(p.id)
    if (!s)
      throw new UserError('NOT_FOUND', `no silence ${p.id}`, { hint: 'See clawops silence list --all.' })
    if (s.removedAt) throw new UserError('CONFLICT', `silence ${p.id} was already removed at ${s.removedAt}`)
    return {
      summary: `remove silence ${p.id} (${s.reason})`,
      targets: [],
      affectedUsers: 0,
      costDeltaMonthlyUsdCents: 0,
      steps: [{ name: 'remove', target: null, input: {} }],
      facts: {},
    }
  },

  async runStep(run, p) {
    const silences = run.ctx.store().repo(Silences)
    silences.remove(p.id, run.actor, run.ctx.now())
    return silences.get(p.id)
  },
}

export default silenceRemove
