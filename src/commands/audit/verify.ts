import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type StoreVerification, verifyStore } from '../../lib/store-admin/verify.js'

export default class AuditVerify extends ClawopsCommand<typeof AuditVerify, StoreVerification> {
  static override summary =
    "Check the whole store (SQLite's integrity check) and the audit hash chain; names the first bad entry."
  static override description =
    "Runs SQLite's full integrity_check over every page, index and constraint (STORE_CORRUPT, exit 11, when it fails: the store is marked damaged and every command refuses it), then recomputes every entry hash and link from the first entry to the recorded head (AUDIT_CHAIN_BROKEN, exit 14). A store marked damaged is checked again, and the mark is lifted when both pass. On PostgreSQL the server checks its own pages; the chain is checked the same way."
  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json']

  protected async execute(): Promise<StoreVerification> {
    return verifyStore(this.ctx)
  }

  protected render(r: StoreVerification): string {
    const lifted = r.markLifted ? ` The damage mark (${r.markLifted}) is lifted.` : ''
    const store = r.integrity
      ? `Store intact (integrity_check, ${r.integrity.ms} ms).`
      : 'Store on PostgreSQL (the server checks its own pages).'
    return `${store} Audit chain intact: ${r.entries} entries${r.head ? `, head ${r.head.seq} ${r.head.hash.slice(0, 16)}…` : ''}.${lifted}\n`
  }
}
