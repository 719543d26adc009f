/**
 * gf-clawnode's entry point.
 *
 *   gf-clawnode [run] --config <file>            one node (the VPS agent)
 *   gf-clawnode swarm --count N --config <file>  N virtual nodes in one process (load tests, lab)
 *   gf-clawnode identity --config <file>         print this node's device id (creates the identity)
 *
 * Exit codes: 0 clean shutdown, 2 usage, 3 invalid config or identity, 4 the gateway speaks another
 * protocol version, 75 a restart into a new release (self-update), 1 anything unexpected (also a new
 * release that did not join the gateway in time).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { loadOrCreateIdentity } from '../src/lib/gateway/device-identity.js'
import { createLogger, type Logger } from '../src/lib/log.js'
import { packageRoot } from '../src/lib/paths.js'
import { buildRegistry } from './commands/index.js'
import { type ClawnodeConfig, ConfigError, loadConfig } from './config.js'
import { DEFAULT_MAX_HANDSHAKES, HandshakeGate } from './handshake-gate.js'
import type { RunningNode } from './node.js'
import { createNode } from './node.js'
import { recoverInterruptedUpgrades } from './openclaw-upgrade.js'
import { stopValidators } from './openclaw-validator.js'
import { EXIT_RESTART, startProbation } from './self-update.js'
import { createServiceManager } from './service/manager.js'
import { StatusFile } from './status-file.js'
import { startSwarm } from './swarm.js'

const EXIT = { ok: 0, internal: 1, usage: 2, config: 3, protocol: 4 } as const

const USAGE = `usage:
  gf-clawnode [run] --config <file>
  gf-clawnode swarm --count <n> [--ramp <nodes/s>] [--max-handshakes <n>] [--bootstrap-tokens <file>] --config <file>
  gf-clawnode identity --config <file>
  gf-clawnode --version
The config file defaults to $GF_CLAWNODE_CONFIG or /etc/gf-clawnode/config.json.`

function version(): string {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version
  } catch {
    return '0.0.0'
  }
}

const BootstrapTokensSchema = z.array(z.string().min(1))

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

function fail(code: number, message: string): number {
  process.stderr.write(`gf-clawnode: ${message}\n`)
  return code
}

function makeLogger(config: ClawnodeConfig): Logger {
  return createLogger({
    home: config.stateDir,
    name: 'gf-clawnode',
    level: config.log.level,
    target: config.log.target,
  })
}

interface SwarmArgs {
  count: number
  rampPerSec: number
  maxHandshakes: number
  bootstrapTokens: string[] | undefined
}

/** Runs one node, or a swarm; resolves when the process should exit, with the exit code. */
async function runNodes(config: ClawnodeConfig, swarm?: SwarmArgs, configPath?: string): Promise<number> {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 })
  const logger = makeLogger(config)
  const ver = version()
  const services = createServiceManager(config)
  const registry = buildRegistry(config)
  let exitCode: number = EXIT.ok
  let resolveDone!: () => void
  const done = new Promise<void>((r) => {
    resolveDone = r
  })

  let nodes: readonly RunningNode[] = []
  const status = new StatusFile(config.stateDir, () => nodes, swarm ? 'swarm' : 'single')
  let stopping = false
  const shutdown = async (code: number, why: string) => {
    if (stopping) return
    stopping = true
    exitCode = code
    logger.info({ why, nodes: nodes.length }, 'shutting down')
    await Promise.allSettled(nodes.map((n) => n.connection.stop()))
    stopValidators()
    await services
      .close()
      .catch((err: Error) => logger.warn({ err: err.message }, 'service manager did not stop cleanly'))
    status.write()
    resolveDone()
  }
  const onFatal = (err: Error) => {
    void shutdown(EXIT.protocol, err.message)
    process.stderr.write(`gf-clawnode: ${err.message}\n`)
  }
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) process.exit(130)
    void shutdown(EXIT.ok, sig)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  const autostart = async () => {
    if (config.service.kind === 'process' && config.service.autostart) {
      await services
        .start({ timeoutMs: 30_000 })
        .catch((err: Error) => logger.error({ err: err.message }, 'user gateway did not start'))
    }
  }

  if (!swarm) {
    const nodeLogger = logger.child({ instanceId: config.instanceId })
    let probation: { joined(): void } | null = null
    const node = createNode({
      config,
      instanceId: config.instanceId,
      stateDir: config.stateDir,
      joinSecret: config.joinSecret,
      registry,
      services,
      logger: nodeLogger,
      version: ver,
      onFatal,
      onState: (state) => {
        if (state === 'connected') probation?.joined()
        status.schedule()
      },
      requestRestart: (why) => void shutdown(EXIT_RESTART, why),
      restartFromConfig: (why) => void shutdown(EXIT_RESTART, why),
      ...(configPath ? { configPath } : {}),
    })
    nodes = [node]
    // An upgrade of the user's OpenClaw that a dead process left in the middle is rolled back first.
    const recovered = await recoverInterruptedUpgrades(node.context)
    for (const r of recovered)
      nodeLogger.warn({ key: r.key, outcome: r.outcome }, 'settled an interrupted OpenClaw upgrade')
    await autostart()
    probation = startProbation(config, ver, nodeLogger, (why) => {
      nodeLogger.error(
        { why },
        'the new release did not join; exiting so the service manager can put the previous one back',
      )
      void shutdown(EXIT.internal, why)
    })
    status.write()
    node.connection.start()
  } else {
    await autostart()
    nodes = await startSwarm({
      config,
      count: swarm.count,
      rampPerSec: swarm.rampPerSec,
      handshakeGate: new HandshakeGate(swarm.maxHandshakes),
      bootstrapTokens: swarm.bootstrapTokens,
      registry,
      services,
      logger,
      version: ver,
      onFatal,
      onState: () => status.schedule(),
      isStopping: () => stopping,
    })
  }
  await done
  process.off('SIGTERM', onSignal)
  process.off('SIGINT', onSignal)
  return exitCode
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      count: { type: 'string', short: 'n' },
      ramp: { type: 'string' },
      'max-handshakes': { type: 'string' },
      'bootstrap-tokens': { type: 'string' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    return fail(EXIT.usage, `${(err as Error).message}\n${USAGE}`)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return EXIT.ok
  }
  if (values.version) {
    process.stdout.write(
      `gf-clawnode/${version()} ${process.platform}-${process.arch} node-${process.version}\n`,
    )
    return EXIT.ok
  }
  const sub = positionals[0] ?? 'run'
  if (!['run', 'swarm', 'identity'].includes(sub) || positionals.length > 1) {
    return fail(EXIT.usage, `unknown command: ${positionals.join(' ')}\n${USAGE}`)
  }
  const configPath = values.config ?? process.env.GF_CLAWNODE_CONFIG ?? '/etc/gf-clawnode/config.json'
  let config: ClawnodeConfig
  try {
    config = loadConfig(configPath)
  } catch (err) {
    if (err instanceof ConfigError) return fail(EXIT.config, err.message)
    throw err
  }

  try {
    if (sub === 'identity') {
      mkdirSync(config.stateDir, { recursive: true, mode: 0o700 })
      const { identity } = loadOrCreateIdentity(join(config.stateDir, 'identity.json'))
      process.stdout.write(
        `${JSON.stringify({ instanceId: config.instanceId, deviceId: identity.deviceId, publicKey: identity.publicKey })}\n`,
      )
      return EXIT.ok
    }
    if (sub === 'swarm') {
      const count = Number(values.count)
      if (!Number.isInteger(count) || count < 1 || count > 100_000) {
        return fail(EXIT.usage, '--count must be an integer from 1 to 100000')
      }
      const ramp = values.ramp === undefined ? 200 : Number(values.ramp)
      if (!Number.isFinite(ramp) || ramp <= 0) return fail(EXIT.usage, '--ramp must be a positive number')
      const maxHandshakes =
        values['max-handshakes'] === undefined ? DEFAULT_MAX_HANDSHAKES : Number(values['max-handshakes'])
      if (!Number.isInteger(maxHandshakes) || maxHandshakes < 1 || maxHandshakes > 10_000)
        return fail(EXIT.usage, '--max-handshakes must be an integer from 1 to 10000')
      let tokens: string[] | undefined
      if (values['bootstrap-tokens']) {
        const file = values['bootstrap-tokens']
        const parsed = BootstrapTokensSchema.safeParse(readJson(file))
        if (!parsed.success || parsed.data.length < count) {
          return fail(
            EXIT.config,
            `${file} must be a JSON array of at least ${count} bootstrap tokens (strings)`,
          )
        }
        tokens = parsed.data
      }
      return await runNodes(config, { count, rampPerSec: ramp, maxHandshakes, bootstrapTokens: tokens })
    }
    return await runNodes(config, undefined, configPath)
  } catch (err) {
    if ((err as Error).name === 'IdentityFileError') return fail(EXIT.config, (err as Error).message)
    return fail(EXIT.internal, `unexpected error: ${(err as Error).stack ?? String(err)}`)
  }
}
