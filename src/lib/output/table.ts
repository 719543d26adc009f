/**
 * Tables for humans: on a terminal, aligned columns under a bold header, no box (the kubectl and gh
 * look: a box costs three characters a column and doubles as noise), text columns wrapped to the
 * terminal's width; tab-separated lines without truncation when stdout is a pipe, so
 * `clawops instance list | cut -f1` works (the gh convention).
 */
import { stripVTControlCharacters } from 'node:util'
import Table from 'cli-table3'
import { paint } from './style.js'

const stringWidth = (s: string) => stripVTControlCharacters(s).length

export interface Column<R> {
  header: string
  get: (row: R) => string | number | null | undefined
  /** Only shown with `-o wide`. */
  wide?: boolean
}

export interface TableOptions {
  wide?: boolean
  tty?: boolean
  /** The terminal's width (default: stdout's, else 80); a wider table wraps its text columns. */
  columns?: number
}

/** Spaces between two columns. */
const GAP = 2

/**
 * Column widths that fit `limit` characters, or undefined when the table fits as it is. Only columns
 * of text give way (widest first), each down to its longest word: an id or a number is never cut, so a
 * table of ids alone may stay wider than the terminal (which then wraps it) rather than lie.
 */
export function fitWidths(
  natural: readonly number[],
  minimum: readonly number[],
  limit: number,
): number[] | undefined {
  const total = (ws: readonly number[]) => ws.reduce((a, b) => a + b, 0) + GAP * (ws.length - 1)
  if (total(natural) <= limit) return undefined
  const widths = [...natural]
  while (total(widths) > limit) {
    const candidates = widths.map((w, i) => (w > minimum[i]! ? w : -1))
    const widest = Math.max(...candidates)
    if (widest < 0) break
    const i = candidates.indexOf(widest)
    const next = Math.max(minimum[i]!, ...candidates.filter((w, j) => j !== i && w < widest))
    widths[i] = Math.max(next, widest - (total(widths) - limit))
  }
  return widths
}

const NO_BOX = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: ' '.repeat(GAP),
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
  const head = cols.map((c) => c.header.toUpperCase())
  const body = rows.map((r) => cols.map((c) => cell(c.get(r))))
  const widest = (texts: string[]) => Math.max(0, ...texts.map(stringWidth))
  const natural = head.map((h, i) => widest([h, ...body.flatMap((r) => r[i]!.split('\n'))]))
  const minimum = head.map((h, i) => widest([h, ...body.flatMap((r) => r[i]!.split(/\s+/))]))
  const colWidths = fitWidths(natural, minimum, opts.columns || process.stdout.columns || 80)
  const t = new Table({
    head: head.map((h) => paint('bold', h)),
    chars: NO_BOX,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  })
  for (const r of body) t.push(r)
  return `${t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')}\n`
}

/** A two-column key/value block, for `show` commands. */
export function renderFields(
  fields: readonly [string, string | number | null | undefined][],
  opts: TableOptions = {},
): string {
  const tty = opts.tty ?? process.stdout.isTTY === true
  if (!tty) return `${fields.map(([k, v]) => `${k}\t${v ?? ''}`).join('\n')}\n`
  const width = Math.max(...fields.map(([k]) => k.length))
  const room = Math.max(20, (opts.columns || process.stdout.columns || 80) - width - 2)
  const indent = ' '.repeat(width + 2)
  return `${fields
    .map(([k, v]) => `${k.padEnd(width)}  ${wrap(String(v ?? '-'), room).join(`\n${indent}`)}`)
    .join('\n')}\n`
}

/** Breaks a line at spaces so that no piece is wider than `room` (a longer word stays whole). */
export function wrap(text: string, room: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`
    if (stringWidth(next) > room && line !== '') {
      lines.push(line)
      line = word
    } else line = next
  }
  lines.push(line)
  return lines
}
