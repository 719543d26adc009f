/**
 * `clawops lab up|down|status`: the embedded default cloud. `up` starts, in the background, a real
 * OpenClaw gateway (the operator's) and the lab cloud process (the five provider APIs on loopback;
 * created servers boot real gf-clawnodes from their cloud-init), then points this home's config at
 * them: provider base URLs and credentials files, the gateway URL and token files, the lab's status
 * pages, the lab's tailnet (Tailscale API and credentials file) for provisioning, and its release
 * location (OpenClaw builds and gf-clawnode releases for upgrades). Everything goes through the ordinary config paths, so what works against the lab works
 * against real clouds with a different config. State (servers, node identities, the gateway's
 * pairings) survives `down` and `up` again.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { configPath } from '../config/path.js'
import { readSecretJson } from '../config/secret-file.js'
import type { Context } from '../context.js'
import { PROVIDERS, type Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'
import { packageRoot } from '../paths.js'
import {
  generateCredentials,
  type LabCredentials,
  parseCredentials,
  writeCredentials,
} from './cloud/credentials.js'
import type { LabEndpoints } from './cloud/lab-cloud.js'
import {
  childEnv,
  freePort,
  type GatewayInfo,
  gatewayAlive,
  prepareGateway,
  startGateway,
  stopGateway,
} from './gateway-process.js'

export interface LabState {
  dir: string
  gateway: {
    url: string
    httpUrl: string
    port: number
    pidFile: string
    dir: string
    configPath: string
    logPath: string
  }
  cloud: { pid: number; port: number; driver: string; endpoints: LabEndpoints }
  startedAt: string
}

export interface LabStatus {
  running: boolean
  gateway: { url: string; alive: boolean } | null
  cloud: { url: string; alive: boolean; driver: string; servers: Record<string, number> | null } | null
  configPath: string
}

export interface LabUpOptions {
  driver?: 'clawnode' | 'clawnode-virtual' | 'instant'
  /** Seconds a server takes to boot (provider "running"); 0 is instant. */
  bootSeconds?: number
  /** How often the gateway's Fleet tab reloads its snapshot (default 30 s). */
  fleetRefreshSeconds?: number
}

const labDir = (ctx: Context) => join(ctx.home, 'lab')
const statePath = (ctx: Context) => join(labDir(ctx), 'lab.json')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export function readLabState(ctx: Context): LabState | null {
  const p = statePath(ctx)
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as LabState) : null
}

function writeJson(path: string, value: unknown, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode })
  renameSync(tmp, path)
}

function gatewayInfoOf(s: LabState): Pick<GatewayInfo, 'pidFile'> {
  return { pidFile: s.gateway.pidFile }
}

/** A home with a real fleet in its config is never turned into a lab. */
function refuseRealHome(ctx: Context): void {
  const c = ctx.config()
  if (!c.lab && (c.gateway || c.providers)) {
    throw new UserError(
      'CONFLICT',
      `${configPath(ctx.home, ctx.env)} configures a real gateway or providers`,
      {
        hint: 'Run the lab in its own home: CLAWOPS_HOME=~/.clawops-lab clawops lab up',
      },
    )
  }
}

/** The lab tailnet's API credential, generated once; the lab cloud accepts only it. */
function tailscaleCredentials(ctx: Context): string {
  mkdirSync(secretsDir(ctx), { recursive: true, mode: 0o700 })
  const file = join(secretsDir(ctx), 'tailscale.json')
  if (!existsSync(file)) writeJson(file, { apiKey: `tskey-api-${generateCredentials().hetzner.token}` })
  return file
}

