/**
 * The lab's `clawnode` boot driver: a created server "boots" by reading its cloud-init user data
 * exactly as a VPS would (parseCloudInit), and starting a real gf-clawnode process with the node
 * config found there. What differs from a VPS is only what cannot exist on one machine: the node's
 * state dir lives under the lab, and the user's OpenClaw gateway is a stand-in process (see
 * stand-in-gateway.main.ts) run by the node's process service manager instead of Docker Compose.
 *
 * A node dir outlives reboots and lab restarts (same identity, same device token, so the node
 * reconnects without being paired again); it is removed when the server is deleted.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { packageRoot } from '../paths.js'
import type { BootDriver, BootServer } from './cloud/boot-driver.js'
import { registerBootDriver } from './cloud/boot-drivers.js'
import { childEnv, freePort } from './gateway-process.js'
import { copyDisk, dropDiskCopy, nodeDirOf, prepareNodeHome } from './node-home.js'

const STOP_GRACE_MS = 5_000

async function portFor(nodeDir: string): Promise<number> {
  const file = join(nodeDir, 'user-gateway.port')
  if (existsSync(file)) return Number(readFileSync(file, 'utf8'))
  const port = await freePort()
  writeFileSync(file, String(port))
  return port
}

export function clawnodeBootDriver(opts: { dir: string; logger: Logger }): BootDriver {
  const running = new Map<string, ChildProcess>()
  const key = (s: BootServer) => `${s.provider}/${s.id}`

  const stopProcess = async (k: string) => {
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
      const home = prepareNodeHome(opts.dir, server, signals)
      if (!home) return
      const { boot, nodeDir, userConfig } = home
      const port = await portFor(nodeDir)
      const config = {
        ...boot.clawnode,
        stateDir: join(nodeDir, 'state'),
        log: { level: 'info', target: 'stderr' },
        service: {
          kind: 'process',
          argv: [
            process.execPath,
            join(packageRoot(), 'dist', 'src', 'lib', 'lab', 'stand-in-gateway.main.js'),
            '--port',
            String(port),
          ],
          env: { OPENCLAW_CONFIG_PATH: userConfig },
          stopTimeoutMs: 2_000,
          autostart: true,
        },
        userGateway: {
          ...boot.clawnode.userGateway,
          url: `http://127.0.0.1:${port}`,
          configPath: userConfig,
        },
        sshdConfigPath: join(nodeDir, 'sshd_config'),
      }
      if (!existsSync(config.sshdConfigPath))
        writeFileSync(config.sshdConfigPath, 'PermitRootLogin prohibit-password\nPasswordAuthentication no\n')
      const configPath = join(nodeDir, 'config.json')
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
      const out = openSync(join(nodeDir, 'clawnode.log'), 'a')
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
      running.set(key(server), child)
      child.once('exit', (code, signal) => {
        if (running.get(key(server)) === child) {
          running.delete(key(server))
          opts.logger.warn({ server: key(server), code, signal }, 'gf-clawnode exited')
        }
      })
      opts.logger.info(
        { server: key(server), pid: child.pid, instanceId: boot.clawnode.instanceId },
        'booted gf-clawnode',
      )
      // The OS is up once the agent process runs; joining the gateway is the node's business.
      signals.ready()
    },
    async stop(server, ctx) {
      await stopProcess(key(server))
      // Deleted or reinstalled: the disk is gone.
      if (ctx.reason === 'delete' || ctx.reason === 'reinstall')
        rmSync(nodeDirOf(opts.dir, server), { recursive: true, force: true })
    },
    snapshot(server, snapshotId) {
      copyDisk(opts.dir, server, snapshotId)
    },
    dropSnapshot(provider, snapshotId) {
      dropDiskCopy(opts.dir, provider, snapshotId)
    },
    async close() {
      await Promise.all([...running.keys()].map(stopProcess))
    },
  }
}

registerBootDriver('clawnode', (ctx) => clawnodeBootDriver({ dir: ctx.dir, logger: ctx.logger }))
