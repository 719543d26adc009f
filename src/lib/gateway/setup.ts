/**
 * `clawops gateway setup`: makes a gateway ready for the fleet, idempotently.
 * - `gateway.nodes.commands.allow` gains every clawnode command (the gateway silently drops declared
 *   commands that are not allowlisted); commands already allowed stay.
 * - `hooks` is enabled with its own token (generated once, never equal to the gateway token, kept
 *   when present), the `/hooks` path, request session keys allowed, and the `clawops:` session-key
 *   prefix next to `hook:` (clawops watch posts into `clawops:<topic>` sessions).
 * - the clawops OpenClaw plugin (the `clawops.fleet-status` RPC and the Control UI's Fleet tab) is
 *   loaded from this clawops's dist/plugin and reads the operator's clawops home (plugin-install.ts).
 * Nothing else is touched. A second run changes nothing. The plan's diff is redacted, so it can be
 * printed for `--dry-run`. On a running gateway the change goes through `config.get`/`config.patch`
 * with the base hash (hot-reloaded, secrets stay on the gateway); for a stopped one, the file is
 * rewritten atomically.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { UserError } from '../errors.js'
import type { GatewayClient } from './client.js'
import { type Change, diffConfigs, isPlainObject, type Json } from './config-diff.js'
import { CLAWNODE_COMMANDS } from './node-commands.js'
import { type PluginTarget, planPluginInstall } from './plugin-install.js'

export const CLAWOPS_SESSION_PREFIX = 'clawops:'
const HOOK_PREFIXES = ['hook:', CLAWOPS_SESSION_PREFIX]

export interface SetupPlan {
  changed: boolean
  /** Redacted, leaf-level: safe to print. */
  changes: Change[]
  /** The merge patch to apply (may hold a freshly generated hooks token: never print it). */
  patch: Record<string, Json>
  /** Array paths the patch replaces rather than merges. */
  replacePaths: string[]
  hooksTokenGenerated: boolean
  warnings: string[]
}

export interface SetupResult {
  changed: boolean
  dryRun: boolean
  changes: Change[]
  hooksTokenGenerated: boolean
  warnings: string[]
  target: string
  /** Where the clawops plugin's Fleet tab opens (null when the plugin was not installed). */
  fleetTab: string | null
}

/** The Control UI address of the Fleet tab on a gateway reached at `httpBase`. */
export function fleetTabUrl(httpBase: string): string {
  return `${httpBase.replace(/^ws/, 'http').replace(/\/+$/, '')}/fleet`
}

function get(obj: Json | undefined, path: string[]): Json | undefined {
  let cur: Json | undefined = obj
  for (const k of path) cur = isPlainObject(cur) ? cur[k] : undefined
  return cur
}

function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

function union(existing: string[], wanted: readonly string[]): string[] {
  return [...existing, ...wanted.filter((w) => !existing.includes(w))]
}

/** Deep-merges a patch into a copy of `base` (objects merge, everything else replaces). */
export function applyPatch(base: Json, patch: Json): Json {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch
  const out: Record<string, Json> = { ...base }
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? applyPatch(base[k]!, v) : v
  return out
}

/**
 * Decides what to change. `current` may carry OpenClaw's redaction markers for secrets: a present
 * hooks token (redacted or not) is kept, never regenerated.
 */
export interface SetupOptions {
  gatewayToken?: string
  /** The clawops plugin to install, or why it cannot be (a warning). */
  plugin?: PluginTarget | { missing: string }
}

