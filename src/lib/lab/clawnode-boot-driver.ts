/**
 * The lab's `clawnode` boot driver: a created server boots as a VPS does (vps/boot.ts: its user
 * data runs in the server's own directory, then what it enabled starts), and when that leaves a
 * gf-clawnode unit running, a real gf-clawnode process starts with the config file the unit names.
 * What differs from a VPS is only what cannot exist on one machine: the paths in the node's config
 * are below the server's directory, and the user's OpenClaw gateway is a stand-in process (see
 * stand-in-gateway.main.ts) run by the node's process service manager instead of Docker Compose.
 *
 * A server directory outlives reboots and lab restarts (same identity, same device token, so the
 * node reconnects without being paired again); it is removed when the server is deleted.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { openclawBin, packageRoot } from '../paths.js'
import type { BootDriver, BootServer } from './cloud/boot-driver.js'
import { type BootDriverContext, registerBootDriver } from './cloud/boot-drivers.js'
import { childEnv, freePort } from './gateway-process.js'
import { bootVps, copyDisk, dropDiskCopy, serverDirOf } from './vps/boot.js'
import { installShims } from './vps/shims.js'

const STOP_GRACE_MS = 5_000

async function portFor(nodeDir: string): Promise<number> {
  const file = join(nodeDir, 'user-gateway.port')
  if (existsSync(file)) return Number(readFileSync(file, 'utf8'))
  const port = await freePort()
  writeFileSync(file, String(port))
  return port
}

export interface LabDriverOptions {
  dir: string
  logger: Logger
  /** The lab tailnet's register endpoint (`tailscale up` on a lab server); unset: no tailnet. */
  tailscaleUrl?: () => string | undefined
}

export function clawnodeBootDriver(opts: LabDriverOptions): BootDriver {
  const running = new Map<string, ChildProcess>()
  const booting = new Map<string, AbortController>()
  const shims = installShims(join(opts.dir, 'shims'))
  const key = (s: BootServer) => `${s.provider}/${s.id}`

  const stopProcess = async (k: string) => {
    booting.get(k)?.abort()
    booting.delete(k)
    const child = running.get(k)
    running.delete(k)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  return {
    name: 'clawnode',
    async start(server, signals) {
      const k = key(server)
      const abort = new AbortController()
      booting.get(k)?.abort()
      booting.set(k, abort)
      // The provider reports the VM running once it is up; its user data runs after that.
      signals.ready()
      const boot = await bootVps(opts.dir, server, {
        shims,
        tailscaleUrl: opts.tailscaleUrl?.(),
        signal: abort.signal,
      })
      if (booting.get(k) !== abort) return
      if (!boot.clawnode) {
        booting.delete(k)
        opts.logger.info({ server: k }, 'booted without a gf-clawnode')
        return
      }
      const { config: node, userGatewayUp } = boot.clawnode
      const port = await portFor(boot.dir)
      if (booting.get(k) !== abort) return
      booting.delete(k)
      const config = {
        ...node,
        log: { level: 'info', target: 'stderr' },
        service: {
          kind: 'process',
          argv: [
            process.execPath,
            join(packageRoot(), 'dist', 'src', 'lib', 'lab', 'stand-in-gateway.main.js'),
            '--port',
            String(port),
          ],
          env: { OPENCLAW_CONFIG_PATH: node.userGateway.configPath },
          stopTimeoutMs: 2_000,
          autostart: userGatewayUp,
        },
        userGateway: {
          ...node.userGateway,
          url: `http://127.0.0.1:${port}`,
          // The lab's nodes run OpenClaw's validation with the pinned runtime/openclaw on this host.
          validator: { node: [process.execPath], openclaw: openclawBin() },
        },
      }
      const configPath = join(boot.dir, 'config.json')
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
      const out = openSync(join(boot.dir, 'clawnode.log'), 'a')
      const child = spawn(
        process.execPath,
        // The V8 flag of the systemd unit on a VPS: a small young generation keeps an idle node lean.
        [
          '--max-semi-space-size=1',
          join(packageRoot(), 'bin', 'gf-clawnode.js'),
          'run',
          '--config',
          configPath,
        ],
        {
          stdio: ['ignore', out, out],
          env: childEnv(),
        },
      )
      running.set(k, child)
      child.once('exit', (code, signal) => {
        if (running.get(k) === child) {
          running.delete(k)
          opts.logger.warn({ server: k, code, signal }, 'gf-clawnode exited')
        }
      })
      opts.logger.info({ server: k, pid: child.pid, instanceId: node.instanceId }, 'booted gf-clawnode')
    },
    async stop(server, ctx) {
      await stopProcess(key(server))
      // Deleted or reinstalled: the disk is gone.
      if (ctx.reason === 'delete' || ctx.reason === 'reinstall')
        rmSync(serverDirOf(opts.dir, server), { recursive: true, force: true })
    },
    snapshot(server, snapshotId) {
      copyDisk(opts.dir, server, snapshotId)
    },
    dropSnapshot(provider, snapshotId) {
      dropDiskCopy(opts.dir, provider, snapshotId)
    },
    async close() {
      await Promise.all([...new Set([...running.keys(), ...booting.keys()])].map(stopProcess))
    },
  }
}

/** The options both gf-clawnode drivers take from the lab process. */
export function labDriverOptions(ctx: BootDriverContext): LabDriverOptions {
  return { dir: ctx.dir, logger: ctx.logger, tailscaleUrl: ctx.tailscaleUrl }
}

registerBootDriver('clawnode', (ctx) => clawnodeBootDriver(labDriverOptions(ctx)))
