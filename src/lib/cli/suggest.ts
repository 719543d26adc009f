/**
 * "Did you mean": the candidate nearest to what was typed, by edit distance, when it is close enough
 * to be a typo (the same rule for commands, flags and option values).
 */
import { distance } from 'fastest-levenshtein'

export function nearest(typed: string, candidates: Iterable<string>): string | undefined {
  const t = typed.toLowerCase()
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = distance(t, c.toLowerCase())
    if (d < bestD) {
      best = c
      bestD = d
    }
  }
  // A typo changes a few characters; anything further is another word, not a suggestion.
  const allowed = Math.max(2, Math.floor(t.length / 3))
  return best !== undefined && best !== typed && bestD <= allowed ? best : undefined
}
