/**
 * The `clawops` an agent's exec tool finds first on its PATH (agents.entries.<id>.tools.exec
 * .pathPrepend): a tiny wrapper that pins who is acting and where the fleet is. The model can pass
 * environment variables to exec, so the wrapper sets CLAWOPS_ACTOR and CLAWOPS_HOME itself and drops
 * CLAWOPS_CONFIG; its allowlist refuses a `--as` for anyone else. It runs this clawops with the Node
 * that installed it (clawops needs Node 24; the gateway's PATH may hold an older one).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentName } from '../config/watch-settings.js'
import { packageRoot } from '../paths.js'

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export function wrapperScript(agent: AgentName, home: string, node = process.execPath): string {
  const bin = join(packageRoot(), 'bin', 'clawops.js')
  return [
    '#!/bin/sh',
    `# clawops for the ${agent} agent, written by \`clawops agents install\`: every command its exec`,
    `# tool runs acts as ${agent} on the fleet in this home, whatever the environment says.`,
    'unset CLAWOPS_CONFIG',
    `CLAWOPS_HOME=${q(home)}; export CLAWOPS_HOME`,
    `CLAWOPS_ACTOR=${agent}; export CLAWOPS_ACTOR`,
    `exec ${q(node)} ${q(bin)} "$@"`,
    '',
  ].join('\n')
}

export function wrapperPath(binDir: string): string {
  return join(binDir, 'clawops')
}

/** Whether the wrapper on disk differs from the one wanted. */
export function wrapperChanged(binDir: string, script: string): boolean {
  const p = wrapperPath(binDir)
  return !existsSync(p) || readFileSync(p, 'utf8') !== script
}

/** Writes the wrapper atomically (0755) when it differs; true when it wrote. */
export function writeWrapper(binDir: string, script: string): boolean {
  if (!wrapperChanged(binDir, script)) return false
  mkdirSync(binDir, { recursive: true, mode: 0o755 })
  const p = wrapperPath(binDir)
  const tmp = `${p}.${process.pid}.tmp`
  writeFileSync(tmp, script, { mode: 0o755 })
  chmodSync(tmp, 0o755)
  renameSync(tmp, p)
  return true
}
