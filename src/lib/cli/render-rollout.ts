/** Human rendering of rollouts, plans and versions for the `config` commands (JSON mode never uses it). */

import { type DocChange, formatDocChange } from '../config-push/doc-change.js'
import type { PlanPreview } from '../config-push/push.js'
import type { RolloutView } from '../config-push/view.js'
import type { Change } from '../gateway/config-diff.js'
import { paintState } from '../output/style.js'
import { renderTable } from '../output/table.js'

const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v))

export function formatChange(c: Change): string {
  if (c.op === 'add') return `${c.path}: (absent) → ${show(c.after)}`
  if (c.op === 'remove') return `${c.path}: ${show(c.before)} → (removed)`
  return `${c.path}: ${show(c.before)} → ${show(c.after)}`
}

function diffLines(groups: readonly { instances: number; changes: Change[] }[], noun: string): string[] {
  return groups.flatMap((g) => [
    `  ${g.instances} ${noun}${g.instances === 1 ? '' : 's'}:`,
    ...g.changes.map((c) => `    ${formatChange(c)}`),
  ])
}

export function renderDocChanges(changes: readonly DocChange[]): string[] {
  return changes.map((c) => `  ${formatDocChange(c)}`)
}

export function renderPreview(p: PlanPreview): string {
  const lines = [
    `Plan: ${p.summary}`,
    `Policy: ${p.policy.decision}${p.policy.findings.map((f) => `\n  - ${f.rule}: ${f.message}`).join('')}`,
    'Change:',
    ...renderDocChanges(p.changes),
  ]
  if (p.sample?.diffs.length)
    lines.push(
      `On ${p.sample.instances.length} instances of the first batch:`,
      ...diffLines(p.sample.diffs, 'instance'),
    )
  for (const x of p.sample?.problems ?? []) lines.push(`  ${x.instanceId}: ${x.problem}`)
  lines.push(
    `Batches: ${p.batches.length} (≤${p.settings.batchSize} each${p.settings.canary ? `, canary ${p.settings.canary}` : ''}), pause ${p.settings.pauseSeconds}s, halt above ${p.settings.maxFailures} failed, restart ${p.settings.restart}`,
  )
  if (p.notPushable)
    lines.push(`Not pushed: ${p.notPushable} selected instance(s) whose state takes no config`)
  return `${lines.join('\n')}\n${renderBatches(p.batches)}`
}

export function renderRollout(v: RolloutView, opts: { all?: boolean } = {}): string {
  const c = v.counts
  const tally =
    v.kind === 'push'
      ? `${c.applied} applied, ${c.failed} failed, ${c.skipped} skipped, ${c.unchanged} unchanged${c.pending + c.inFlight ? `, ${c.pending + c.inFlight} to go` : ''}${c.reverted ? `, ${c.reverted} rolled back` : ''}`
      : `${c.reverted} reverted, ${c.failed} not reverted, ${c.skipped} left alone${c.pending ? `, ${c.pending} to go` : ''}`
  const lines = [
    `Rollout ${v.rolloutId} (config v${v.version}, ${v.kind}${v.reverts ? ` of ${v.reverts}` : ''}): ${paintState(v.status)} — ${tally}`,
    `${c.total} instances of ${v.users} users; batch ${v.batches.current}/${v.batches.total}`,
  ]
  if (v.reason) lines.push(`Reason: ${v.reason}`)
  if (v.rolledBackBy.length) lines.push(`Rolled back by: ${v.rolledBackBy.join(', ')}`)
  if (v.diff.applied.length) lines.push('Applied:', ...diffLines(v.diff.applied, 'instance'))
  else if (v.diff.document) lines.push('Change:', ...renderDocChanges(v.diff.document))
  let out = `${lines.join('\n')}\n`
  if (v.batches.list.length > 1) {
    out += renderTable(
      [
        { header: 'Batch', get: (b) => b.batch },
        { header: 'Size', get: (b) => b.size },
        { header: 'Applied', get: (b) => b.applied },
        { header: 'Failed', get: (b) => b.failed },
        { header: 'Skipped', get: (b) => b.skipped },
        { header: 'Unchanged', get: (b) => b.unchanged },
        { header: 'To go', get: (b) => b.pending },
      ],
      v.batches.list,
    )
  }
  const rows = opts.all
    ? v.instances
    : v.instances.filter(
        (i) =>
          i.outcome === 'failed' || i.outcome === 'skipped' || i.revert === 'failed' || i.state === 'pushing',
      )
  if (rows.length) {
    out += renderTable(
      [
        { header: 'Instance', get: (i) => i.instanceId },
        { header: 'Role', get: (i) => i.role },
        { header: 'Batch', get: (i) => i.batch },
        { header: 'Outcome', get: (i) => paintState(i.outcome ?? i.state) },
        { header: 'Reason', get: (i) => i.reason },
        { header: 'Rollback', get: (i) => i.revert },
        { header: 'Detail', get: (i) => i.revertDetail ?? i.detail },
      ],
      rows,
    )
  }
  if (v.flagged.length) out += `Flagged for manual review: ${v.flagged.join(', ')}\n`
  if (v.next.length) out += `Next: ${v.next.join('  |  ')}\n`
  return out
}

/**
 * Runs a rollout command; when it fails with a rollout in the error's details (halted, partial), a
 * human still gets the rollout's table on stdout before the error line on stderr.
 */
export async function showRolloutOnError<T>(json: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const rollout = (err as { details?: { rollout?: RolloutView } }).details?.rollout
    if (!json && rollout) process.stdout.write(renderRollout(rollout))
    throw err
  }
}

/** A planned rollout's batches (config push, upgrade), one row each. */
export function renderBatches(
  batches: readonly { batch: number; canary: boolean; size: number; standbys: number; primaries: number }[],
): string {
  return renderTable(
    [
      { header: 'Batch', get: (b) => `${b.batch}${b.canary ? ' (canary)' : ''}` },
      { header: 'Instances', get: (b) => b.size },
      { header: 'Standbys', get: (b) => b.standbys },
      { header: 'Primaries', get: (b) => b.primaries },
    ],
    batches,
  )
}
