/**
 * Operation kinds by name, loaded on demand so a command pays only for the kind it runs. `ops resume`
 * finds the kind of a journaled operation here.
 */
import { UserError } from '../errors.js'
import type { OperationKind } from './kind.js'

type Loader = () => Promise<OperationKind<unknown>>

const LOADERS = new Map<string, Loader>()

/** Registers a kind; production kinds register in kinds.ts, tests may add their own. */
export function registerKind<P>(
  name: string,
  load: (() => Promise<OperationKind<P>>) | OperationKind<P>,
): void {
  const loader = typeof load === 'function' ? load : async () => load
  LOADERS.set(name, loader as Loader)
}

export async function loadKind(name: string): Promise<OperationKind<unknown>> {
  const load = LOADERS.get(name)
  if (!load) {
    throw new UserError('NOT_FOUND', `no operation kind "${name}" in this clawops`, {
      hint: 'The operation was journaled by another clawops version; resume it with that version.',
    })
  }
  return load()
}

export function knownKinds(): string[] {
  return [...LOADERS.keys()].sort()
}
