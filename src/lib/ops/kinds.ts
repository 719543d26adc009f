/**
 * The production operation kinds, registered by name with lazy loaders. Importing this module makes
 * every kind resumable from the journal.
 */
import { registerKind } from './registry.js'

export const KIND_MODULES: Record<
  string,
  () => Promise<{ default: import('./kind.js').OperationKind<never> }>
> = {}

for (const [name, load] of Object.entries(KIND_MODULES))
  registerKind(name, async () => (await load()).default)
