/**
 * Every operation kind this clawops runs, by name: the one place kinds are registered. The engine
 * (src/lib/engine) gets this registry when a command or watch builds it, and finds the kind of a
 * journaled operation here when it resumes one. Each kind loads on first use, so a command pays only
 * for the kind it runs. Add a kind here when you add one.
 */
import { KindRegistry } from './engine/registry.js'

export function productionKinds(): KindRegistry {
  return new KindRegistry()
    .add('heal', () => import('./heal/heal.js').then((m) => m.default))
    .add('failover', () => import('./heal/failover.js').then((m) => m.default))
    .add('silence.add', () => import('./silences/add.js').then((m) => m.default))
    .add('silence.remove', () => import('./silences/remove.js').then((m) => m.default))
    .add('provision', () => import('./lifecycle/provision.js').then((m) => m.default))
    .add('teardown', () => import('./lifecycle/teardown.js').then((m) => m.default))
    .add('resize', () => import('./lifecycle/resize.js').then((m) => m.default))
    .add('reprovision', () => import('./lifecycle/reprovision.js').then((m) => m.default))
    .add('instance.restart', () => import('./instance/restart.js').then((m) => m.default))
    .add('instance.exec', () => import('./instance/exec.js').then((m) => m.default))
    .add('gateway.move', () => import('./gateway-admin/gateway-move.js').then((m) => m.default))
    .add('gateway.setup', () => import('./gateway-admin/gateway-setup.js').then((m) => m.default))
    .add('routing.set', () => import('./ledger/routing-set-kind.js').then((m) => m.default))
    .add('config.push', () => import('./config-push/push-kind.js').then((m) => m.default))
    .add('config.rollback', () => import('./config-push/rollback-kind.js').then((m) => m.default))
    .add('openclaw.upgrade', () => import('./upgrades/upgrade-kind.js').then((m) => m.openclawUpgradeKind))
    .add('clawnode.upgrade', () => import('./upgrades/upgrade-kind.js').then((m) => m.clawnodeUpgradeKind))
    .add('openclaw.rollback', () => import('./upgrades/rollback-kind.js').then((m) => m.default))
    .add('archive.prune', () => import('./archive/prune.js').then((m) => m.default))
    .add('agents.install', () => import('./agents/install.js').then((m) => m.default))
}
