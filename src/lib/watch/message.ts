/**
 * The text an agent receives for a delivery: a header naming the delivery (the marker the delivery
 * verifier looks for in the session transcript), one line per event, the suggested next commands,
 * and the events as JSON for exact values. Built once when the delivery is created and stored, so a
 * retry sends the same bytes and the gateway's idempotency replay recognises it.
 */
import type { FleetEvent } from '../domain/event.js'
import type { EventPayload } from '../events/emit.js'

/** Bodies stay well under the gateway's limit even for a full batch. */
const MAX_JSON_CHARS = 24_000

export function deliveryMarker(deliveryId: string): string {
  return `clawops-delivery ${deliveryId}`
}

export function composeMessage(target: string, deliveryId: string, events: readonly FleetEvent[]): string {
  const lines = [
    `[${deliveryMarker(deliveryId)}] clawops watch → ${target}: ${events.length} event${events.length === 1 ? '' : 's'}`,
    'These are facts from the fleet monitor. Act within your role; every command below answers with JSON.',
    '',
  ]
  events.forEach((e, n) => {
    const p = e.payload as EventPayload
    lines.push(`${n + 1}. [${e.severity.toUpperCase()}] ${e.type}: ${p.summary}`)
    for (const s of p.suggest ?? []) lines.push(`   next: ${s}`)
  })
  let json = JSON.stringify(
    events.map((e) => ({
      id: e.id,
      type: e.type,
      severity: e.severity,
      at: e.createdAt,
      instanceId: e.instanceId,
      pairId: e.pairId,
      provider: e.provider,
      region: e.region,
      data: (e.payload as EventPayload).data,
    })),
  )
  if (json.length > MAX_JSON_CHARS)
    json = `${json.slice(0, MAX_JSON_CHARS)}… (truncated; see clawops incident list)`
  lines.push('', 'Events as JSON:', json)
  return lines.join('\n')
}
