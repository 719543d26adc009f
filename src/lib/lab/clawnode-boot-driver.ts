/**
 * The lab's `clawnode` boot driver: a created server boots as a VPS does (vps/boot.ts: its user
 * data runs in the server's own directory, then what it enabled starts), and when that leaves a
 * gf-clawnode unit running, a real gf-clawnode process starts with the config file the unit names.
 * What differs from a VPS is only what cannot exist on one machine: the paths in the node's config
 * are below the server's directory, and the user's OpenClaw gateway is a stand-in process (see
 * stand-in-gateway.main.ts) run by the node's process service manager instead of Docker Compose.
 *
 * Both are installed the way upgrades change them. The user's OpenClaw is the pinned release from the
 * lab's release location (releases.ts), unpacked into `<server>/openclaw/versions/<v>` with `current`
 * pointing at it, and the service runs `current/openclaw.mjs gateway run`: an upgrade swaps the files
 * and restarts the process, as on a host that installs releases. gf-clawnode runs from
 * `/opt/gf-clawnode/current` below the server's root (first this checkout, later releases it fetched itself) under a supervisor
 * that restarts it and runs the same rollback script as systemd on a VPS (clawnode-supervisor.ts).
 *
 * A server directory outlives reboots and lab restarts (same identity, same device token, so the
 * node reconnects without being paired again); it is removed when the server is deleted.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import { unpacked } from '../../../clawnode/releases.js'
import { CLAWNODE_ROOT } from '../bootstrap/clawnode-service.js'
import { openclawBin, packageRoot } from '../paths.js'
import { ClawnodeSupervisor } from './clawnode-supervisor.js'
import type { BootDriver, BootServer } from './cloud/boot-driver.js'
import { type BootDriverContext, registerBootDriver } from './cloud/boot-drivers.js'
import { childEnv, freePort } from './gateway-process.js'
import { clawnodeVersion, pinnedOpenclawVersion, readIndex } from './releases.js'
import { bootVps, copyDisk, dropDiskCopy, serverDirOf } from './vps/boot.js'
import { installShims } from './vps/shims.js'

async function portFor(nodeDir: string): Promise<number> {
  const file = join(nodeDir, 'user-gateway.port')
  if (existsSync(file)) return Number(readFileSync(file, 'utf8'))
  const port = await freePort()
  writeFileSync(file, String(port))
  return port
}

/** Unpacks the pinned OpenClaw release once; an upgraded node keeps what it runs. */
export async function installPinnedOpenclaw(releasesDir: string, dir: string): Promise<void> {
  if (existsSync(join(dir, 'current'))) return
  const pinned = pinnedOpenclawVersion()
  const entry = readIndex(releasesDir)?.openclaw.find((e) => e.version === pinned)
  if (!entry) throw new Error(`the lab's release location has no OpenClaw ${pinned}`)
  const target = join(dir, 'versions', pinned)
  if (!unpacked(target, entry.sha256)) {
    mkdirSync(target, { recursive: true })
    const { extract } = await import('tar')
    await extract({ file: join(releasesDir, entry.path), cwd: target, strip: 1 })
    writeFileSync(join(target, '.clawnode-release'), `${entry.sha256}\n`)
  }
  symlinkSync(target, join(dir, 'current'))
}

/** gf-clawnode's first release on the server: this checkout, under its own version. */
export function installClawnode(dir: string): void {
  if (existsSync(join(dir, 'current'))) return
  const version = join(dir, 'versions', clawnodeVersion())
  mkdirSync(join(dir, 'versions'), { recursive: true })
  if (!existsSync(version)) symlinkSync(packageRoot(), version)
  symlinkSync(version, join(dir, 'current'))
}

/**
 * A server that stops takes every process of its machine with it. gf-clawnode stops its user
 * gateway when it shuts down, but one that was SIGKILLed (as the tests kill nodes) leaves it
 * running; the process service manager recorded its pid (service.pid), checked here by its cwd
 * against a reused pid.
 */
export function powerOff(g: { stateDir: string; cwd: string } | undefined): void {
  if (!g) return
  const pidFile = join(g.stateDir, 'service.pid')
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 1) return
  try {
    if (readlinkSync(`/proc/${pid}/cwd`) !== realpathSync(g.cwd)) return
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Gone already, or not ours.
  }
}

