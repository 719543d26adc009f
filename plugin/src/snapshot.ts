/**
 * The snapshot the RPC and the Fleet tab serve: `fleetSnapshot` (the function behind `clawops fleet
 * status --json`) over the operator's store, opened read-only for each request and closed after, so
 * the gateway never writes the store nor keeps a handle on a file that is replaced.
 */
import { readConfig } from '../../src/lib/config/read.js'
import { storeLocation } from '../../src/lib/config/store-location.js'
import { watchSettings } from '../../src/lib/config/watch-settings.js'
import { type ErrorBody, toErrorBody } from '../../src/lib/errors.js'
import { type FleetStatus, fleetSnapshot, parseFleetFilter } from '../../src/lib/fleet/status.js'
import { Store } from '../../src/lib/store/store.js'
import type { PluginSettings } from './settings.js'

export type SnapshotResult = { ok: true; data: FleetStatus } | { ok: false; error: ErrorBody }

export async function readSnapshot(settings: PluginSettings, filters: unknown): Promise<SnapshotResult> {
  try {
    const filter = parseFleetFilter(filters)
    // The operator's config as clawops reads it (currency rates, watch interval); the gateway's own
    // environment does not redirect it. The store is the one the config names (a team's PostgreSQL
    // database), else the home's SQLite file.
    const config = await readConfig(settings.home, {})
    const store = Store.openReadOnly(storeLocation(settings.home, config))
    try {
      const data = fleetSnapshot(
        {
          store,
          rates: config.currency.rates,
          watchIntervalMs: watchSettings(config).intervalMs,
          now: new Date(),
        },
        filter,
      )
      return { ok: true, data }
    } finally {
      store.close()
    }
  } catch (err) {
    const body = toErrorBody(err)
    // Details can hold paths and values from the config; the page and the RPC say what and how to fix.
    return {
      ok: false,
      error: { code: body.code, message: body.message, ...(body.hint ? { hint: body.hint } : {}) },
    }
  }
}
