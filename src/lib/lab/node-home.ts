/**
 * What both lab boot drivers do first when a server boots: read its cloud-init user data as a VPS
 * would, and lay out the server's directory under the lab. The node's own state and the user's
 * gateway state live apart, as on a VPS (/var/lib/gf-clawnode vs /opt/openclaw/state): archives and
 * restores touch only the latter. The user's config is theirs after the first boot: pushes and
 * rollbacks change it, reboots keep it.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ParsedBootstrap, parseCloudInit } from '../bootstrap/cloud-init.js'
import type { BootServer, BootSignals } from './cloud/boot-driver.js'

export interface NodeHome {
  boot: ParsedBootstrap
  nodeDir: string
  stateDir: string
  userConfig: string
}

export function nodeDirOf(labDir: string, s: BootServer): string {
  return join(labDir, 'nodes', `${s.provider}-${s.id}`)
}

/** Where a provider snapshot keeps its copy of a server's disk (its node home). */
export function snapshotDirOf(labDir: string, provider: string, snapshotId: string): string {
  return join(labDir, 'snapshots', `${provider}-${snapshotId}`)
}

/** A snapshot of the server's disk as it is now: its node home, copied. */
export function copyDisk(labDir: string, s: BootServer, snapshotId: string): void {
  const from = nodeDirOf(labDir, s)
  if (existsSync(from)) cpSync(from, snapshotDirOf(labDir, s.provider, snapshotId), { recursive: true })
}

export function dropDiskCopy(labDir: string, provider: string, snapshotId: string): void {
  rmSync(snapshotDirOf(labDir, provider, snapshotId), { recursive: true, force: true })
}

/**
 * The server's node home, or null when there is no node to start: a server without clawops user data
 * boots a bare OS (reported running), and unreadable user data fails the boot.
 */
export function prepareNodeHome(labDir: string, server: BootServer, signals: BootSignals): NodeHome | null {
  if (!server.userData) {
    signals.ready()
    return null
  }
  let boot: ParsedBootstrap
  try {
    boot = parseCloudInit(server.userData)
  } catch (err) {
    signals.failed(`cloud-init: ${(err as Error).message}`)
    return null
  }
  const nodeDir = nodeDirOf(labDir, server)
  const stateDir = join(nodeDir, 'state')
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  mkdirSync(join(nodeDir, 'user'), { recursive: true, mode: 0o700 })
  const userConfig = join(nodeDir, 'user', 'openclaw.json')
  if (!existsSync(userConfig))
    writeFileSync(userConfig, `${JSON.stringify(boot.userConfig, null, 2)}\n`, { mode: 0o600 })
  return { boot, nodeDir, stateDir, userConfig }
}
