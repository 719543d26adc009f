/** Where the fleet store is and which schema it has (`clawops store migrate`). */
import { schemaVersion } from '../store/copy.js'
import type { Store } from '../store/store.js'

export interface StoreStatus {
  engine: 'sqlite' | 'postgres'
  /** A path, or a PostgreSQL URL without its password. */
  location: string
  schemaVersion: number
  /** Migrations applied when this command opened the store. */
  applied: number[]
}

export function storeStatus(store: Store): StoreStatus {
  return {
    engine: store.engine,
    location: store.location,
    schemaVersion: schemaVersion(store),
    applied: [...store.migrated],
  }
}
