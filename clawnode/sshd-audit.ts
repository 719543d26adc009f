/**
 * Reads sshd's effective global settings the way sshd does (first value wins, `Include` expanded in
 * place, `Match` blocks are conditional and so not global) and grades the ones that matter for an
 * internet-facing VPS.
 */
import { glob, readFile } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'

const KEYS = [
  'port',
  'permitrootlogin',
  'passwordauthentication',
  'kbdinteractiveauthentication',
  'challengeresponseauthentication',
  'pubkeyauthentication',
  'permitemptypasswords',
  'x11forwarding',
  'maxauthtries',
  'allowusers',
  'allowgroups',
] as const

/** sshd's compiled-in defaults (OpenSSH 9.x) for the keys we grade. */
const DEFAULTS: Record<string, string> = {
  port: '22',
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  kbdinteractiveauthentication: 'yes',
  pubkeyauthentication: 'yes',
  permitemptypasswords: 'no',
  x11forwarding: 'no',
  maxauthtries: '6',
}

export interface SshFinding {
  severity: 'critical' | 'high' | 'warning'
  setting: string
  value: string
  message: string
}

async function collect(
  path: string,
  into: Map<string, string>,
  files: string[],
  depth: number,
): Promise<void> {
  if (depth > 8) return
  const text = await readFile(path, 'utf8')
  files.push(path)
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line) continue
    const m = /^(\S+)\s*(?:=\s*|\s+)(.*)$/.exec(line)
    if (!m) continue
    const key = m[1]!.toLowerCase()
    const value = m[2]!.trim()
    if (key === 'match') return // everything after a Match line is conditional
    if (key === 'include') {
      for (const pattern of value.split(/\s+/)) {
        const abs = isAbsolute(pattern) ? pattern : join(dirname(path), pattern)
        const matches: string[] = []
        for await (const f of glob(abs)) matches.push(f)
        for (const f of matches.sort()) await collect(f, into, files, depth + 1).catch(() => {})
      }
      continue
    }
    if ((KEYS as readonly string[]).includes(key) && !into.has(key)) into.set(key, value)
  }
}

export async function auditSshd(configPath: string) {
  const explicit = new Map<string, string>()
  const files: string[] = []
  await collect(configPath, explicit, files, 0)
  const effective: Record<string, string> = { ...DEFAULTS, ...Object.fromEntries(explicit) }
  const findings: SshFinding[] = []
  const v = (k: string) => (effective[k] ?? '').toLowerCase()
  if (v('permitemptypasswords') === 'yes') {
    findings.push({
      severity: 'critical',
      setting: 'PermitEmptyPasswords',
      value: 'yes',
      message: 'accounts with empty passwords can log in',
    })
  }
  if (v('permitrootlogin') === 'yes') {
    findings.push({
      severity: 'high',
      setting: 'PermitRootLogin',
      value: 'yes',
      message: 'root can log in with a password',
    })
  }
  if (v('passwordauthentication') === 'yes') {
    findings.push({
      severity: 'warning',
      setting: 'PasswordAuthentication',
      value: 'yes',
      message: explicit.has('passwordauthentication')
        ? 'password logins are enabled'
        : 'password logins are enabled (sshd default)',
    })
  }
  if (v('pubkeyauthentication') === 'no') {
    findings.push({
      severity: 'warning',
      setting: 'PubkeyAuthentication',
      value: 'no',
      message: 'key logins are disabled',
    })
  }
  if (v('x11forwarding') === 'yes') {
    findings.push({
      severity: 'warning',
      setting: 'X11Forwarding',
      value: 'yes',
      message: 'X11 forwarding is enabled',
    })
  }
  const rank = { critical: 0, high: 1, warning: 2 }
  findings.sort((a, b) => rank[a.severity] - rank[b.severity])
  return { files, settings: effective, explicit: [...explicit.keys()], findings, ok: findings.length === 0 }
}

/** Counts key lines in an authorized_keys file; undefined when it cannot be read. */
export async function countAuthorizedKeys(path: string): Promise<number | undefined> {
  try {
    const text = await readFile(path, 'utf8')
    return text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length
  } catch {
    return undefined
  }
}
