/**
 * The incident log as agent memory: one Markdown file per day in the Briefer's workspace,
 * `memory/YYYY-MM-DD-incident-log.md`. OpenClaw reads dated notes and their slugged variants
 * (`memory/YYYY-MM-DD-<slug>.md`) alike and indexes them for memory_search; the slug keeps clawops
 * out of the agent's own `memory/YYYY-MM-DD.md`, which it writes itself. Files are rewritten whole
 * (write to a temp file, then rename) from the store, so running it again changes nothing.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BrieferLog, type LogEntry } from '../store/briefer-log.js'
import type { Store } from '../store/store.js'
import { PATTERN_WINDOW_DAYS, patternsFor, placeOf } from './incident-log.js'
import { duration } from './words.js'

const DAY = 86_400_000
export const MEMORY_SLUG = 'incident-log'

export interface MemoryWriteResult {
  workspace: string
  /** Paths relative to the workspace, one per day with entries. */
  files: string[]
  entries: number
  /** Files whose content changed. */
  changed: number
}

function line(e: LogEntry, pattern: string | undefined): string {
  const place = placeOf(e)
  const where = place ? ` ${place}${e.region ? ` (${e.provider}/${e.region})` : ''}:` : ':'
  const d = e.detail as Record<string, unknown>
  const extra: string[] = []
  if (e.kind === 'incident') {
    extra.push(
      typeof d.minutes === 'number'
        ? `Resolved after ${duration(d.minutes)}.`
        : `Still ${String(d.status ?? 'open')}.`,
    )
    if (typeof d.rootCause === 'string') extra.push(`Root cause: ${d.rootCause}.`)
  }
  if (e.kind === 'failovers') extra.push(`${d.complete} complete, ${d.failed} failed.`)
  if (e.kind === 'provision-failures' && Array.isArray(d.errorCodes) && d.errorCodes.length)
    extra.push(`Errors: ${d.errorCodes.join(', ')}; up to ${d.maxAttempts} attempts.`)
  if (pattern) extra.push(`${pattern[0]!.toUpperCase()}${pattern.slice(1)}.`)
  const title = e.title.replace(/\s+/g, ' ').trim()
  return `- ${e.at.slice(11, 16)} UTC, ${e.kind}${where} ${title}${/[.!?]$/.test(title) ? '' : '.'}${extra.length ? ` ${extra.join(' ')}` : ''}`
}

/** The Markdown of one day's file. */
export function renderMemoryDay(
  day: string,
  entries: readonly LogEntry[],
  patterns: Map<string, string>,
): string {
  return [
    `# Incident log, ${day}`,
    '',
    `The Briefer's incident log for ${day} (UTC), kept by \`clawops brief\` from the fleet store and rewritten on every briefing. Patterns count the same kind of event in the same place over ${PATTERN_WINDOW_DAYS} days. Your own notes belong in memory/${day}.md.`,
    '',
    ...entries.map((e) => line(e, patterns.get(e.id))),
    '',
  ].join('\n')
}

function writeIfChanged(path: string, content: string): boolean {
  try {
    if (readFileSync(path, 'utf8') === content) return false
  } catch {
    // absent: write it
  }
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, content, { mode: 0o644 })
  renameSync(tmp, path)
  return true
}

/**
 * Writes the incident log of [since, until) into `workspace/memory/`, one file per day with entries.
 * For `clawops agents install` and every briefing run with a workspace: pass the Briefer's workspace
 * directory (it is created if missing).
 */
export function writeIncidentMemory(
  store: Store,
  workspace: string,
  o: { since?: string; until: string } = { until: new Date().toISOString() },
): MemoryWriteResult {
  const since = o.since ?? new Date(Date.parse(o.until) - PATTERN_WINDOW_DAYS * DAY).toISOString()
  const entries = store.repo(BrieferLog).between(since, o.until)
  const patterns = new Map(patternsFor(store, entries).map((p) => [p.entryId, p.text]))
  const dir = join(workspace, 'memory')
  mkdirSync(dir, { recursive: true })
  const byDay = new Map<string, LogEntry[]>()
  for (const e of entries) byDay.set(e.at.slice(0, 10), [...(byDay.get(e.at.slice(0, 10)) ?? []), e])
  const files: string[] = []
  let changed = 0
  for (const [day, list] of [...byDay].sort((a, b) => a[0].localeCompare(b[0]))) {
    const rel = join('memory', `${day}-${MEMORY_SLUG}.md`)
    if (writeIfChanged(join(workspace, rel), renderMemoryDay(day, list, patterns))) changed++
    files.push(rel)
  }
  return { workspace, files, entries: entries.length, changed }
}
