/**
 * Does a silence cover an event? Every matcher a silence sets must equal the event's field. A
 * critical event (a pair with no working gateway) is only silenced by a silence that names its event
 * type: silencing "Nuremberg health alerts" must not hide users left without a gateway.
 *
 * A silence is scoped when it names a provider, a region or an instance: it then hides the events of
 * the users with an instance there. One that names only an event type hides that type for the whole
 * fleet (safety rule 5 counts every user; agents may not create one).
 */
import type { Silence } from '../store/silences.js'

export type SilenceScope = Pick<Silence, 'provider' | 'region' | 'instanceId'>

export function silenceScoped(s: SilenceScope): boolean {
  return s.provider !== null || s.region !== null || s.instanceId !== null
}

export interface SilenceSubject {
  type: string
  severity: string
  provider: string | null
  region: string | null
  instanceId: string | null
}

export function silenceCovers(s: Silence, e: SilenceSubject): boolean {
  if (s.eventType !== null && s.eventType !== e.type) return false
  if (s.provider !== null && s.provider !== e.provider) return false
  if (s.region !== null && s.region !== e.region) return false
  if (s.instanceId !== null && s.instanceId !== e.instanceId) return false
  if (e.severity === 'critical' && s.eventType === null) return false
  return true
}

export function matchingSilence(silences: readonly Silence[], e: SilenceSubject): Silence | undefined {
  return silences.find((s) => silenceCovers(s, e))
}
