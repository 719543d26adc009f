/**
 * The production operation kinds, registered by name with lazy loaders. Importing this module makes
 * every kind resumable from the journal. Add a kind here when you add one under src/lib/ops.
 */
import type { OperationKind } from './kind.js'
import { registerKind } from './registry.js'

type KindModule = { default: OperationKind<never> }

/** A kind module's default export, seen through the registry's parameter-agnostic type. */
const asKind = (m: { default: object }) => m as KindModule

export const KIND_MODULES: Record<string, () => Promise<KindModule>> = {
  heal: () => import('./heal.js').then(asKind),
  failover: () => import('./failover.js').then(asKind),
  'silence.add': () => import('./silence-add.js').then(asKind),
  'silence.remove': () => import('./silence-remove.js').then(asKind),
  provision: () => import('./provision.js').then(asKind),
  teardown: () => import('./teardown.js').then(asKind),
  resize: () => import('./resize.js').then(asKind),
  reprovision: () => import('./reprovision.js').then(asKind),
  'instance.restart': () => import('./restart.js').then(asKind),
  'instance.exec': () => import('./exec.js').then(asKind),
  'gateway.setup': () => import('./gateway-setup.js').then(asKind),
  'routing.set': () => import('./routing-set.js') as Promise<unknown> as Promise<KindModule>,
  'config.push': () => import('./config-push.js').then(asKind),
  'config.rollback': () => import('./config-rollback.js').then(asKind),
  'agents.install': () => import('../agents/install.js').then(asKind),
}

for (const [name, load] of Object.entries(KIND_MODULES))
  registerKind(name, async () => (await load()).default)