export function planGatewaySetup(current: Record<string, Json>, opts: SetupOptions = {}): SetupPlan {
  const warnings: string[] = []
  const allow = strings(get(current, ['gateway', 'nodes', 'commands', 'allow']))
  const nextAllow = union(allow, CLAWNODE_COMMANDS)
  const denied = strings(get(current, ['gateway', 'nodes', 'commands', 'deny'])).filter((c) =>
    (CLAWNODE_COMMANDS as readonly string[]).includes(c),
  )
  if (denied.length)
    warnings.push(`gateway.nodes.commands.deny blocks clawnode commands: ${denied.join(', ')}`)

  const hooks = get(current, ['hooks'])
  const hooksObj = isPlainObject(hooks) ? hooks : {}
  const existingToken = typeof hooksObj.token === 'string' && hooksObj.token.length > 0
  const prefixes = strings(hooksObj.allowedSessionKeyPrefixes)
  const hooksPatch: Record<string, Json> = {}
  if (hooksObj.enabled !== true) hooksPatch.enabled = true
  if (typeof hooksObj.path !== 'string') hooksPatch.path = '/hooks'
  if (hooksObj.allowRequestSessionKey !== true) hooksPatch.allowRequestSessionKey = true
  const nextPrefixes = union(prefixes, HOOK_PREFIXES)
  if (nextPrefixes.length !== prefixes.length) hooksPatch.allowedSessionKeyPrefixes = nextPrefixes
  let generated = false
  if (!existingToken) {
    let token = randomBytes(32).toString('base64url')
    while (token === opts.gatewayToken) token = randomBytes(32).toString('base64url')
    hooksPatch.token = token
    generated = true
  } else if (opts.gatewayToken && hooksObj.token === opts.gatewayToken) {
    warnings.push('hooks.token equals the gateway token; give hooks their own token')
  }

  const patch: Record<string, Json> = {}
  const replacePaths: string[] = []
  if (nextAllow.length !== allow.length) {
    patch.gateway = { nodes: { commands: { allow: nextAllow } } }
    replacePaths.push('gateway.nodes.commands.allow')
  }
  if (Object.keys(hooksPatch).length > 0) {
    patch.hooks = hooksPatch
    if ('allowedSessionKeyPrefixes' in hooksPatch) replacePaths.push('hooks.allowedSessionKeyPrefixes')
  }
  if (opts.plugin && 'missing' in opts.plugin) warnings.push(opts.plugin.missing)
  else if (opts.plugin) {
    const p = planPluginInstall(current, opts.plugin)
    Object.assign(patch, p.patch)
    replacePaths.push(...p.replacePaths)
  }
  const next = applyPatch(current, patch)
  const changes = diffConfigs(current, next)
  return {
    changed: changes.length > 0,
    changes,
    patch,
    replacePaths,
    hooksTokenGenerated: generated,
    warnings,
  }
}

const ConfigGetSchema = z.looseObject({
  path: z.string().optional(),
  exists: z.boolean().optional(),
  hash: z.string().optional(),
  parsed: z.unknown().optional(),
  sourceConfig: z.unknown().optional(),
})

/** Applies the setup to a running gateway through its config RPCs (needs operator.admin). */
export async function setupGateway(
  client: GatewayClient,
  opts: { dryRun?: boolean; plugin?: SetupOptions['plugin'] } = {},
): Promise<SetupResult> {
  const snap = ConfigGetSchema.parse(await client.request('config.get', {}))
  // sourceConfig is the authored file (what a patch edits); parsed may include resolved defaults.
  const source = isPlainObject(snap.sourceConfig)
    ? snap.sourceConfig
    : isPlainObject(snap.parsed)
      ? snap.parsed
      : {}
  const plan = planGatewaySetup(source as Record<string, Json>, { plugin: opts.plugin })
  const result = {
    changed: plan.changed,
    dryRun: Boolean(opts.dryRun),
    changes: plan.changes,
    hooksTokenGenerated: plan.hooksTokenGenerated,
    warnings: plan.warnings,
    target: snap.path ?? client.url,
    fleetTab: opts.plugin && !('missing' in opts.plugin) ? fleetTabUrl(client.url) : null,
  }
  if (!plan.changed || opts.dryRun) return result
  await client.request('config.patch', {
    raw: JSON.stringify(plan.patch),
    ...(snap.hash ? { baseHash: snap.hash } : {}),
    ...(plan.replacePaths.length ? { replacePaths: plan.replacePaths } : {}),
    note: 'clawops gateway setup',
  })
  return result
}

/** Applies the setup to a gateway config file directly (gateway stopped, or not yet started). */
export function setupGatewayFile(
  path: string,
  opts: { dryRun?: boolean; plugin?: SetupOptions['plugin'] } = {},
): SetupResult {
  let current: Record<string, Json> = {}
  if (existsSync(path)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'))
    } catch {
      throw new UserError('CONFIG_INVALID', `${path} is not strict JSON; it was not modified`, {
        hint: 'Run setup against the running gateway instead (it understands JSON5), or fix the file.',
      })
    }
    if (!isPlainObject(parsed))
      throw new UserError('CONFIG_INVALID', `${path} is not a JSON object; it was not modified`)
    current = parsed
  }
  const gatewayToken = get(current, ['gateway', 'auth', 'token'])
  const plan = planGatewaySetup(current, {
    ...(typeof gatewayToken === 'string' ? { gatewayToken } : {}),
    plugin: opts.plugin,
  })
  const result = {
    changed: plan.changed,
    dryRun: Boolean(opts.dryRun),
    changes: plan.changes,
    hooksTokenGenerated: plan.hooksTokenGenerated,
    warnings: plan.warnings,
    target: path,
    fleetTab:
      opts.plugin && !('missing' in opts.plugin)
        ? fleetTabUrl(`http://127.0.0.1:${Number(get(current, ['gateway', 'port']) ?? 18789)}`)
        : null,
  }
  if (!plan.changed || opts.dryRun) return result
  const next = applyPatch(current, plan.patch)
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
  return result
}
