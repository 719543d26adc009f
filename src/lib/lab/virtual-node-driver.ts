/**
 * The lab's `clawnode-virtual` boot driver, for fleets too large for one process per server: every
 * server boots as a VPS does (vps/boot.ts: its user data runs, then what it enabled starts), and a
 * gf-clawnode unit left running becomes a virtual gf-clawnode inside the lab cloud process (the same
 * node code a swarm host runs: its own ed25519 identity, device token and gateway connection) with
 * the config file the unit names. Its user gateway is an in-process HTTP server with the
 * probe endpoints, started, stopped and restarted for real by the node's service manager, so
 * restarts, health checks and config pushes behave as with the process driver, at ~100 KB a node.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { buildRegistry } from '../../../clawnode/commands/index.js'
import type { CommandRegistry } from '../../../clawnode/commands/registry.js'
import { type ClawnodeConfig, parseConfig } from '../../../clawnode/config.js'
import { DEFAULT_MAX_HANDSHAKES, HandshakeGate } from '../../../clawnode/handshake-gate.js'
import { createNode, type RunningNode } from '../../../clawnode/node.js'
import { stopValidators } from '../../../clawnode/openclaw-validator.js'
import type { ServiceManager, ServiceStatus } from '../../../clawnode/service/manager.js'
import { openclawBin } from '../paths.js'
import { type LabDriverOptions, labDriverOptions } from './clawnode-boot-driver.js'
import type { BootDriver, BootServer } from './cloud/boot-driver.js'
import { registerBootDriver } from './cloud/boot-drivers.js'
import { bootVps, copyDisk, dropDiskCopy, labClawnodeConfig, serverDirOf } from './vps/boot.js'
import { installShims } from './vps/shims.js'

const VERSION = '0.1.0'

/** A user gateway stand-in living in this process: a real HTTP listener that can be stopped. */
class InProcessGateway implements ServiceManager {
  readonly kind = 'lab-virtual'
  private server: Server | null = null
  private readonly lines: string[] = []

  constructor(
    private readonly port: () => number,
    private readonly configPath: string,
    private readonly onPort: (port: number) => void,
  ) {}

  private log(line: string): void {
    this.lines.push(`${new Date().toISOString()} ${line}`)
    if (this.lines.length > 500) this.lines.shift()
  }

  async start(): Promise<void> {
    if (this.server) return
    // Like the real gateway, a config that does not parse keeps it from starting.
    JSON.parse(readFileSync(this.configPath, 'utf8'))
    const server = createServer((req, res) => {
      const ok = req.url === '/healthz' || req.url === '/readyz'
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
      res.end(JSON.stringify(ok ? { ok: true, ready: true, failing: [] } : { error: 'not found' }))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port(), '127.0.0.1', () => resolve())
    })
    this.onPort((server.address() as AddressInfo).port)
    this.server = server
    this.log('gateway started')
  }

  async stop(): Promise<void> {
    const s = this.server
    this.server = null
    if (s) await new Promise<void>((r) => s.close(() => r()))
    this.log('gateway stopped')
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  async status(): Promise<ServiceStatus> {
    return { kind: this.kind, state: this.server ? 'running' : 'stopped' }
  }

  async logs(lines: number): Promise<string[]> {
    return this.lines.slice(-lines)
  }

  async close(): Promise<void> {
    await this.stop()
  }
}

interface Running {
  node: RunningNode
  services: InProcessGateway
}