async function startCloud(
  ctx: Context,
  o: { port: number; driver: string; bootMs: number },
): Promise<{ pid: number; endpoints: LabEndpoints }> {
  const dir = join(labDir(ctx), 'cloud')
  mkdirSync(dir, { recursive: true })
  const readyFile = join(dir, 'ready.json')
  writeCredentials(join(dir, 'credentials.json'), labCredentials(ctx))
  const out = openSync(join(dir, 'lab-cloud.out.log'), 'a')
  const ready = openSync(readyFile, 'w')
  const child = spawn(
    process.execPath,
    [
      join(packageRoot(), 'dist', 'src', 'lib', 'lab', 'cloud', 'server.main.js'),
      '--dir',
      dir,
      '--port',
      String(o.port),
      '--driver',
      o.driver,
      '--boot-ms',
      String(o.bootMs),
    ],
    {
      stdio: ['ignore', ready, out],
      detached: true,
      env: childEnv({ CLAWOPS_HOME: ctx.home, CLAWOPS_LAB_TAILSCALE_CREDENTIALS: tailscaleCredentials(ctx) }),
    },
  )
  child.unref()
  let exited: number | null = null
  child.once('exit', (code) => {
    exited = code ?? -1
  })
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && exited === null) {
    const text = readFileSync(readyFile, 'utf8').trim()
    if (text) {
      const line = JSON.parse(text.split('\n')[0]!) as { event: string } & LabEndpoints
      if (line.event === 'ready') return { pid: child.pid!, endpoints: line }
    }
    await sleep(100)
  }
  throw new UserError(
    'INTERNAL',
    `the lab cloud did not start (exit ${exited}); see ${join(dir, 'lab-cloud.out.log')}`,
  )
}

const secretsDir = (ctx: Context) => join(labDir(ctx), 'secrets')
const credsFile = (ctx: Context, p: Provider) => join(secretsDir(ctx), `${p}.json`)

/**
 * The provider credentials of this lab: the home's credential files (one per provider, as for a
 * real account), generated once. The lab cloud gets the same values in its own file, so it accepts
 * exactly these and answers anything else with the provider's 401.
 */
function labCredentials(ctx: Context): LabCredentials {
  mkdirSync(secretsDir(ctx), { recursive: true, mode: 0o700 })
  const fresh = generateCredentials()
  const out: Record<string, unknown> = {}
  for (const p of PROVIDERS) {
    const file = credsFile(ctx, p)
    if (!existsSync(file)) writeJson(file, fresh[p])
    out[p] = readSecretJson(file)
  }
  return parseCredentials(out, secretsDir(ctx))
}

/** Points this home's config at the lab (other keys are kept); the credential files exist already. */
function writeLabConfig(ctx: Context, gw: GatewayInfo, endpoints: LabEndpoints): void {
  const secrets = secretsDir(ctx)
  mkdirSync(secrets, { recursive: true, mode: 0o700 })
  writeFileSync(join(secrets, 'gateway.token'), gw.token, { mode: 0o600 })
  writeFileSync(join(secrets, 'hooks.token'), gw.hooksToken, { mode: 0o600 })
  const providers: Record<string, unknown> = {}
  for (const p of PROVIDERS) {
    const ep = endpoints[p as Provider] as { baseUrl: string; authUrl?: string }
    providers[p] = {
      baseUrl: ep.baseUrl,
      ...(ep.authUrl ? { authUrl: ep.authUrl } : {}),
      credentialsFile: credsFile(ctx, p),
    }
  }
  const path = configPath(ctx.home, ctx.env)
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {}
  const watch = (current.watch as Record<string, unknown> | undefined) ?? {}
  const upgrades = (current.upgrades as Record<string, unknown> | undefined) ?? {}
  const provisioning = (current.provisioning as Record<string, unknown> | undefined) ?? {}
  // Servers join the lab's tailnet with a key minted for each, as they would a real one.
  const tailnet = endpoints.tailscale
    ? {
        tailscale: {
          baseUrl: endpoints.tailscale.baseUrl,
          tailnet: '-',
          credentialsFile: tailscaleCredentials(ctx),
          tags: ['tag:clawops-lab'],
        },
      }
    : {}
  writeJson(
    path,
    {
      ...current,
      gateway: {
        url: gw.url,
        tokenFile: join(secrets, 'gateway.token'),
        hooksTokenFile: join(secrets, 'hooks.token'),
      },
      providers,
      provisioning: { ...provisioning, ...tailnet },
      watch: { ...watch, statusPageBase: `${endpoints.url}/_status` },
      upgrades: { ...upgrades, releasesUrl: `${endpoints.url}/_releases` },
      lab: { dir: labDir(ctx) },
    },
    0o600,
  )
}

