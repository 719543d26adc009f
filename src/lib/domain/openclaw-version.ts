/**
 * OpenClaw's date-style versions (2026.9.6), as its releases name them: `YYYY.M.D` is a stable
 * release; `YYYY.M.D-N` is a date-stamped correction of it (stable, and newer: 2026.5.3-1 follows
 * 2026.5.3); `YYYY.M.D-beta.N` (or alpha, rc) is a prerelease before it. A leading `v` is accepted.
 * Semver ordering gets corrections backwards (it reads `-1` as a prerelease), so they are compared
 * here. Anything else (an image tag like `2026.8.1-r20260820`, `latest`, a build id) is not a
 * version: callers treat it as unknown, never as older or newer.
 */

export interface OpenclawVersion {
  year: number
  month: number
  day: number
  /** A prerelease channel (alpha < beta < rc), or null for a stable release or a correction. */
  pre: { channel: 'alpha' | 'beta' | 'rc'; n: number } | null
  /** The correction number (2026.5.3-1 → 1), 0 for the release itself. */
  correction: number
  /** Canonical text: no leading `v`. */
  text: string
}

const VERSION_RE = /^v?(\d{4})\.(\d{1,2})\.(\d{1,2})(?:-(\d{1,4})|-(alpha|beta|rc)(?:\.(\d{1,4}))?)?$/

const CHANNEL_RANK = { alpha: 0, beta: 1, rc: 2 } as const

/** The version, or null when `raw` is not an OpenClaw date-style version. */
export function parseOpenclawVersion(raw: string | null | undefined): OpenclawVersion | null {
  if (typeof raw !== 'string') return null
  const m = VERSION_RE.exec(raw.trim())
  if (!m) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (year < 2000 || month < 1 || month > 12 || day < 1 || day > 31) return null
  return {
    year,
    month,
    day,
    pre: m[5]
      ? { channel: m[5] as keyof typeof CHANNEL_RANK, n: m[6] === undefined ? 0 : Number(m[6]) }
      : null,
    correction: m[4] === undefined ? 0 : Number(m[4]),
    text: raw.trim().replace(/^v/, ''),
  }
}

/** -1, 0 or 1 as `a` is older than, the same release as, or newer than `b`. */
export function compareOpenclawVersions(a: OpenclawVersion, b: OpenclawVersion): -1 | 0 | 1 {
  const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0)
  const date = sign(a.year - b.year) || sign(a.month - b.month) || sign(a.day - b.day)
  if (date) return date
  // Same day: prereleases come before the release, corrections after it.
  if (a.pre && !b.pre) return -1
  if (!a.pre && b.pre) return 1
  if (a.pre && b.pre)
    return sign(CHANNEL_RANK[a.pre.channel] - CHANNEL_RANK[b.pre.channel]) || sign(a.pre.n - b.pre.n)
  return sign(a.correction - b.correction)
}

/**
 * Where `current` stands against `target`: behind, at, ahead, or unknown when either does not parse
 * (an unknown version is never taken for one that is up to date).
 */
export type VersionSkew = 'behind' | 'at' | 'ahead' | 'unknown'

export function skewOf(current: string | null | undefined, target: string | null | undefined): VersionSkew {
  const c = parseOpenclawVersion(current)
  const t = parseOpenclawVersion(target)
  if (!c || !t) return 'unknown'
  const d = compareOpenclawVersions(c, t)
  return d < 0 ? 'behind' : d > 0 ? 'ahead' : 'at'
}

/**
 * The version in a line OpenClaw prints for `openclaw --version` ("OpenClaw 2026.9.6 (eb377ac)"), or
 * null when the line names none.
 */
export function versionFromBanner(line: string): string | null {
  for (const word of line.trim().split(/\s+/)) {
    const v = parseOpenclawVersion(word)
    if (v) return v.text
  }
  return null
}
