/**
 * Client-side idempotency. No provider accepts an idempotency key on create, so every server gets a
 * deterministic name and the creating operation's id (label `clawops/op`, or a tag). A resumed run
 * looks servers up by op id before creating. Providers without labels (Contabo, Hostinger) carry a
 * short hash of the op id at the end of the name instead (see opMarker).
 */
import { createHash } from 'node:crypto'
import { LABEL_VALUE, type Labels, LabelsSchema } from '../domain/labels.js'
import { UserError } from '../errors.js'

export const OP_LABEL = 'clawops/op'
/** The label (Hetzner) a snapshot's name travels in, so a resumed run finds the snapshot it took. */
export const SNAPSHOT_LABEL = 'clawops/snapshot'

/** 10 hex chars of SHA-256: short enough for hostnames, 40 bits against collisions inside a fleet. */
export function shortOpId(opId: string): string {
  return createHash('sha256').update(opId).digest('hex').slice(0, 10)
}

/** The suffix label-less providers need in a server name to find it by op id. */
export function opMarker(opId: string): string {
  return `-${shortOpId(opId)}`
}

export interface ServerNameParts {
  fleet: string
  pair: string
  role: 'primary' | 'standby'
  opId: string
  /** The try this server is for (a server that never booted is replaced by a new one): 1 by default. */
  attempt?: number
}

/**
 * `claw-<fleet>-<pair>-<role>[<attempt>]-<shortOpId>`, lower-case, a valid hostname label set (≤ 63
 * chars). Each try has its own name, so a resumed try adopts its own server and never an earlier one.
 * Too long, the fleet is cut before the pair: on a provider without labels the pair part is how a
 * server whose row was never written is found again (lifecycle/resize.ts), so it stays whole.
 */
export function serverName(p: ServerNameParts): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
  const tail = `-${p.role}${(p.attempt ?? 1) > 1 ? p.attempt : ''}${opMarker(p.opId)}`
  const pair = clean(p.pair)
  const fleet = clean(p.fleet)
    .slice(0, Math.max(0, 63 - tail.length - 'claw--'.length - pair.length))
    .replace(/-+$/, '')
  const head = `claw-${fleet ? `${fleet}-` : ''}${pair}`.slice(0, 63 - tail.length).replace(/-+$/, '')
  return head + tail
}

/**
 * A snapshot's name for one operation and instance: `clawops-<12 hex>`, short and plain enough for
 * every provider (Contabo allows letters, digits, colons, dashes and underscores, 30 in its panel).
 */
export function snapshotName(opId: string, instanceId: string): string {
  return `clawops-${createHash('sha256').update(`${opId}:${instanceId}`).digest('hex').slice(0, 12)}`
}

/** Validated labels with the op id added (INVALID_INPUT for a bad key, value or op id). */
export function withOpLabel(labels: Labels | undefined, opId: string | undefined): Labels {
  const parsed = LabelsSchema.safeParse(labels ?? {})
  if (!parsed.success) {
    throw new UserError(
      'INVALID_INPUT',
      `invalid server labels: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    )
  }
  const out: Labels = { ...parsed.data }
  if (opId === undefined) return out
  if (!LABEL_VALUE.test(opId) || opId.length === 0) {
    throw new UserError(
      'INVALID_INPUT',
      `operation id ${JSON.stringify(opId)} cannot be a provider label value`,
      {
        hint: 'Operation ids must be at most 63 letters, digits, ".", "_" or "-", starting and ending alphanumeric.',
      },
    )
  }
  out[OP_LABEL] = opId
  return out
}

/** For label-less providers: the name must carry the op marker, or findByOpLabel could not find it. */
export function assertNameCarriesOp(provider: string, name: string, opId: string | undefined): void {
  if (opId !== undefined && !name.endsWith(opMarker(opId))) {
    throw new UserError(
      'INVALID_INPUT',
      `${provider} has no labels, so the server name must end with "${opMarker(opId)}"`,
      {
        hint: 'Build server names with serverName() from src/lib/providers/names.ts.',
        details: { provider, name },
      },
    )
  }
}

/**
 * Label-less providers cannot answer a label query; an empty answer would look like "no servers",
 * so the query is refused instead.
 */
export function refuseLabelFilter(provider: string, filter: { labels?: Labels }): void {
  if (Object.keys(filter.labels ?? {}).length === 0) return
  throw new UserError(
    'INVALID_INPUT',
    `${provider} servers carry no labels, so they cannot be listed by label`,
    {
      hint: 'List by name, or use findByOpLabel (the op id is part of the name on this provider).',
      details: { provider, labels: filter.labels },
    },
  )
}