export interface LabDriverOptions {
  dir: string
  logger: Logger
  /** The lab tailnet's register endpoint (`tailscale up` on a lab server); unset: no tailnet. */
  tailscaleUrl?: () => string | undefined
}

export function clawnodeBootDriver(opts: LabDriverOptions): BootDriver {
  const supervisor = new ClawnodeSupervisor(opts.logger)
  const releasesDir = join(opts.dir, 'releases')
  const booting = new Map<string, AbortController>()
  const shims = installShims(join(opts.dir, 'shims'))
  const key = (s: BootServer) => `${s.provider}/${s.id}`

  // What each running server's user gateway is: its node's state dir (service.pid) and its cwd.
  const userGateways = new Map<string, { stateDir: string; cwd: string }>()

  const stopProcess = async (k: string) => {
    booting.get(k)?.abort()
    booting.delete(k)
    await supervisor.stop(k)
    powerOff(userGateways.get(k))
    userGateways.delete(k)
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
      const openclawDir = join(boot.dir, 'openclaw')
      // Where the unit's ExecStartPre points `current` on a VPS: at the release npm installed.
      const clawnodeDir = join(boot.root, CLAWNODE_ROOT)
      try {
        await installPinnedOpenclaw(releasesDir, openclawDir)
        installClawnode(clawnodeDir)
      } catch (err) {
        opts.logger.error(
          { server: k, err: (err as Error).message },
          'could not install OpenClaw or gf-clawnode',
        )
        return
      }
      const config = {
        ...node,
        log: { level: 'info', target: 'stderr' },
        service: {
          kind: 'process',
          // Relative to cwd: the symlink is followed when the process starts (after a swap, the new
          // release), and the command line names no server directory (tests find nodes by it).
          argv: [process.execPath, 'current/openclaw.mjs', 'gateway', 'run', '--port', String(port)],
          cwd: openclawDir,
          env: {
            OPENCLAW_CONFIG_PATH: node.userGateway.configPath,
            OPENCLAW_STATE_DIR: dirname(node.userGateway.configPath),
          },
          stopTimeoutMs: 2_000,
          autostart: userGatewayUp,
        },
        userGateway: {
          ...node.userGateway,
          url: `http://127.0.0.1:${port}`,
          // The lab's nodes run OpenClaw's validation with the pinned runtime/openclaw on this host.
          validator: { node: [process.execPath], openclaw: openclawBin() },
        },
        // Releases unpacked on the "host" instead of images pulled by Compose; shorter waits than a
        // real gateway needs (the stand-in is up in a second).
        openclaw: {
          install: { kind: 'releases', dir: openclawDir },
          readyTimeoutMs: 30_000,
          doctorTimeoutMs: 60_000,
          keepSnapshots: 2,
        },
        self: { ...node.self, dir: clawnodeDir, probationMs: 20_000 },
      }
      userGateways.set(k, { stateDir: node.stateDir, cwd: openclawDir })
      const configPath = join(boot.dir, 'config.json')
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
      supervisor.start(k, {
        // The V8 flag of the systemd unit on a VPS: a small young generation keeps an idle node lean.
        argv: [
          process.execPath,
          '--max-semi-space-size=1',
          join(clawnodeDir, 'current', 'bin', 'gf-clawnode.js'),
          'run',
          '--config',
          configPath,
        ],
        logFile: join(boot.dir, 'clawnode.log'),
        env: childEnv(),
        rollbackEnv: { GF_CLAWNODE_ROOT: clawnodeDir, GF_CLAWNODE_STATE: node.stateDir },
      })
      opts.logger.info(
        { server: k, pid: supervisor.pid(k), instanceId: node.instanceId },
        'booted gf-clawnode',
      )
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
      for (const c of booting.values()) c.abort()
      booting.clear()
      await supervisor.close()
      for (const g of userGateways.values()) powerOff(g)
      userGateways.clear()
    },
  }
}

/** The options both gf-clawnode drivers take from the lab process. */
export function labDriverOptions(ctx: BootDriverContext): LabDriverOptions {
  return { dir: ctx.dir, logger: ctx.logger, tailscaleUrl: ctx.tailscaleUrl }
}

registerBootDriver('clawnode', (ctx) => clawnodeBootDriver(labDriverOptions(ctx)))
