/**
 * Tables for humans: cli-table3 boxes on a terminal; tab-separated lines without truncation when
 * stdout is a pipe, so `clawops instance list | cut -f1` works (the gh convention).
 */
import Table from 'cli-table3'

export interface Column<R> {
  header: string
  get: (row: R) => string | number | null | undefined
  /** Only shown with `-o wide`. */
  wide?: boolean
}

export interface TableOptions {
  wide?: boolean
  tty?: boolean
}

export function renderTable<R>(
  columns: readonly Column<R>[],
  rows: readonly R[],
  opts: TableOptions = {},
): string {
  const cols = columns.filter((c) => opts.wide || !c.wide)
  const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v))
  const tty = opts.tty ?? process.stdout.isTTY === true
  if (!tty) {
    const lines = [cols.map((c) => c.header.toUpperCase()).join('\t')]
    for (const r of rows) lines.push(cols.map((c) => cell(c.get(r)).replaceAll('\t', ' ')).join('\t'))
    return `${lines.join('\n')}\n`
  }
  const t = new Table({ head: cols.map((c) => c.header), style: { head: [], border: [] } })
  for (const r of rows) t.push(cols.map((c) => cell(c.get(r))))
  return `${t.toString()}\n`
}

/** A two-column key/value block, for `show` commands. */
export function renderFields(
  fields: readonly [string, string | number | null | undefined][],
  opts: TableOptions = {},
): string {
  const tty = opts.tty ?? process.stdout.isTTY === true
  const width = Math.max(...fields.map(([k]) => k.length))
  return `${fields
    .map(([k, v]) => (tty ? `${k.padEnd(width)}  ${v ?? '-'}` : `${k}\t${v ?? ''}`))
    .join('\n')}\n`
}
