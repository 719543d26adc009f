/**
 * Versioned schema of the fleet database, one file per migration under migrations/. A migration is
 * applied once, in its own transaction, and bumps `PRAGMA user_version`; a store whose version is
 * above the last entry here was written by a newer clawops and is refused untouched.
 *
 * Version numbers are assigned up front so that work on different features never collides:
 *   1 fleet, plans, journal, audit, events
 *   2 ledger (billing segments, user activity)
 *   3 health history (samples, roll-ups) and incidents
 *   4 config rollouts and versions
 *   5 provider routing versions
 *   6 briefings
 *   7 watch (silences, event outbox, webhook replay store, reprovision queue)
 *   8 provisioning (join secrets, outgoing webhooks, final steps)
 *   9 archives (users' state kept after a teardown)
 *  10 engine (plan confirmations, named leases)
 *  11 restart budget (restart steps by start time)
 *  12 glance (ledger and provider-score snapshots, watch runs)
 *  13 price catalogue (plans, prices and regions read from the providers, with source and date)
 *  14 tailscale auth keys (one per server, never the secret)
 *  15 provisioning phases (tries and phase timings per member, member progress)
 *  16 archive sources (node archives and provider snapshots)
 *  17 upgrades (OpenClaw and gf-clawnode rollouts, instance versions)
 */
import { fleet } from './migrations/001-fleet.js'
import { ledger } from './migrations/002-ledger.js'
import { health } from './migrations/003-health.js'
import { config } from './migrations/004-config.js'
import { routing } from './migrations/005-routing.js'
import { briefings } from './migrations/006-briefings.js'
import { watch } from './migrations/007-watch.js'
import { provisioning } from './migrations/008-provisioning.js'
import { archives } from './migrations/009-archives.js'
import { engine } from './migrations/010-engine.js'
import { restartBudget } from './migrations/011-restart-budget.js'
import { glance } from './migrations/012-glance.js'
import { priceCatalog } from './migrations/013-price-catalog.js'
import { tailscaleKeys } from './migrations/014-tailscale-keys.js'
import { provisionPhases } from './migrations/015-provision-phases.js'
import { archiveSources } from './migrations/016-archive-sources.js'
import { upgrades } from './migrations/017-upgrades.js'
import type { Migration } from './migrations/migration.js'

export type { Migration }

export const MIGRATIONS: readonly Migration[] = [
  fleet,
  ledger,
  health,
  config,
  routing,
  briefings,
  watch,
  provisioning,
  archives,
  engine,
  restartBudget,
  glance,
  archiveSources,
  priceCatalog,
  tailscaleKeys,
  provisionPhases,
  upgrades,
].sort((a, b) => a.version - b.version)

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version
