import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type StoreStatus, storeStatus } from '../../lib/store-admin/status.js'

export default class StoreMigrate extends ClawopsCommand<typeof StoreMigrate, StoreStatus> {
  static override summary = 'Bring the fleet store up to this clawops’s schema and say where it is.'
  static override description =
    'Applies the migrations the store lacks (every clawops command does so when it opens the store; this runs them on their own, e.g. before a team upgrades together) and reports the engine, the location (a PostgreSQL URL without its password), the schema version and the migrations applied now. A store written by a newer clawops is refused untouched (STORE_TOO_NEW).'
  static override examples = [
    '<%= config.bin %> store migrate',
    {
      description: 'A team store on PostgreSQL',
      command:
        'CLAWOPS_DATABASE_URL=postgresql://clawops@db.internal/fleet <%= config.bin %> store migrate --json',
    },
  ]

  protected async execute(): Promise<StoreStatus> {
    return storeStatus(this.ctx.store())
  }

  protected render(r: StoreStatus): string {
    const applied = r.applied.length ? `applied ${r.applied.join(', ')}` : 'already up to date'
    return `${r.engine} store ${r.location}: schema ${r.schemaVersion} (${applied}).\n`
  }
}
