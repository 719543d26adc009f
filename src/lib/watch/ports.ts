/**
 * The seams between watch and the outside world beyond what the Context hands out (node commands,
 * status pages): presence, the hooks endpoint, the transcript verifier, the Ledger's numbers and the
 * operator's alerts. Everything here is small on purpose: tests drive the whole monitor with
 * in-process fakes that follow the documented wire shapes, and `wiring.ts` builds the real ones.
 */

export interface PresenceChange {
  instanceId: string
  nodeId: string | null
  state: 'connected' | 'disconnected'
  at: Date
}

/**
 * Node connect/disconnect as the gateway sees it (its `presence` events and `node.list`). `link`
 * reports watch's own connection to the gateway: while it is down, absence of presence means nothing.
 */
export interface PresenceSource {
  start(handlers: { change(c: PresenceChange): void; link(up: boolean): void }): Promise<void>
  stop(): Promise<void>
}

/** A period whose spend runs more than the threshold over its projection (the Ledger's numbers). */
export interface CostAnomalyFact {
  period: string
  periodStart: string
  actualUsdCents: number
  projectedUsdCents: number
  overPct: number
  thresholdPct: number
  severity: 'warning' | 'high'
  detail?: Record<string, unknown>
}

export interface CostSource {
  /** Anomalies as of `now`; `thresholdPct` null means the Ledger's own threshold. */
  anomalies(now: Date, thresholdPct: number | null): Promise<CostAnomalyFact[]>
}

/** The provider health score over days (the Ledger's: provisioning, incidents, instance health). */
export interface ProviderScoreFact {
  provider: string
  score: number | null
  detail?: Record<string, unknown>
}

export interface ProviderScoreSource {
  scores(now: Date): Promise<ProviderScoreFact[]>
}

/**
 * Answers "did the gateway already run this delivery?" from the session transcript, for the one case
 * the gateway's own idempotency replay cannot cover: the gateway restarted between our POST and our
 * marking it delivered. `null` means it cannot tell.
 */
export interface DeliveryVerifier {
  wasDelivered(d: { agentId: string; sessionKey: string; deliveryId: string }): Promise<boolean | null>
}

export interface HooksEndpoint {
  url: string
  token: string
}

/**
 * The operator's real-time alerts (PRD 9.2: unrecoverable failures, provisioning failures, cost
 * anomalies), sent through the gateway's channels by the Briefer's alert pass (src/lib/brief/alerts.ts).
 * It reads the events watch recorded, so the monitor only has to run it after each delivery drain.
 */
export interface OperatorAlertsPort {
  deliverDue(): Promise<{ sent: number; queued: number; skipped: number; failed: { reason: string }[] }>
}

/**
 * What the monitor needs from outside beyond the Context's own parts (node commands, status pages,
 * sleep); `close` releases connections.
 */
export interface WatchDeps {
  presence: PresenceSource | null
  cost: CostSource | null
  providerScores: ProviderScoreSource | null
  hooks: HooksEndpoint | null
  verifier: DeliveryVerifier | null
  /** Absent or null: no operator alerts (not configured, or a test). */
  operatorAlerts?: OperatorAlertsPort | null
  close(): Promise<void>
}