export function virtualNodeDriver(opts: LabDriverOptions): BootDriver {
  const running = new Map<string, Running>()
  const booting = new Map<string, AbortController>()
  // Servers stopped since their node last started: a restart in flight does not bring them back.
  const stopped = new Set<string>()
  const shims = installShims(join(opts.dir, 'shims'))
  let registry: CommandRegistry | undefined
  // One process hosting hundreds of nodes is a swarm: bound its handshakes in flight the same way.
  const handshakeGate = new HandshakeGate(DEFAULT_MAX_HANDSHAKES)
  const key = (s: BootServer) => `${s.provider}/${s.id}`

  const stopNode = async (k: string) => {
    booting.get(k)?.abort()
    booting.delete(k)
    const r = running.get(k)
    running.delete(k)
    if (!r) return
    await r.node.connection.stop()
    await r.services.close()
  }

  /** Runs what the server's machine starts (vps/boot.ts) and, if that is a gf-clawnode, its node. */
  const bootNode = async (server: BootServer): Promise<void> => {
    const k = key(server)
    const abort = new AbortController()
    booting.get(k)?.abort()
    booting.set(k, abort)
    const boot = await bootVps(opts.dir, server, {
      shims,
      tailscaleUrl: opts.tailscaleUrl?.(),
      signal: abort.signal,
    })
    if (booting.get(k) !== abort || !boot.clawnode) return
    const portFile = join(boot.dir, 'user-gateway.port')
    const savedPort = () => (existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : 0)
    const node = { config: undefined as ClawnodeConfig | undefined }
    const services = new InProcessGateway(savedPort, boot.clawnode.config.userGateway.configPath, (port) => {
      writeFileSync(portFile, String(port))
      if (node.config) node.config.userGateway.url = `http://127.0.0.1:${port}`
    })
    if (boot.clawnode.userGatewayUp) await services.start()
    if (booting.get(k) !== abort) return services.close()
    booting.delete(k)
    runNode(server, boot.root, boot.clawnode.configPath, boot.clawnode.config, services, node, savedPort)
  }

  /** Connects the server's gf-clawnode; a rejoin runs it again from its rewritten config file. */
  const runNode = (
    server: BootServer,
    root: string,
    configPath: string,
    machineConfig: ClawnodeConfig,
    services: InProcessGateway,
    node: { config: ClawnodeConfig | undefined },
    savedPort: () => number,
  ): void => {
    const k = key(server)
    const config = parseConfig({
      ...machineConfig,
      log: { level: 'info', target: 'off' },
      service: { kind: 'none' },
      userGateway: {
        ...machineConfig.userGateway,
        url: `http://127.0.0.1:${savedPort() || 9}`,
        // The lab's nodes run OpenClaw's validation with the pinned runtime/openclaw on this host.
        validator: { node: [process.execPath], openclaw: openclawBin() },
      },
    })
    node.config = config
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 })
    registry ??= buildRegistry(config)
    const logger = opts.logger.child({ instanceId: config.instanceId })
    const started = createNode({
      config,
      instanceId: config.instanceId,
      stateDir: config.stateDir,
      joinSecret: config.joinSecret,
      registry,
      services,
      handshakeGate,
      logger,
      version: VERSION,
      onFatal: (err) => logger.error({ err: String(err), server: k }, 'virtual node stopped'),
      configPath: join(root, configPath),
      // As a restarted gf-clawnode process would, the node comes back from its config file; the
      // user's gateway (another service) keeps running. Virtual nodes never get requestRestart: a
      // self-update would need another build of the node in this process.
      restartFromConfig: (why) => {
        const current = running.get(k)
        if (current?.node !== started) return
        running.delete(k)
        logger.info({ why }, 'virtual node restarting from its config')
        void started.connection.stop().then(() => {
          // Stopped, deleted or booted again meanwhile: this node does not come back.
          if (running.has(k) || booting.has(k) || stopped.has(k)) return void services.close()
          const next = labClawnodeConfig(root, configPath)
          if (typeof next === 'string') return logger.error({ why: next }, 'virtual node did not restart')
          runNode(server, root, configPath, next, services, node, savedPort)
        })
      },
    })
    stopped.delete(k)
    running.set(k, { node: started, services })
    started.connection.start()
  }

  return {
    name: 'clawnode-virtual',
    async start(server, signals) {
      // The provider reports the VM running once it is up; its user data runs after that.
      signals.ready()
      await bootNode(server)
    },
    async stop(server, ctx) {
      stopped.add(key(server))
      await stopNode(key(server))
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
      await Promise.all([...new Set([...running.keys(), ...booting.keys()])].map(stopNode))
      stopValidators()
    },
  }
}

registerBootDriver('clawnode-virtual', (ctx) => virtualNodeDriver(labDriverOptions(ctx)))
