/**
 * The fence around heal and failover: every instance they read, change or reach through gf-clawnode
 * goes through a PairScope, which refuses anything outside the target pair, any node command outside
 * a short list (no reboot, no exec, no config), and any state that deletes or archives a VPS. The
 * rules of the heal skill ("never delete a VPS, never touch another user's instance") live here as
 * code, and the tests drive them through this one door.
 */
import type { Context } from '../context.js'
import { canTransition, type Instance, type InstanceState } from '../domain/instance.js'
import { UserError } from '../errors.js'
import type { NodeInvoker, NodeTarget } from '../gateway/link.js'
import type { ClawnodeCommand } from '../gateway/node-commands.js'
import { Instances } from '../store/instances.js'

/** The node commands heal and failover may run: probes and the OpenClaw service lifecycle. */
export const PAIR_COMMANDS = [
  'vps.health',
  'vps.metrics',
  'vps.probe',
  'openclaw.health',
  'openclaw.restart',
  'openclaw.start',
  'openclaw.stop',
] as const satisfies readonly ClawnodeCommand[]

/** States heal and failover never set: removing or archiving a server is a teardown, not a heal. */
const NEVER: readonly InstanceState[] = ['DELETED', 'ARCHIVING']

export class PairScope {
  constructor(
    private readonly ctx: Context,
    readonly pairId: string,
    private readonly invoker: NodeInvoker,
  ) {}

  members(): Instance[] {
    return this.ctx.store().repo(Instances).list({ pairId: this.pairId })
  }

  /** One member, read fresh; anything else is refused. */
  instance(id: string): Instance {
    const i = this.ctx.store().repo(Instances).get(id)
    if (!i || i.pairId !== this.pairId) {
      throw new UserError('POLICY_DENIED', `${id} is not a member of pair ${this.pairId}`, {
        details: { rules: ['pair-scope'], pairId: this.pairId, instanceId: id },
      })
    }
    return i
  }

  /** Changes a member; the state must be a legal transition and never a deletion. */
  update(id: string, patch: Partial<Pick<Instance, 'state' | 'role' | 'healthScore'>>): Instance {
    const cur = this.instance(id)
    if (patch.state !== undefined) {
      if (NEVER.includes(patch.state)) {
        throw new UserError('POLICY_DENIED', `heal and failover never move an instance to ${patch.state}`, {
          details: { rules: ['never-delete'], instanceId: id },
        })
      }
      if (!canTransition(cur.state, patch.state)) {
        throw new UserError('CONFLICT', `${id} cannot go from ${cur.state} to ${patch.state}`, {
          details: { instanceId: id, from: cur.state, to: patch.state },
        })
      }
    }
    return this.ctx.store().repo(Instances).update(id, patch)
  }

  /** Runs an allowed node command on a member. */
  invoke<T = unknown>(
    id: string,
    command: ClawnodeCommand,
    params: Record<string, unknown>,
    timeoutMs: number,
  ) {
    return this.invokerFor().invoke<T>(this.instance(id), command, params, timeoutMs)
  }

  /** An invoker that applies the same fence, for code that takes a NodeInvoker (probes). */
  invokerFor(): NodeInvoker {
    return {
      invoke: async <T>(
        target: NodeTarget,
        command: ClawnodeCommand,
        params: Record<string, unknown>,
        timeoutMs: number,
      ) => {
        const member = this.instance(target.id)
        if (!(PAIR_COMMANDS as readonly string[]).includes(command)) {
          throw new UserError('POLICY_DENIED', `heal and failover do not run ${command}`, {
            details: { rules: ['heal-commands'], command },
          })
        }
        return this.invoker.invoke<T>(member, command, params, timeoutMs)
      },
    }
  }
}
