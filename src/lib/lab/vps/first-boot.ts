/**
 * A lab server's first boot: its user data run once, the way its provider's VPS runs it, inside the
 * server's root directory with the lab's system commands (shims.ts) first on the PATH.
 *
 * - Hostinger saves the post-install script as /post_install, executable, and runs it; its output
 *   goes to /post_install.log. The kernel needs a shebang: without one the exec fails (ENOEXEC,
 *   logged there) and the VM runs with nothing set up.
 * - Everyone else boots cloud-init: `#cloud-config` is read as cloud-init does (hostname,
 *   write_files, package_update/packages, runcmd as one sh script; other modules are ignored),
 *   `#!` user data is run as a script; output goes to /var/log/cloud-init-output.log. User data
 *   cloud-init cannot read (YAML that does not parse, a format it does not handle) is logged and
 *   skipped.
 *
 * Whatever the user data does or fails to do, the server itself boots: that is what a VPS does.
 */
import { spawn } from 'node:child_process'
import { appendFileSync, chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parse } from 'yaml'
import type { Provider } from '../../domain/provider.js'
import { LAB_STATE_DIR } from './shims.js'

export interface VpsEnv {
  /** The server's root directory (its `/`). */
  root: string
  /** The lab's shim directory. */
  shims: string
  /** The lab tailnet's register endpoint, for `tailscale up`; unset: the lab has no tailnet. */
  tailscaleUrl?: string
  signal?: AbortSignal
}

/** How long a setup script may run before the lab gives up on it (a real VPS would wait forever). */
const SCRIPT_TIMEOUT_MS = 10 * 60_000

export const FIRST_BOOT_DONE = `${LAB_STATE_DIR}/first-boot-done`

export function firstBootDone(root: string): boolean {
  return existsSync(join(root, FIRST_BOOT_DONE))
}

