/**
 * Operation kinds by name, loaded on demand so a command pays only for the kind it runs. The engine
 * finds the kind of a journaled operation here when it resumes one. A registry is built in one
 * explicit place (src/lib/kinds.ts for clawops itself; tests build their own) and handed to the
 * Engine: nothing registers itself by being imported.
 */
import { UserError } from '../errors.js'
import type { OperationKind } from './kind.js'

type Loader = () => Promise<OperationKind<unknown>>

export class KindRegistry {
  private readonly loaders = new Map<string, Loader>()

  add<P>(name: string, load: (() => Promise<OperationKind<P>>) | OperationKind<P>): this {
    const loader = typeof load === 'function' ? load : async () => load
    this.loaders.set(name, loader as Loader)
    return this
  }

  async load(name: string): Promise<OperationKind<unknown>> {
    const load = this.loaders.get(name)
    if (!load) {
      throw new UserError('NOT_FOUND', `no operation kind "${name}" in this clawops`, {
        hint: 'The operation was journaled by another clawops version; resume it with that version.',
      })
    }
    const kind = await load()
    if (kind.kind !== name) throw new Error(`kind registered as "${name}" calls itself "${kind.kind}"`)
    return kind
  }

  names(): string[] {
    return [...this.loaders.keys()].sort()
  }
}
