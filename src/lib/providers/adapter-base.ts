/**
 * Behaviour the adapters share: tier → plan, lookup by op id, waiting on a Pending (actions, then
 * server state), create with recovery from ambiguous failures, and the power-off → change plan →
 * power-on resize flow that Hetzner and DigitalOcean both require.
 */
import type { z } from 'zod'
import { findOffer } from '../domain/catalog.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { UserError, withDetails } from '../errors.js'
import {
  DEFAULT_CREATE_RECOVERY_DELAY_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  type ResolvedDeps,
} from './adapter-options.js'
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.js'
import { OP_LABEL, opMarker } from './names.js'
import { parseResponse } from './provider-error.js'
import type { Secret } from './secret.js'
import type {
  CallOptions,
  CreateServerInput,
  CreateServerResult,
  DeleteResult,
  HttpStats,
  Pending,
  PlanPrice,
  PowerOffOptions,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderRegion,
  ProviderServer,
  ProviderSnapshot,
  ResizeOptions,
  ServerFilter,
  SnapshotOptions,
  SnapshotRef,
  WaitOptions,
} from './types.js'
import { pollUntil } from './wait.js'

/** The state of one provider action, as the base class needs it. */
export type ActionState =
  | { state: 'running'; label: string }
  | { state: 'success' }
  | { state: 'error'; code: string; message: string }

export abstract class AdapterBase implements ProviderAdapter {
  abstract readonly provider: Provider
  abstract readonly capabilities: ProviderCapabilities

  protected readonly pollMs: number
  private readonly secrets: readonly Secret[]
  private readonly recoveryDelayMs: number

  protected constructor(
    protected readonly http: HttpClient,
    protected readonly deps: ResolvedDeps,
    o: { pollMs: number; secrets: readonly Secret[]; recoveryDelayMs: number | undefined },
  ) {
    this.pollMs = o.pollMs
    this.secrets = o.secrets
    this.recoveryDelayMs = o.recoveryDelayMs ?? DEFAULT_CREATE_RECOVERY_DELAY_MS
  }

  protected call(req: HttpRequest, opts: CallOptions): Promise<HttpResponse> {
    return this.http.send({ ...req, signal: opts.signal, opId: opts.opId })
  }

  /** The body of `res` as `schema`: already parsed when the request named the schema (and retried if malformed). */
  protected parse<S extends z.ZodType>(schema: S, res: HttpResponse): z.infer<S> {
    if (res.data?.schema === schema) return res.data.value as z.infer<S>
    return parseResponse(schema, res.body, { provider: this.provider, ...res }, this.secrets)
  }

  abstract create(input: CreateServerInput, opts?: CallOptions): Promise<CreateServerResult>
  abstract get(id: string, opts?: CallOptions): Promise<ProviderServer | null>
  abstract list(filter?: ServerFilter, opts?: CallOptions): Promise<ProviderServer[]>
  abstract delete(id: string, opts?: CallOptions): Promise<DeleteResult>
  abstract reboot(id: string, opts?: CallOptions): Promise<Pending>
  abstract powerOn(id: string, opts?: CallOptions): Promise<Pending>
  abstract powerOff(id: string, opts?: PowerOffOptions): Promise<Pending>
  abstract resize(id: string, plan: string, opts?: ResizeOptions): Promise<ProviderServer>
  abstract prices(opts?: CallOptions): Promise<PlanPrice[]>
  abstract regions(opts?: CallOptions): Promise<ProviderRegion[]>
  abstract snapshot(serverId: string, name: string, opts?: SnapshotOptions): Promise<ProviderSnapshot>
  abstract getSnapshot(ref: SnapshotRef, opts?: CallOptions): Promise<ProviderSnapshot | null>
  abstract deleteSnapshot(ref: SnapshotRef, opts?: CallOptions): Promise<{ alreadyGone: boolean }>
  /** State of a provider action; only adapters whose Pendings carry actions implement it for real. */
  protected abstract actionState(serverId: string, actionId: string, opts: CallOptions): Promise<ActionState>

  planFor(tier: Tier): string {
    return findOffer(this.provider, tier).plan
  }

  stats(): HttpStats {
    return this.http.stats()
  }

  async findByOpLabel(opId: string, opts: CallOptions = {}): Promise<ProviderServer[]> {
    if (this.capabilities.labels !== 'none') return this.list({ labels: { [OP_LABEL]: opId } }, opts)
    const marker = opMarker(opId)
    return (await this.list({}, opts)).filter((s) => s.name.endsWith(marker))
  }

