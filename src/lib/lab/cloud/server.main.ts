/**
 * The lab cloud as its own process (built to dist/src/lib/lab/cloud/server.main.js).
 *
 *   node dist/src/lib/lab/cloud/server.main.js [--port N] [--host H] [--dir D] [--driver NAME]
 *        [--boot-ms N] [--action-ms N] [--delete-ms N] [--credentials FILE]
 *
 * Defaults come from CLAWOPS_LAB_CLOUD_PORT (0: any free port), CLAWOPS_LAB_CLOUD_HOST (127.0.0.1)
 * CLAWOPS_LAB_CLOUD_DIR ($CLAWOPS_HOME/lab/cloud) and CLAWOPS_LAB_CLOUD_DRIVER (instant; see
 * boot-drivers.ts for how another driver registers). When listening it prints one JSON line on
 * stdout — {"event":"ready","pid":…,"dir":…,"url":…,"control":…,"hetzner":{"baseUrl","statusUrl"},
 * …,"contabo":{…,"authUrl"}} — and nothing else. It serves the lab's release location at /_releases/
 * (built into <dir>/releases at start, see ../releases.ts). SIGTERM or SIGINT closes it cleanly (state flushed,
 * exit 0). Logs go to <dir>/logs/lab-cloud.log (CLAWOPS_LOG=stderr to see them).
 *
 * The credentials each provider API accepts come from FILE (default <dir>/credentials.json, JSON as
 * in credentials.ts); when it does not exist, fresh ones are generated and written there (mode 0600),
 * never printed. CLAWOPS_LAB_TAILSCALE_CREDENTIALS names a JSON file with the Tailscale API
 * credentials the lab's tailnet accepts ({"apiKey"} and/or {"oauthClientId","oauthClientSecret"}).
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createLogger } from '../../log.js'
import { ensureLabReleases } from '../releases.js'
// Registers the `clawnode` driver (real gf-clawnode processes booted from cloud-init).
import '../clawnode-boot-driver.js'
// Registers `clawnode-virtual` (virtual gf-clawnodes inside this process, for large lab fleets).
import '../virtual-node-driver.js'
import { createBootDriver } from './boot-drivers.js'
import { loadOrCreateCredentials } from './credentials.js'
import { DEFAULT_TIMINGS } from './engine.js'
import { type LabCloud, startLabCloud } from './lab-cloud.js'
import type { TailscaleCredentials } from './tailscale-api.js'

function intOf(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`)
  return n
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      dir: { type: 'string' },
      'boot-ms': { type: 'string' },
      'action-ms': { type: 'string' },
      'delete-ms': { type: 'string' },
      driver: { type: 'string' },
      credentials: { type: 'string' },
    },
    strict: true,
  })
  const env = process.env
  const home = env.CLAWOPS_HOME ?? join(homedir(), '.clawops')
  const dir = values.dir ?? env.CLAWOPS_LAB_CLOUD_DIR ?? join(home, 'lab', 'cloud')
  const logger = createLogger({ home: dir, name: 'lab-cloud' })
  const timings = {
    ...(intOf('boot-ms', values['boot-ms']) === undefined
      ? {}
      : { bootMs: intOf('boot-ms', values['boot-ms'])! }),
    ...(intOf('action-ms', values['action-ms']) === undefined
      ? {}
      : { actionMs: intOf('action-ms', values['action-ms'])! }),
    ...(intOf('delete-ms', values['delete-ms']) === undefined
      ? {}
      : { deleteMs: intOf('delete-ms', values['delete-ms'])! }),
  }
  // The release location the lab serves (OpenClaw builds, gf-clawnode releases); servers boot the
  // pinned OpenClaw from it.
  const releasesDir = join(dir, 'releases')
  await ensureLabReleases(releasesDir)
  let lab: LabCloud | undefined
  const driver = await createBootDriver(values.driver ?? env.CLAWOPS_LAB_CLOUD_DRIVER ?? 'instant', {
    dir,
    timings: { ...DEFAULT_TIMINGS, ...timings },
    logger,
    tailscaleUrl: () => lab?.endpoints.tailscale.registerUrl,
  })
  const credentials = loadOrCreateCredentials(values.credentials ?? join(dir, 'credentials.json'))
  const tsFile = env.CLAWOPS_LAB_TAILSCALE_CREDENTIALS
  const tailscale = tsFile ? (JSON.parse(readFileSync(tsFile, 'utf8')) as TailscaleCredentials) : undefined
  lab = await startLabCloud({
    dir,
    driver,
    credentials,
    host: values.host ?? env.CLAWOPS_LAB_CLOUD_HOST ?? '127.0.0.1',
    port: intOf('port', values.port ?? env.CLAWOPS_LAB_CLOUD_PORT) ?? 0,
    timings,
    logger,
    releasesDir,
    ...(tailscale ? { tailscale } : {}),
  })
  const running = lab
  let closing = false
  const stop = (signal: string) => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'lab cloud stopping')
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'lab cloud did not close cleanly')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, dir, ...running.endpoints })}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`lab cloud failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
