/**
 * What `clawops lab seed` wrote besides its pairs and instances, taken back out before the lab pairs
 * are deleted (`lab seed --replace`). Lab rows are found by the pairs labelled lab=true and by the
 * `-lab-` prefixes of the ids src/lib/lab/history.ts and src/lib/lab/briefing-events.ts give them;
 * nothing a real fleet writes carries either.
 */
import type { Store } from './store.js'

export class LabRows {
  constructor(private readonly store: Store) {}

  /** Deletes the lab's events and their deliveries, failovers, queue items, health, history and billing. */
  clear(): void {
    const lab = `${this.store.sql.jsonText('labels', "'lab'")} = 'true'`
    const LAB_PAIRS = `SELECT id FROM pairs WHERE ${lab}`
    const LAB_INSTANCES = `SELECT id FROM instances WHERE pair_id IN (${LAB_PAIRS})`
    this.store.db.exec(`
      DELETE FROM brief_deliveries WHERE event_id LIKE 'ev-lab-%';
      DELETE FROM events WHERE id LIKE 'ev-lab-%';
      DELETE FROM failovers WHERE id LIKE 'fo-lab-%';
      DELETE FROM reprovision_queue WHERE id LIKE 'rq-lab-%';
      DELETE FROM instance_health WHERE instance_id IN (${LAB_INSTANCES});
      DELETE FROM billing_segments WHERE pair_id IN (${LAB_PAIRS});
      DELETE FROM user_activity WHERE user_id IN (SELECT user_id FROM pairs WHERE ${lab});
      DELETE FROM provision_attempts WHERE id LIKE 'prov-lab-%';
      DELETE FROM health_rollups WHERE instance_id IN (${LAB_INSTANCES});
      DELETE FROM health_samples WHERE instance_id IN (${LAB_INSTANCES});
      DELETE FROM incidents WHERE id LIKE 'inc-lab-%';
    `)
  }
}