  async waitFor(p: Pending, opts: WaitOptions = {}): Promise<ProviderServer | null> {
    const clock = this.deps.clock
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
    const deadline = clock.now() + timeoutMs
    const pollMs = opts.pollMs ?? this.pollMs
    const left = () => Math.max(0, deadline - clock.now())
    const details = { provider: this.provider, serverId: p.serverId }
    for (const actionId of p.actions) {
      await pollUntil(
        `${this.provider} action ${actionId} on server ${p.serverId}`,
        async () => {
          const a = await this.actionState(p.serverId, actionId, opts)
          if (a.state === 'success') return { done: true, value: undefined }
          if (a.state === 'error') {
            throw new UserError(
              'PROVIDER_ERROR',
              `${this.provider}: action ${actionId} failed: ${a.message} (${a.code})`,
              {
                details: {
                  provider: this.provider,
                  status: null,
                  providerCode: a.code,
                  requestId: null,
                  serverId: p.serverId,
                  actionId,
                },
              },
            )
          }
          return { done: false, state: a.label }
        },
        { timeoutMs: left(), pollMs, clock, signal: opts.signal, details: { ...details, actionId } },
      )
    }
    const until = p.until
    if (until === null) return this.get(p.serverId, opts)
    return pollUntil<ProviderServer | null>(
      `${this.provider} server ${p.serverId} reaching ${until}`,
      async () => {
        const s = await this.get(p.serverId, opts)
        if (until === 'deleted')
          return s === null ? { done: true, value: null } : { done: false, state: s.providerStatus }
        if (s === null) {
          throw new UserError(
            'PROVIDER_ERROR',
            `${this.provider}: server ${p.serverId} disappeared while waiting for ${until}`,
            {
              details: {
                provider: this.provider,
                status: 404,
                providerCode: 'not_found',
                requestId: null,
                serverId: p.serverId,
              },
            },
          )
        }
        if (s.status === until) return { done: true, value: s }
        if (s.status === 'error') {
          throw new UserError(
            'PROVIDER_ERROR',
            `${this.provider}: server ${p.serverId} is in state ${s.providerStatus}`,
            {
              details: {
                provider: this.provider,
                status: null,
                providerCode: s.providerStatus,
                requestId: null,
                serverId: p.serverId,
              },
            },
          )
        }
        return { done: false, state: s.providerStatus }
      },
      { timeoutMs: left(), pollMs, clock, signal: opts.signal, details: { ...details, until } },
    )
  }

  /**
   * Runs a create; when it fails in a way that leaves it unknown whether the server was made (no
   * answer, 5xx), looks the server up by name and op id and adopts it, else tries again. A 4xx is
   * final. Without an op id nothing identifies "our" server, so there is no recovery.
   */
  protected async createWithRecovery(
    input: CreateServerInput,
    opts: CallOptions,
    doCreate: () => Promise<CreateServerResult>,
  ): Promise<CreateServerResult> {
    const attempts = 3
    for (let i = 1; ; i++) {
      try {
        return { ...(await doCreate()), createCalls: i }
      } catch (caught) {
        const err = caught instanceof UserError ? withDetails(caught, { createCalls: i }) : caught
        if (
          !(err instanceof UserError) ||
          err.code !== 'PROVIDER_ERROR' ||
          input.opId === undefined ||
          i >= attempts
        )
          throw err
        const d = err.details as { status?: number | null; providerCode?: string }
        // No answer, a 5xx, or an answer too malformed to read: the server may exist now.
        const ambiguous =
          d.status === null ||
          d.status === undefined ||
          d.status >= 500 ||
          d.providerCode === 'invalid_response'
        if (!ambiguous) throw err
        // A create that timed out may still land; give it time before deciding it did not.
        await this.deps.clock.sleep(this.recoveryDelayMs, opts.signal)
        const existing = await this.adoptable(input, opts)
        if (existing) return { ...existing, createCalls: i }
        this.deps.logger.warn(
          { provider: this.provider, name: input.name, attempt: i },
          'create failed ambiguously; not found, retrying',
        )
      }
    }
  }

