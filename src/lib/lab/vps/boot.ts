/**
 * A lab server boots as a VPS does: the first time, its user data runs (first-boot.ts); every time,
 * the units enabled on it start again, through the same systemctl the user data called. What runs
 * afterwards is read from the machine, not from the user data: a gf-clawnode starts only when a
 * started unit runs the gf-clawnode an npm install put there, with the config file the unit names.
 * User data that is not clawops' (or does not get that far) boots a server without a node.
 *
 * The server's directory under the lab keeps its root (`root/`, the machine's `/`) and the lab's own
 * files about it (the node's log, the stand-in gateway's port); it outlives reboots and lab restarts
 * and is removed when the server is deleted.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ClawnodeConfig, ClawnodeConfigSchema } from '../../../../clawnode/config.js'
import { CLAWNODE_CURRENT_BIN, CLAWNODE_NPM_BIN } from '../../bootstrap/clawnode-service.js'
import type { BootServer } from '../cloud/boot-driver.js'
import { FIRST_BOOT_DONE, firstBoot, firstBootDone, runIn, type VpsEnv } from './first-boot.js'
import { LAB_STATE_DIR } from './shims.js'

export interface LabClawnode {
  /** The node's config as the unit's config file has it, paths mapped below the server's root. */
  config: ClawnodeConfig
  /** The unit's config file on the machine (`--config`): what `clawnode.rejoin` rewrites. */
  configPath: string
  /** The Compose project of the user's gateway was brought up (its service starts with the node). */
  userGatewayUp: boolean
}

export interface VpsBoot {
  dir: string
  root: string
  clawnode: LabClawnode | null
}

export function serverDirOf(labDir: string, s: BootServer): string {
  return join(labDir, 'nodes', `${s.provider}-${s.id}`)
}

/** Where a provider snapshot keeps its copy of a server's disk (its directory). */
export function snapshotDirOf(labDir: string, provider: string, snapshotId: string): string {
  return join(labDir, 'snapshots', `${provider}-${snapshotId}`)
}

/** A snapshot of the server's disk as it is now: its directory, copied. */
export function copyDisk(labDir: string, s: BootServer, snapshotId: string): void {
  const from = serverDirOf(labDir, s)
  if (existsSync(from)) cpSync(from, snapshotDirOf(labDir, s.provider, snapshotId), { recursive: true })
}

export function dropDiskCopy(labDir: string, provider: string, snapshotId: string): void {
  rmSync(snapshotDirOf(labDir, provider, snapshotId), { recursive: true, force: true })
}

const SYSTEMD_LOG = '/var/log/lab-systemd.log'
const UNIT_DIRS = ['/etc/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system']

function lines(path: string): string[] {
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : []
}

function unitFile(root: string, unit: string): string | null {
  for (const d of UNIT_DIRS) {
    const p = join(root, d, `${unit}.service`)
    if (existsSync(p)) return readFileSync(p, 'utf8')
  }
  return null
}

/** The gf-clawnode a started unit runs, read from the machine; null when it runs none. */
function clawnodeOf(root: string, unit: string, log: (line: string) => void): LabClawnode | null {
  const text = unitFile(root, unit)
  const exec = text && /^ExecStart=(.+)$/m.exec(text)?.[1]
  if (!exec) return null
  const argv = exec.trim().split(/\s+/)
  // The unit runs the release `current` points at; its ExecStartPre points it at what npm installed
  // (the lab's driver lays that first release down), so npm's gf-clawnode must be there.
  if (!argv.includes(CLAWNODE_NPM_BIN) && !argv.includes(CLAWNODE_CURRENT_BIN)) return null
  const missing = [argv[0]!, CLAWNODE_NPM_BIN].find((p) => !existsSync(join(root, p)))
  if (missing) {
    log(`${unit}.service: Failed at step EXEC spawning ${argv[0]}: ${missing}: No such file or directory`)
    return null
  }
  const at = argv.indexOf('--config')
  const configPath = (at >= 0 ? argv[at + 1] : undefined) ?? '/etc/gf-clawnode/config.json'
  const config = labClawnodeConfig(root, configPath)
  if (typeof config === 'string') {
    log(`${unit}.service: gf-clawnode: ${config}`)
    return null
  }
  const composeUp = lines(join(root, LAB_STATE_DIR, 'compose'))
  return {
    config,
    configPath,
    userGatewayUp: config.service.kind === 'compose' ? composeUp.includes(config.service.composeFile) : true,
  }
}

/**
 * gf-clawnode's config file on the machine, its paths mapped below the server's root; what is wrong
 * with it otherwise. Read at boot, and again when the node restarts on a rewritten one (a rejoin).
 */
export function labClawnodeConfig(root: string, configPath: string): ClawnodeConfig | string {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(join(root, configPath), 'utf8'))
  } catch (err) {
    return `cannot read ${configPath}: ${(err as Error).message}`
  }
  const parsed = ClawnodeConfigSchema.safeParse(raw)
  if (!parsed.success) return `invalid config ${configPath}`
  const c = parsed.data
  const below = (p: string) => join(root, p)
  return {
    ...c,
    stateDir: below(c.stateDir),
    userGateway: { ...c.userGateway, configPath: below(c.userGateway.configPath) },
    sshdConfigPath: below(c.sshdConfigPath),
  }
}

/** What the provider's OS image has before any user data runs. */
function baseImage(root: string, server: BootServer): void {
  for (const d of ['etc/ssh', 'root', 'tmp', 'var/log']) mkdirSync(join(root, d), { recursive: true })
  const file = (path: string, content: string) => {
    if (!existsSync(join(root, path))) writeFileSync(join(root, path), content)
  }
  file('etc/hostname', `${server.name}\n`)
  file('etc/ssh/sshd_config', 'PermitRootLogin prohibit-password\nPasswordAuthentication no\n')
}

/**
 * Boots the server's machine: the user data the first time, then the enabled units. Returns what
 * the lab must run for it (its gf-clawnode, if any).
 */
export async function bootVps(
  labDir: string,
  server: BootServer,
  env: Omit<VpsEnv, 'root'>,
): Promise<VpsBoot> {
  const dir = serverDirOf(labDir, server)
  const root = join(dir, 'root')
  const v: VpsEnv = { ...env, root }
  // Kernel state (running units, firewall rules) does not survive a boot.
  rmSync(join(root, LAB_STATE_DIR, 'run'), { recursive: true, force: true })
  mkdirSync(join(root, LAB_STATE_DIR, 'run'), { recursive: true })
  if (!firstBootDone(root)) {
    baseImage(root, server)
    await firstBoot(v, server.provider, server.userData)
  } else {
    const enabled = lines(join(root, LAB_STATE_DIR, 'enabled'))
    // Docker first: the units clawops writes are ordered after it.
    const order = [...enabled.filter((u) => u === 'docker'), ...enabled.filter((u) => u !== 'docker')]
    for (const unit of order) await runIn(v, ['systemctl', 'start', unit], SYSTEMD_LOG)
  }
  if (env.signal?.aborted || !existsSync(join(root, FIRST_BOOT_DONE))) return { dir, root, clawnode: null }
  const log = (line: string) => {
    mkdirSync(join(root, 'var', 'log'), { recursive: true })
    appendFileSync(join(root, SYSTEMD_LOG), `${line}\n`)
  }
  for (const unit of lines(join(root, LAB_STATE_DIR, 'run', 'started'))) {
    const node = clawnodeOf(root, unit, log)
    if (node) return { dir, root, clawnode: node }
  }
  return { dir, root, clawnode: null }
}
