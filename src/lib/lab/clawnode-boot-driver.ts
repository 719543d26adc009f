/**
 * The lab's `clawnode` boot driver: a created server "boots" by reading its cloud-init user data
 * exactly as a VPS would (parseCloudInit), and starting a real gf-clawnode process with the node
 * config found there. What differs from a VPS is only what cannot exist on one machine: the node's
 * state dir lives under the lab, and the user's OpenClaw gateway is a stand-in process (see
 * stand-in-gateway.main.ts) run by the node's process service manager instead of Docker Compose.
 *
 * Both are installed the way upgrades change them. The user's OpenClaw is the pinned release from the
 * lab's release location (releases.ts), unpacked into `<node>/openclaw/versions/<v>` with `current`
 * pointing at it, and the service runs `current/openclaw.mjs gateway run`: an upgrade swaps the files
 * and restarts the process, as on a host that installs releases. gf-clawnode runs from
 * `<node>/clawnode/current` (first this checkout, later releases it fetched itself) under a supervisor
 * that restarts it and runs the same rollback script as systemd on a VPS (clawnode-supervisor.ts).
 *
 * A node dir outlives reboots and lab restarts (same identity, same device token, so the node
 * reconnects without being paired again); it is removed when the server is deleted.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { unpacked } from '../../../clawnode/releases.js'
import { packageRoot } from '../paths.js'
import type { BootDriver, BootServer } from './cloud/boot-driver.js'
import { registerBootDriver } from './cloud/boot-drivers.js'
import { ClawnodeSupervisor } from './clawnode-supervisor.js'
import { childEnv, freePort } from './gateway-process.js'
import { nodeDirOf, prepareNodeHome } from './node-home.js'
import { clawnodeVersion, pinnedOpenclawVersion, readIndex } from './releases.js'

async function portFor(nodeDir: string): Promise<number> {
  const file = join(nodeDir, 'user-gateway.port')
  if (existsSync(file)) return Number(readFileSync(file, 'utf8'))
  const port = await freePort()
  writeFileSync(file, String(port))
  return port
}

/** Unpacks the pinned OpenClaw release once; an upgraded node keeps what it runs. */
async function installPinnedOpenclaw(releasesDir: string, dir: string): Promise<void> {
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
function installClawnode(dir: string): void {
  if (existsSync(join(dir, 'current'))) return
  const version = join(dir, 'versions', clawnodeVersion())
  mkdirSync(join(dir, 'versions'), { recursive: true })
  if (!existsSync(version)) symlinkSync(packageRoot(), version)
  symlinkSync(version, join(dir, 'current'))
}

export function clawnodeBootDriver(opts: { dir: string; logger: Logger }): BootDriver {
  const supervisor = new ClawnodeSupervisor(opts.logger)
  const releasesDir = join(opts.dir, 'releases')
  const key = (s: BootServer) => `${s.provider}/${s.id}`

  return {
    name: 'clawnode',
    async start(server, signals) {
      const home = prepareNodeHome(opts.dir, server, signals)
      if (!home) return
      const { boot, nodeDir, userConfig } = home
      const port = await portFor(nodeDir)
      const openclawDir = join(nodeDir, 'openclaw')
      const clawnodeDir = join(nodeDir, 'clawnode')
      const stateDir = join(nodeDir, 'state')
      try {
        await installPinnedOpenclaw(releasesDir, openclawDir)
        installClawnode(clawnodeDir)
      } catch (err) {
        signals.failed(`install: ${(err as Error).message}`)
        return
      }
      const config = {
        ...boot.clawnode,
        stateDir,
        log: { level: 'info', target: 'stderr' },
        service: {
          kind: 'process',
          // Relative to cwd: the symlink is followed when the process starts (after a swap, the new
          // release), and the command line names no node directory (tests find nodes by it).
          argv: [process.execPath, 'current/openclaw.mjs', 'gateway', 'run', '--port', String(port)],
          cwd: openclawDir,
          env: { OPENCLAW_CONFIG_PATH: userConfig, OPENCLAW_STATE_DIR: join(nodeDir, 'user') },
          stopTimeoutMs: 2_000,
          autostart: true,
        },
        userGateway: {
          ...boot.clawnode.userGateway,
          url: `http://127.0.0.1:${port}`,
          configPath: userConfig,
        },
        // Releases unpacked on the "host" instead of images pulled by Compose; shorter waits than a
        // real gateway needs (the stand-in is up in a second).
        openclaw: {
          install: { kind: 'releases', dir: openclawDir },
          readyTimeoutMs: 30_000,
          doctorTimeoutMs: 60_000,
          keepSnapshots: 2,
        },
        self: { dir: clawnodeDir, probationMs: 20_000 },
        sshdConfigPath: join(nodeDir, 'sshd_config'),
      }
      if (!existsSync(config.sshdConfigPath))
        writeFileSync(config.sshdConfigPath, 'PermitRootLogin prohibit-password\nPasswordAuthentication no\n')
      const configPath = join(nodeDir, 'config.json')
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
      supervisor.start(key(server), {
        // The V8 flag of the systemd unit on a VPS: a small young generation keeps an idle node lean.
        argv: [
          process.execPath,
          '--max-semi-space-size=1',
          join(clawnodeDir, 'current', 'bin', 'gf-clawnode.js'),
          'run',
          '--config',
          configPath,
        ],
        logFile: join(nodeDir, 'clawnode.log'),
        env: childEnv(),
        rollbackEnv: { GF_CLAWNODE_ROOT: clawnodeDir, GF_CLAWNODE_STATE: stateDir },
      })
      opts.logger.info(
        { server: key(server), pid: supervisor.pid(key(server)), instanceId: boot.clawnode.instanceId },
        'booted gf-clawnode',
      )
      // The OS is up once the agent process runs; joining the gateway is the node's business.
      signals.ready()
    },
    async stop(server, ctx) {
      await supervisor.stop(key(server))
      if (ctx.reason === 'delete') rmSync(nodeDirOf(opts.dir, server), { recursive: true, force: true })
    },
    async close() {
      await supervisor.close()
    },
  }
}

registerBootDriver('clawnode', (ctx) => clawnodeBootDriver({ dir: ctx.dir, logger: ctx.logger }))
