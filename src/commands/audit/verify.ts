import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { UserError } from '../../lib/errors.js'
import { AuditTrail, type VerifyResult } from '../../lib/store/audit-trail.js'

export default class AuditVerify extends ClawopsCommand<typeof AuditVerify, VerifyResult> {
  static override summary = 'Check the audit hash chain; names the first edited, removed or reordered entry.'
  static override description =
    'Recomputes every entry hash and link from the first entry to the recorded head. Exits 0 when the chain is intact and with AUDIT_CHAIN_BROKEN (exit 14) otherwise.'
  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json']

  protected async execute(): Promise<VerifyResult> {
    const result = this.ctx.store().repo(AuditTrail).verify()
    if (!result.ok && result.firstBad) {
      throw new UserError(
        'AUDIT_CHAIN_BROKEN',
        `audit entry ${result.firstBad.seq} does not check out: ${result.firstBad.reason}`,
        { hint: 'The trail was altered outside clawops. Keep the file as evidence.', details: result },
      )
    }
    return result
  }

  protected render(r: VerifyResult): string {
    return `Audit chain intact: ${r.entries} entries${r.head ? `, head ${r.head.seq} ${r.head.hash.slice(0, 16)}…` : ''}.\n`
  }
}