  /** An existing server with the input's name created by the input's op, as a create result. */
  protected async adoptable(input: CreateServerInput, opts: CallOptions): Promise<CreateServerResult | null> {
    const opId = input.opId
    if (opId === undefined) return null
    // Without labels the op id is in the name, so a lookup by name is enough (one request, not the fleet).
    const candidates =
      this.capabilities.labels === 'none'
        ? (await this.list({ name: input.name }, opts)).filter((s) => s.name.endsWith(opMarker(opId)))
        : await this.findByOpLabel(opId, opts)
    const found = candidates.find((s) => s.name === input.name)
    if (!found) return null
    this.deps.logger.info(
      { provider: this.provider, id: found.id, name: found.name },
      'adopted existing server',
    )
    return {
      server: found,
      pending: { provider: this.provider, serverId: found.id, actions: [], until: 'running' },
      adopted: true,
    }
  }

  /**
   * Resize for providers that need the server off (Hetzner change_type, DigitalOcean resize):
   * graceful shutdown (hard power-off if it takes too long) → change plan → power on. Re-running it
   * after a crash is safe: a server already on the plan is only powered on.
   */
  protected async resizeWhileOff(
    id: string,
    plan: string,
    opts: ResizeOptions,
    changePlan: (id: string, plan: string, upgradeDisk: boolean, opts: CallOptions) => Promise<Pending>,
  ): Promise<ProviderServer> {
    const clock = this.deps.clock
    const deadline = clock.now() + (opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS)
    const left = () => Math.max(1, deadline - clock.now())
    const waitOpts = (cap?: number): WaitOptions => ({
      ...opts,
      timeoutMs: cap === undefined ? left() : Math.min(cap, left()),
    })
    const server = await this.mustGet(id, opts)
    if (server.plan !== plan) {
      if (server.status !== 'off') {
        try {
          await this.waitFor(
            await this.powerOff(id, { ...opts, graceful: true }),
            waitOpts(opts.gracefulShutdownMs ?? 60_000),
          )
        } catch (err) {
          if (!(err instanceof UserError) || err.code !== 'TIMEOUT') throw err
          this.deps.logger.warn({ provider: this.provider, id }, 'graceful shutdown timed out; powering off')
          await this.waitFor(await this.powerOff(id, { ...opts, graceful: false }), waitOpts())
        }
      }
      await this.waitFor(await changePlan(id, plan, opts.upgradeDisk ?? false, opts), {
        ...waitOpts(),
        pollMs: opts.pollMs ?? this.pollMs,
      })
    }
    const now = await this.mustGet(id, opts)
    if ((opts.powerOn ?? true) && now.status !== 'running') {
      return (await this.waitFor(await this.powerOn(id, opts), waitOpts())) as ProviderServer
    }
    return now
  }

  /** Polls a snapshot until it is available; one that disappears meanwhile is an error. */
  protected waitForSnapshot(ref: SnapshotRef, opts: WaitOptions): Promise<ProviderSnapshot> {
    const details = { provider: this.provider, serverId: ref.serverId, snapshotId: ref.id }
    return pollUntil(
      `${this.provider} snapshot ${ref.id} of server ${ref.serverId} becoming available`,
      async () => {
        const snap = await this.getSnapshot(ref, opts)
        if (!snap) {
          throw new UserError(
            'PROVIDER_ERROR',
            `${this.provider}: snapshot ${ref.id} of server ${ref.serverId} disappeared`,
            { details: { ...details, status: 404, providerCode: 'not_found', requestId: null } },
          )
        }
        return snap.status === 'available' ? { done: true, value: snap } : { done: false, state: snap.status }
      },
      {
        timeoutMs: opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
        pollMs: opts.pollMs ?? this.pollMs,
        clock: this.deps.clock,
        signal: opts.signal,
        details,
      },
    )
  }

  protected async mustGet(id: string, opts: CallOptions): Promise<ProviderServer> {
    const s = await this.get(id, opts)
    if (!s)
      throw new UserError('NOT_FOUND', `${this.provider} server ${id} does not exist`, {
        details: { provider: this.provider, id },
      })
    return s
  }

  protected refuseResize(id: string, plan: string): never {
    throw new UserError(
      'INVALID_INPUT',
      `${this.provider} cannot resize a server in place (asked: ${id} → ${plan})`,
      {
        hint: `${this.provider} resizes by replacement: provision a server on the new plan, migrate, tear the old one down.`,
        details: { provider: this.provider, capability: this.capabilities.resize },
      },
    )
  }
}
