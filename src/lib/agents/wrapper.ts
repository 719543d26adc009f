/**
 * The `clawops` an agent's exec tool finds first on its PATH (agents.entries.<id>.tools.exec
 * .pathPrepend): a tiny wrapper that pins who is acting and where the fleet is, and starts clawops
 * with a clean environment. The model can pass environment variables to exec: none of them reaches
 * clawops (no CLAWOPS_CONFIG, no provider base URL or credential, no gateway token), only the fixed
 * PATH, HOME and locale written here, the actor and the home. Credentials and endpoints come from the
 * home's config and its credential files. It runs this clawops with the Node that installed it
 * (clawops needs Node 24; the gateway's PATH may hold an older one).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { AgentName } from '../config/watch-settings.js'
import { packageRoot } from '../paths.js'

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export function wrapperScript(agent: AgentName, home: string, node = process.execPath): string {
  const bin = join(packageRoot(), 'bin', 'clawops.js')
  const path = [dirname(node), '/usr/local/bin', '/usr/bin', '/bin'].join(':')
  return [
    '#!/bin/sh',
    `# clawops for the ${agent} agent, written by \`clawops agents install\`: every command its exec`,
    `# tool runs acts as ${agent} on the fleet in this home, with no variable of the caller's.`,
    [
      'exec /usr/bin/env -i',
      `PATH=${q(path)}`,
      `HOME=${q(homedir())}`,
      'LANG=C.UTF-8',
      `CLAWOPS_HOME=${q(home)}`,
      `CLAWOPS_ACTOR=${agent}`,
      q(node),
      q(bin),
      '"$@"',
    ].join(' '),
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
