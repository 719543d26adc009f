/**
 * Long lists, one way everywhere: a default page size, `--limit N`, `--all`; JSON carries `total` and
 * `truncated` next to the rows; people get a footer "showing 50 of 3,403 instances (use --limit N or
 * --all)" under the table on a terminal, or on stderr when the table goes into a pipe (so `| cut -f1`
 * reads rows only).
 */

export interface PageFlags {
  limit?: number
  all?: boolean
}

export interface PageInfo {
  total: number
  truncated: boolean
}

/** The number of rows to show: everything with --all, else --limit, else the command's default. */
export function pageSize(flags: PageFlags, fallback: number | undefined): number | undefined {
  return flags.all ? undefined : (flags.limit ?? fallback)
}

export function takePage<T>(rows: readonly T[], size: number | undefined): { rows: T[] } & PageInfo {
  const shown = size === undefined ? [...rows] : rows.slice(0, size)
  return { rows: shown, total: rows.length, truncated: shown.length < rows.length }
}

const n = (v: number) => v.toLocaleString('en-US')

/** The footer line, or '' when everything is shown. */
export function pageFooter(shown: number, total: number, noun: string): string {
  if (shown >= total) return ''
  return `showing ${n(shown)} of ${n(total)} ${noun} (use --limit N or --all)`
}
