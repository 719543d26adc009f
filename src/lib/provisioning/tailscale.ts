/**
 * Tailscale for the servers clawops creates: one pre-authorized, single-use, tagged auth key minted
 * through the Tailscale API for each server, right before its create, and the server's device removed
 * from the tailnet when it is torn down. Every API call that changes the tailnet is audited first.
 *
 * No key is ever in two user datas and none stays usable unseen: the store records each mint before
 * the call (tailscale_keys), a key that never reached a server is revoked before the next one is
 * minted for the same instance (a run resumed after a crash between mint and create), a mint whose
 * answer was lost is found by the nonce in its description and revoked, and every key expires
 * (`keyExpirySeconds`, one hour by default) whether or not it was used.
 */
import { randomBytes } from 'node:crypto'
import { readSecretJson } from '../config/secret-file.js'
import type { Context } from '../context.js'
import type { Instance } from '../domain/instance.js'
import type { StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import type { Secret } from '../providers/secret.js'
import { type TailscaleKeyRow, TailscaleKeys } from '../store/tailscale-keys.js'
import { TailscaleClient, type TailscaleCredentials } from '../tailscale/client.js'
import { provisioningSettings, type TailscaleSettings } from './settings.js'

const clients = new WeakMap<Context, TailscaleClient>()

/** What these functions need of the step running them: its context, its operation, its audit. */
type Step = Pick<StepRun, 'ctx' | 'opId' | 'audit'>

function credentialsFrom(file: string): TailscaleCredentials {
  const c = readSecretJson(file)
  if (c.apiKey) return { apiKey: c.apiKey }
  if (c.oauthClientId && c.oauthClientSecret)
    return { oauthClientId: c.oauthClientId, oauthClientSecret: c.oauthClientSecret }
  throw new UserError('CONFIG_INVALID', `${file} holds no Tailscale credential`, {
    hint: 'Give {"apiKey": "tskey-api-…"} or {"oauthClientId": "…", "oauthClientSecret": "tskey-client-…"}.',
  })
}

/** The Tailscale client for this context's config; null when provisioning uses no tailnet. */
export async function tailscaleFor(
  ctx: Context,
): Promise<{ client: TailscaleClient; settings: TailscaleSettings } | null> {
  const settings = provisioningSettings(ctx.config()).tailscale
  if (!settings) return null
  let client = clients.get(ctx)
  if (!client) {
    const logger = (await ctx.logger()).child({ component: 'tailscale' })
    client = new TailscaleClient(
      {
        ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
        tailnet: settings.tailnet,
        credentials: credentialsFrom(settings.credentialsFile),
      },
      { logger },
    )
    clients.set(ctx, client)
  }
  return { client, settings }
}

const live = (r: TailscaleKeyRow) => r.state !== 'revoked'
const expired = (r: TailscaleKeyRow, now: string) =>
  r.expiresAt !== null && r.expiresAt !== '' && r.expiresAt <= now

/** Revokes the instance's keys that were minted but never went into a server's user data. */
async function retireUndelivered(run: Step, client: TailscaleClient, instanceId: string): Promise<void> {
  const repo = run.ctx.store().repo(TailscaleKeys)
  for (const r of repo.forInstance(instanceId).filter((x) => x.state === 'minting' || x.state === 'minted')) {
    let ids = r.keyId ? [r.keyId] : []
    if (r.state === 'minting') {
      // The mint call may have succeeded with its answer lost: its description carries the nonce.
      ids = (await client.listKeys()).filter((k) => k.description.includes(r.nonce)).map((k) => k.id)
    }
    for (const id of r.state === 'minted' && expired(r, run.ctx.now()) ? [] : ids) {
      run.audit({
        action: 'tailscale.key.revoke',
        target: instanceId,
        details: { keyId: id, reason: 'minted for a server that was never created' },
      })
      await client.revokeKey(id)
    }
    repo.revoked(r.seq, ids[0] ?? null)
  }
}

export interface ServerKey {
  seq: number
  authKey: Secret
  tags: string[]
}

/**
 * A fresh single-use key for the server about to be created for `instanceId`; null without a
 * tailnet. Call it only when the create follows: the key goes into that server's user data alone.
 */
export async function mintServerKey(
  run: Step,
  instanceId: string,
  hostname: string,
): Promise<ServerKey | null> {
  const ts = await tailscaleFor(run.ctx)
  if (!ts) return null
  const { client, settings } = ts
  await retireUndelivered(run, client, instanceId)
  const repo = run.ctx.store().repo(TailscaleKeys)
  const nonce = randomBytes(6).toString('hex')
  const seq = repo.begin(instanceId, run.opId, nonce)
  run.audit({
    action: 'tailscale.key.create',
    target: instanceId,
    details: {
      hostname,
      tags: settings.tags,
      expirySeconds: settings.keyExpirySeconds,
      reusable: false,
      nonce,
    },
  })
  const key = await client.createAuthKey({
    tags: settings.tags,
    expirySeconds: settings.keyExpirySeconds,
    description: `clawops ${instanceId} ${nonce}`,
  })
  repo.minted(seq, key.id, key.expires || null)
  return { seq, authKey: key.key, tags: settings.tags }
}

/** The key went into the user data of `serverId`, which exists now (created or adopted). */
export function keyDelivered(ctx: Context, instanceId: string, serverId: string, seq?: number): void {
  const repo = ctx.store().repo(TailscaleKeys)
  const target =
    seq ??
    repo
      .forInstance(instanceId)
      .filter((r) => r.state === 'minted')
      .at(-1)?.seq
  if (target !== undefined) repo.delivered(target, serverId)
}

/**
 * Takes a torn-down instance off the tailnet: its device (found by its hostname and one of the
 * fleet's tags) is deleted, and a key of it that no device used and that has not expired is revoked.
 * Each call is audited before it is made; a device or key already gone is not an error.
 */
export async function removeTailscaleDevice(
  run: Step,
  inst: Pick<Instance, 'id' | 'tailscaleName'>,
): Promise<{ devices: string[]; revokedKeys: string[] } | null> {
  const ts = await tailscaleFor(run.ctx)
  if (!ts || !inst.tailscaleName) return null
  const { client, settings } = ts
  const devices = (await client.listDevices()).filter(
    (d) => d.hostname === inst.tailscaleName && d.tags.some((t) => settings.tags.includes(t)),
  )
  for (const d of devices) {
    run.audit({
      action: 'tailscale.device.delete',
      target: inst.id,
      details: { deviceId: d.id, name: d.name, hostname: d.hostname },
    })
    await client.deleteDevice(d.id)
  }
  const revokedKeys: string[] = []
  const repo = run.ctx.store().repo(TailscaleKeys)
  for (const r of repo.forInstance(inst.id).filter(live)) {
    if (devices.length === 0 && r.keyId && !expired(r, run.ctx.now())) {
      run.audit({
        action: 'tailscale.key.revoke',
        target: inst.id,
        details: { keyId: r.keyId, reason: 'teardown of a server that never joined' },
      })
      await client.revokeKey(r.keyId)
      revokedKeys.push(r.keyId)
    }
    repo.revoked(r.seq)
  }
  return { devices: devices.map((d) => d.id), revokedKeys }
}
