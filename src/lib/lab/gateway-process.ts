/**
 * Starts, stops and restarts a real `openclaw gateway run` (the lab's operator gateway, and the one
 * the integration tests share), fully isolated in one dir (home, state, config, cache and log file).
 * The gateway's pid lives in `<dir>/gateway.pid`, so whoever started it and whoever stops or restarts
 * it later (another process, another test worker) agree on which process is current.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { resolveHome } from '../context.js'
import { clawopsPlugin } from '../gateway/plugin-install.js'
import { setupGatewayFile } from '../gateway/setup.js'
import { openclawBin } from '../paths.js'

export interface GatewayInfo {
  url: string
  httpUrl: string
  port: number
  token: string
  hooksToken: string
  dir: string
  stateDir: string
  configPath: string
  logPath: string
  pidFile: string
  /** Environment that points an `openclaw` CLI (or the gateway) at this isolated instance. */
  env: Record<string, string>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}

/**
 * The environment for processes the tests start, minus what marks "a test is running": openclaw
 * switches into a test mode when it sees VITEST or NODE_ENV=test (its logging, for one, goes
 * quiet), and the point of these tests is the real thing. Stray OPENCLAW_* settings are dropped too.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|JEST|NODE_ENV$|TEST$|OPENCLAW_)/.test(k)) continue
    env[k] = v
  }
  return { ...env, ...extra }
}

export function isolatedEnv(dir: string): Record<string, string> {
  const env = {
    OPENCLAW_HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    OPENCLAW_CONFIG_PATH: join(dir, 'state', 'openclaw.json'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  }
  for (const d of [env.OPENCLAW_HOME, env.OPENCLAW_STATE_DIR, env.XDG_CACHE_HOME, join(dir, 'workspace')]) {
    mkdirSync(d, { recursive: true })
  }
  return env
}

function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  return Number.isInteger(pid) && pid > 1 ? pid : undefined
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function waitReady(httpUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })
      if (res.ok) return
      last = `readyz ${res.status}`
    } catch (err) {
      last = (err as Error).message
    }
    await sleep(200)
  }
  throw new Error(`gateway at ${httpUrl} not ready after ${timeoutMs} ms (${last})`)
}

/** Spawns the gateway detached (it outlives the worker that started it) and waits for /readyz. */
export async function startGateway(info: GatewayInfo, timeoutMs = 120_000): Promise<number> {
  const out = openSync(join(info.dir, 'gateway.out.log'), 'a')
  // Run the CLI with this Node (24): the package's shebang would pick whatever `node` is on PATH.
  // The config file is the only source of port and token (childEnv drops stray OPENCLAW_* variables).
  const child = spawn(process.execPath, [openclawBin(), 'gateway', 'run'], {
    env: childEnv(info.env),
    stdio: ['ignore', out, out],
    detached: true,
  })
  child.unref()
  if (!child.pid) throw new Error('could not spawn the openclaw gateway')
  writeFileSync(info.pidFile, `${child.pid}\n`)
  let exited: number | null = null
  child.once('exit', (code) => {
    exited = code ?? -1
  })
  const ready = waitReady(info.httpUrl, timeoutMs)
  while (exited === null) {
    const done = await Promise.race([ready.then(() => true), sleep(250).then(() => false)])
    if (done) return child.pid
  }
  throw new Error(
    `openclaw gateway exited with ${exited} before it was ready; see ${join(info.dir, 'gateway.out.log')}`,
  )
}

/** Stops the current gateway: SIGTERM to its process group, SIGKILL after `graceMs`. */
export async function stopGateway(
  info: GatewayInfo,
  graceMs = 15_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const pid = readPid(info.pidFile)
  if (!pid || !alive(pid)) return
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
    } catch {
      try {
        process.kill(pid, sig)
      } catch {
        // gone
      }
    }
  }
  kill(signal)
  const deadline = Date.now() + graceMs
  while (alive(pid) && Date.now() < deadline) await sleep(100)
  if (alive(pid)) {
    kill('SIGKILL')
    while (alive(pid)) await sleep(50)
  }
}

/** Kills the shared gateway (SIGKILL by default: a crash) and starts it again on the same port and state. */
export async function restartGateway(
  info: GatewayInfo,
  opts: { signal?: NodeJS.Signals } = {},
): Promise<number> {
  await stopGateway(info, 15_000, opts.signal ?? 'SIGKILL')
  return startGateway(info)
}

/**
 * Writes an isolated gateway's config (loopback, token auth, local auto-approval and SSH-verified
 * approval off so pairing behaves as for a remote VPS) and sets it up for the fleet with the same
 * function `clawops gateway setup` uses. An existing config in `dir` is kept (same port and token).
 */
export async function prepareGateway(
  dir: string,
  opts: { port?: number; clawopsHome?: string; refreshSeconds?: number } = {},
): Promise<GatewayInfo> {
  const env = isolatedEnv(dir)
  const configPath = env.OPENCLAW_CONFIG_PATH!
  const logPath = join(dir, 'openclaw.log')
  if (!existsSync(configPath)) {
    const port = opts.port ?? (await freePort())
    writeFileSync(
      configPath,
      `${JSON.stringify(
        {
          gateway: {
            mode: 'local',
            port,
            bind: 'loopback',
            auth: { mode: 'token', token: randomBytes(24).toString('base64url') },
            nodes: { pairing: { autoApproveLocal: false, sshVerify: false } },
          },
          logging: { file: logPath },
          agents: { defaults: { workspace: join(dir, 'workspace') } },
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    )
  }
  // The clawops plugin reads the given clawops home (the lab's); without one, the default home.
  const plugin = clawopsPlugin(opts.clawopsHome ?? resolveHome(undefined, process.env))
  setupGatewayFile(configPath, { plugin })
  if (opts.refreshSeconds !== undefined) setPluginRefresh(configPath, opts.refreshSeconds)
  const written = JSON.parse(readFileSync(configPath, 'utf8'))
  const port = Number(written.gateway.port)
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    port,
    token: written.gateway.auth.token,
    hooksToken: written.hooks.token,
    dir,
    stateDir: env.OPENCLAW_STATE_DIR!,
    configPath,
    logPath,
    pidFile: join(dir, 'gateway.pid'),
    env,
  }
}

/** True while the gateway whose pid file is in `info` runs. */
export function gatewayAlive(info: Pick<GatewayInfo, 'pidFile'>): boolean {
  const pid = readPid(info.pidFile)
  return pid !== undefined && alive(pid)
}

/** How often the Fleet tab reloads (plugins.entries.clawops.config.refreshSeconds): tests make it short. */
function setPluginRefresh(configPath: string, seconds: number): void {
  const cfg = JSON.parse(readFileSync(configPath, 'utf8'))
  cfg.plugins.entries.clawops.config.refreshSeconds = seconds
  writeFileSync(configPath, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 })
}