function envOf(v: VpsEnv): NodeJS.ProcessEnv {
  return {
    PATH: `${v.shims}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: join(v.root, 'root'),
    LANG: 'C.UTF-8',
    CLAWOPS_BOOTSTRAP_ROOT: v.root,
    CLAWOPS_LAB_NODE: process.execPath,
    ...(v.tailscaleUrl ? { CLAWOPS_LAB_TAILSCALE_URL: v.tailscaleUrl } : {}),
  }
}

/** Runs one program in the server's root, its output appended to `log` (a path below the root). */
export function runIn(v: VpsEnv, argv: string[], log: string): Promise<number> {
  if (v.signal?.aborted) return Promise.resolve(130)
  const logPath = join(v.root, log)
  mkdirSync(dirname(logPath), { recursive: true })
  const fd = openSync(logPath, 'a')
  return new Promise<number>((resolve) => {
    let settled = false
    const done = (code: number) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      closeSync(fd)
      resolve(code)
    }
    // Its own process group, so a stop takes the script's children (the shims) down with it.
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: v.root,
      env: envOf(v),
      stdio: ['ignore', fd, fd],
      detached: true,
    })
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(kill, SCRIPT_TIMEOUT_MS)
    timer.unref()
    v.signal?.addEventListener('abort', kill, { once: true })
    child.once('error', (err) => {
      appendFileSync(logPath, `${argv[0]}: ${err.message}\n`)
      done(126)
    })
    child.once('exit', (code, signal) => {
      v.signal?.removeEventListener('abort', kill)
      done(code ?? (signal ? 128 : 1))
    })
  })
}

function note(v: VpsEnv, log: string, line: string): void {
  const path = join(v.root, log)
  mkdirSync(dirname(path), { recursive: true })
  appendFileSync(path, `${line}\n`)
}

/** A file's content written below the root with exactly `mode`. */
function writeBelow(
  root: string,
  path: string,
  content: string | Buffer,
  mode: number,
  append = false,
): void {
  const dest = join(root, path)
  mkdirSync(dirname(dest), { recursive: true })
  if (append) appendFileSync(dest, content)
  else writeFileSync(dest, content)
  chmodSync(dest, mode)
}

const OUTPUT_LOG = '/var/log/cloud-init-output.log'

/** A runcmd entry as cloud-init writes it into its script: strings verbatim, lists shell-quoted. */
function shellLine(entry: unknown): string | null {
  if (typeof entry === 'string') return entry
  if (Array.isArray(entry) && entry.every((x) => typeof x === 'string'))
    return entry.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return null
}

async function runCloudConfig(v: VpsEnv, text: string): Promise<void> {
  let doc: Record<string, unknown>
  try {
    const parsed: unknown = parse(text)
    doc =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {}
  } catch (err) {
    note(v, OUTPUT_LOG, `cloud-init: Failed loading yaml blob: ${(err as Error).message.split('\n')[0]}`)
    return
  }
  if (typeof doc.hostname === 'string')
    await runIn(v, ['hostnamectl', 'set-hostname', doc.hostname], OUTPUT_LOG)
  const files = Array.isArray(doc.write_files) ? (doc.write_files as Record<string, unknown>[]) : []
  const write = (deferred: boolean) => {
    for (const f of files) {
      if (!f || typeof f.path !== 'string' || Boolean(f.defer) !== deferred) continue
      const raw = typeof f.content === 'string' ? f.content : ''
      const b64 = f.encoding === 'b64' || f.encoding === 'base64'
      const mode = typeof f.permissions === 'string' ? Number.parseInt(f.permissions, 8) : 0o644
      writeBelow(
        v.root,
        f.path,
        b64 ? Buffer.from(raw, 'base64') : raw,
        Number.isNaN(mode) ? 0o644 : mode,
        f.append === true,
      )
    }
  }
  write(false)
  const packages = Array.isArray(doc.packages)
    ? doc.packages.filter((p): p is string => typeof p === 'string')
    : []
  if (doc.package_update === true || doc.package_upgrade === true || packages.length > 0)
    await runIn(v, ['apt-get', 'update'], OUTPUT_LOG)
  if (packages.length > 0) {
    await runIn(
      v,
      [
        'apt-get',
        '--option=Dpkg::Options::=--force-confold',
        '--assume-yes',
        '--quiet',
        'install',
        ...packages,
      ],
      OUTPUT_LOG,
    )
  }
  write(true)
  const runcmd = Array.isArray(doc.runcmd) ? doc.runcmd.map(shellLine).filter((l) => l !== null) : []
  if (runcmd.length > 0) {
    const script = '/var/lib/cloud/instance/scripts/runcmd'
    writeBelow(v.root, script, `#!/bin/sh\n${runcmd.join('\n')}\n`, 0o700)
    const code = await runIn(v, ['/bin/sh', join(v.root, script)], OUTPUT_LOG)
    if (code !== 0) note(v, OUTPUT_LOG, `cloud-init: runcmd failed (exit ${code})`)
  }
}

async function runScript(v: VpsEnv, path: string, text: string, log: string): Promise<void> {
  writeBelow(v.root, path, text, 0o755)
  if (!text.startsWith('#!')) {
    note(v, log, `${path}: Exec format error (no #! line)`)
    return
  }
  const code = await runIn(v, [join(v.root, path)], log)
  if (code !== 0) note(v, log, `${path} exited ${code}`)
}

/** Runs the server's user data once; a later boot finds it done and only starts what is enabled. */
export async function firstBoot(v: VpsEnv, provider: Provider, userData: string | null): Promise<void> {
  if (userData !== null) {
    if (provider === 'hostinger') await runScript(v, '/post_install', userData, '/post_install.log')
    else if (userData.startsWith('#cloud-config')) await runCloudConfig(v, userData)
    else if (userData.startsWith('#!'))
      await runScript(v, '/var/lib/cloud/instance/scripts/part-001', userData, OUTPUT_LOG)
    else note(v, OUTPUT_LOG, 'cloud-init: Unhandled non-multipart (text/x-not-multipart) userdata')
  }
  if (v.signal?.aborted) return
  writeBelow(v.root, FIRST_BOOT_DONE, `${new Date().toISOString()}\n`, 0o644)
}
