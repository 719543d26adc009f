/**
 * The health score (0–100) of one instance from one probe. It starts at 100 and loses points for
 * what is wrong, so each deduction is a readable reason:
 * - OpenClaw (the user's gateway): not answering /healthz −60; live but not ready −25.
 * - The host (vps.health): unreachable −30; each reported problem (disk/memory ≥ 90 %, load) −10, at
 *   most −30. vps.metrics: CPU busy ≥ 90 % −10.
 * - Heartbeat: older than 60 s loses up to 40 points, linearly, reaching −40 at 3 minutes.
 * So a healthy instance scores 100; a dead OpenClaw on a fine host 40 (DEGRADED, below 50); an
 * unreachable node at most 10; a loaded host with a working gateway 60–90.
 */
import type { Probe } from './probe.js'

export interface Score {
  score: number
  reasons: string[]
}

const HEARTBEAT_GRACE_S = 60
const HEARTBEAT_FULL_S = 180

export function scoreProbe(p: Probe): Score {
  let score = 100
  const reasons: string[] = []
  const lose = (points: number, why: string) => {
    if (points <= 0) return
    score -= points
    reasons.push(`${why} (−${Math.round(points)})`)
  }
  if (!p.openclaw) lose(60, 'openclaw.health unavailable')
  else if (!p.openclaw.live) lose(60, 'OpenClaw not answering /healthz')
  else if (!p.openclaw.ready) lose(25, 'OpenClaw live but not ready')

  if (!p.vps) lose(30, 'vps.health unavailable')
  else if (p.vps.problems.length > 0) lose(10 * Math.min(3, p.vps.problems.length), p.vps.problems.join(', '))
  if (p.metrics?.cpuBusyPct != null && p.metrics.cpuBusyPct >= 90)
    lose(10, `CPU ${p.metrics.cpuBusyPct}% busy`)

  if (p.heartbeatAgeS !== null && p.heartbeatAgeS > HEARTBEAT_GRACE_S) {
    const share = Math.min(1, (p.heartbeatAgeS - HEARTBEAT_GRACE_S) / (HEARTBEAT_FULL_S - HEARTBEAT_GRACE_S))
    lose(40 * share, `heartbeat ${Math.round(p.heartbeatAgeS)} s old`)
  }
  return { score: Math.max(0, Math.min(100, Math.round(score))), reasons }
}