export async function labUp(ctx: Context, o: LabUpOptions = {}): Promise<LabStatus> {
  refuseRealHome(ctx)
  const existing = readLabState(ctx)
  if (existing && gatewayAlive(gatewayInfoOf(existing)) && alive(existing.cloud.pid)) return labStatus(ctx)
  mkdirSync(labDir(ctx), { recursive: true })
  const gw = await prepareGateway(join(labDir(ctx), 'gateway'), {
    clawopsHome: ctx.home,
    ...(o.fleetRefreshSeconds !== undefined ? { refreshSeconds: o.fleetRefreshSeconds } : {}),
  })
  if (!gatewayAlive(gw)) await startGateway(gw)
  const driver = o.driver ?? existing?.cloud.driver ?? 'clawnode'
  const port = existing?.cloud.port ?? (await freePort())
  const cloud =
    existing && alive(existing.cloud.pid)
      ? existing.cloud
      : { ...(await startCloud(ctx, { port, driver, bootMs: (o.bootSeconds ?? 2) * 1000 })), port, driver }
  writeLabConfig(ctx, gw, cloud.endpoints)
  const state: LabState = {
    dir: labDir(ctx),
    gateway: {
      url: gw.url,
      httpUrl: gw.httpUrl,
      port: gw.port,
      pidFile: gw.pidFile,
      dir: gw.dir,
      configPath: gw.configPath,
      logPath: gw.logPath,
    },
    cloud,
    startedAt: ctx.now(),
  }
  writeJson(statePath(ctx), state)
  return labStatus(ctx)
}

export async function labDown(ctx: Context): Promise<LabStatus> {
  const s = readLabState(ctx)
  if (!s) throw new UserError('NOT_FOUND', 'no lab in this home', { hint: 'Start one with clawops lab up.' })
  if (alive(s.cloud.pid)) {
    process.kill(s.cloud.pid, 'SIGTERM')
    const deadline = Date.now() + 20_000
    while (alive(s.cloud.pid) && Date.now() < deadline) await sleep(100)
    if (alive(s.cloud.pid)) process.kill(s.cloud.pid, 'SIGKILL')
  }
  await stopGateway({ ...s.gateway, pidFile: s.gateway.pidFile } as GatewayInfo)
  return labStatus(ctx)
}

export async function labStatus(ctx: Context): Promise<LabStatus> {
  const s = readLabState(ctx)
  const cfg = configPath(ctx.home, ctx.env)
  if (!s) return { running: false, gateway: null, cloud: null, configPath: cfg }
  const gwAlive = gatewayAlive(gatewayInfoOf(s))
  const cloudAlive = alive(s.cloud.pid)
  let servers: Record<string, number> | null = null
  if (cloudAlive) {
    try {
      const res = await fetch(`${s.cloud.endpoints.control}/servers`, { signal: AbortSignal.timeout(3_000) })
      const body = (await res.json()) as { servers?: { provider: string }[] } | { provider: string }[]
      const list = Array.isArray(body) ? body : (body.servers ?? [])
      servers = {}
      for (const x of list) servers[x.provider] = (servers[x.provider] ?? 0) + 1
    } catch {
      servers = null
    }
  }
  return {
    running: gwAlive && cloudAlive,
    gateway: { url: s.gateway.url, alive: gwAlive },
    cloud: { url: s.cloud.endpoints.url, alive: cloudAlive, driver: s.cloud.driver, servers },
    configPath: cfg,
  }
}
