/** Human rendering of upgrade rollouts, their plans and the fleet's versions (JSON mode never uses it). */

import { paintState } from '../output/style.js'
import { renderTable } from '../output/table.js'
import type { UpgradePreview } from '../upgrades/upgrade.js'
import type { VersionsView } from '../upgrades/versions.js'
import type { UpgradeView } from '../upgrades/view.js'
import { renderBatches } from './render-rollout.js'

const noun = (v: Pick<UpgradeView, 'kind'>) => (v.kind === 'clawnode' ? 'gf-clawnode' : 'OpenClaw')

export function renderUpgradePreview(p: UpgradePreview): string {
  const from = p.from.map((g) => `${g.version} ×${g.instances}`)
  if (p.unknownVersions) from.push(`not known yet ×${p.unknownVersions}`)
  const lines = [
    `Plan: ${p.summary}`,
    `Policy: ${p.policy.decision}${p.policy.findings.map((f) => `\n  - ${f.rule}: ${f.message}`).join('')}`,
    `Release: ${p.target} (${p.release.path}, sha256 ${p.release.sha256.slice(0, 16)}…, ${p.release.size} bytes)`,
    `From: ${from.join(', ') || 'nothing'}${p.alreadyAtTarget ? `; ${p.alreadyAtTarget} already on ${p.target}` : ''}${p.notUpgradable ? `; ${p.notUpgradable} selected not ACTIVE or DEGRADED` : ''}`,
    `Batches: ${p.batches.length} (≤${p.settings.batchSize} each${p.settings.canary ? `, canary ${p.settings.canary}` : ''}), pause ${p.settings.pauseSeconds}s, halt above ${p.settings.maxFailures} failed`,
  ]
  return `${lines.join('\n')}\n${renderBatches(p.batches)}`
}

export function renderUpgrade(v: UpgradeView, opts: { all?: boolean } = {}): string {
  const c = v.counts
  const tally =
    v.kind === 'rollback'
      ? `${c.reverted} reverted, ${c.failed} not reverted, ${c.skipped} left alone${c.pending ? `, ${c.pending} to go` : ''}`
      : `${c.upgraded} upgraded, ${c.failed} failed, ${c.blocked} blocked, ${c.skipped} skipped, ${c.unchanged} unchanged${c.pending + c.inFlight ? `, ${c.pending + c.inFlight} to go` : ''}${c.reverted ? `, ${c.reverted} rolled back` : ''}`
  const lines = [
    `Rollout ${v.rolloutId} (${v.kind === 'rollback' ? `rollback of ${v.reverts}` : `${noun(v)} ${v.target}`}): ${paintState(v.status)} — ${tally}`,
    `${c.total} instances of ${v.users} users; batch ${v.batches.current}/${v.batches.total}${v.timing.medianMs !== null ? `; per instance ${Math.round(v.timing.medianMs / 100) / 10}s median, ${Math.round((v.timing.maxMs ?? 0) / 100) / 10}s slowest` : ''}`,
  ]
  if (v.reason) lines.push(`Reason: ${v.reason}`)
  if (v.rolledBackBy.length) lines.push(`Rolled back by: ${v.rolledBackBy.join(', ')}`)
  let out = `${lines.join('\n')}\n`
  if (v.batches.list.length > 1) {
    out += renderTable(
      [
        { header: 'Batch', get: (b) => `${b.batch}${b.canary ? ' (canary)' : ''}` },
        { header: 'Size', get: (b) => b.size },
        { header: 'Upgraded', get: (b) => b.upgraded },
        { header: 'Failed', get: (b) => b.failed },
        { header: 'Blocked', get: (b) => b.blocked },
        { header: 'To go', get: (b) => b.pending },
      ],
      v.batches.list,
    )
  }
  const rows = opts.all
    ? v.instances
    : v.instances.filter(
        (i) =>
          i.outcome === 'failed' ||
          i.outcome === 'blocked' ||
          i.state === 'upgrading' ||
          i.revert === 'failed',
      )
  if (rows.length) {
    out += renderTable(
      [
        { header: 'Instance', get: (i) => i.instanceId },
        { header: 'Role', get: (i) => i.role },
        { header: 'Batch', get: (i) => i.batch },
        { header: 'Outcome', get: (i) => paintState(i.outcome ?? i.state) },
        { header: 'From', get: (i) => i.from },
        { header: 'Now', get: (i) => i.version },
        { header: 'Reason', get: (i) => i.reason },
        {
          header: 'Put back',
          get: (i) => (i.rolledBack ? (i.stateIntact ? 'yes, state intact' : 'yes') : i.revert),
        },
        { header: 'Detail', get: (i) => i.revertDetail ?? i.detail },
      ],
      rows,
    )
  }
  if (v.flagged.length) out += `Flagged (version does not parse; left as they are): ${v.flagged.join(', ')}\n`
  if (v.next.length) out += `Next: ${v.next.join('  |  ')}\n`
  return out
}

export function renderVersions(v: VersionsView, opts: { all?: boolean } = {}): string {
  const lines = [
    `Target: OpenClaw ${v.target.openclaw ?? '(none)'}, gf-clawnode ${v.target.clawnode ?? '(none)'} (from ${v.target.source})`,
    `OpenClaw on ${v.instances} instances: ${v.openclaw.skew.at} at target, ${v.openclaw.skew.behind} behind, ${v.openclaw.skew.ahead} ahead, ${v.openclaw.skew.unknown} unknown`,
    `gf-clawnode: ${v.clawnode.skew.at} at target, ${v.clawnode.skew.behind} behind, ${v.clawnode.skew.ahead} ahead, ${v.clawnode.skew.unknown} unknown`,
  ]
  if (v.stale.length) lines.push(`Not answering (last known versions shown): ${v.stale.length}`)
  let out = `${lines.join('\n')}\n`
  const groups = (g: VersionsView['openclaw']['groups'], what: string) =>
    renderTable(
      [
        { header: what, get: (x) => x.version ?? 'unknown' },
        { header: 'Instances', get: (x) => x.instances },
        { header: 'Users', get: (x) => x.users },
        { header: 'Skew', get: (x) => x.skew },
      ],
      g,
    )
  out += groups(v.openclaw.groups, 'OpenClaw')
  out += groups(v.clawnode.groups, 'gf-clawnode')
  const rows = opts.all ? v.list : v.list.filter((l) => l.skew !== 'at' || l.clawnodeSkew !== 'at' || l.stale)
  if (rows.length)
    out += renderTable(
      [
        { header: 'Instance', get: (l) => l.instanceId },
        { header: 'Role', get: (l) => l.role },
        { header: 'State', get: (l) => paintState(l.state) },
        { header: 'OpenClaw', get: (l) => l.openclaw ?? 'unknown' },
        { header: 'gf-clawnode', get: (l) => l.clawnode ?? 'unknown' },
        { header: 'Stale', get: (l) => (l.stale ? 'yes' : '') },
      ],
      rows,
    )
  return out
}

/** Like showRolloutOnError: a human still gets the rollout's table before the error line. */
export async function showUpgradeOnError<T>(json: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const rollout = (err as { details?: { rollout?: UpgradeView } }).details?.rollout
    if (!json && rollout) process.stdout.write(renderUpgrade(rollout))
    throw err
  }
}
