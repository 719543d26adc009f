/**
 * Which OpenClaw the user's service runs, and how another version gets there (`openclaw.install` in
 * the node's config):
 * - releases: each version unpacked from the operator's release location into `<dir>/versions/<v>`;
 *   `<dir>/current` is a symlink the service's argv goes through, swapped atomically. The files say
 *   the version (`current/package.json`).
 * - compose: the image tag is OPENCLAW_VERSION in the compose project's env file (the compose file
 *   reads `${OPENCLAW_VERSION}`); the new image is pulled before the swap.
 * Neither restarts anything: the upgrade stops and starts the service around the swap.
 */
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { NodeCommandError } from './commands/errors.js'
import type { ClawnodeConfig } from './config.js'
import { ensureRelease, releaseUrl, swapSymlink } from './releases.js'
import { runChecked } from './run.js'
import { checkVersion } from './service/version.js'

export interface PrepareResult {
  fetched: boolean
  bytes: number
  ms: number
}

export interface OpenclawInstaller {
  readonly kind: 'releases' | 'compose' | 'none'
  /** The version the installed files name (as written, possibly unparseable), or null. */
  installed(): string | null
  /** Gets `version` ready to activate without touching the running gateway. */
  prepare(
    version: string,
    sha256: string,
    opts: { signal: AbortSignal; timeoutMs: number },
  ): Promise<PrepareResult>
  /** Makes `version` the one the service starts next; returns what `restore` needs to undo it. */
  activate(version: string): string
  /** Puts back what `activate` replaced. */
  restore(previous: string): void
  /** OpenClaw's doctor in its non-interactive mode, as argv; null when this host has no way to run it. */
  doctorArgv(): string[] | null
  /** Environment for the doctor: the same config and state the gateway uses. */
  doctorEnv(): Record<string, string>
}

function unavailable(what: string): never {
  throw new NodeCommandError('UNAVAILABLE', `${what}: this node has no openclaw.install configured`)
}

/** The user's OpenClaw state directory (the folder of its config unless configured). */
export function userStateDir(config: ClawnodeConfig): string {
  return config.openclaw.stateDir ?? dirname(config.userGateway.configPath)
}

class ReleasesInstaller implements OpenclawInstaller {
  readonly kind = 'releases'
  private readonly current: string

  constructor(
    private readonly config: ClawnodeConfig,
    private readonly dir: string,
  ) {
    this.current = join(dir, 'current')
  }

  installed(): string | null {
    try {
      const v = JSON.parse(readFileSync(join(this.current, 'package.json'), 'utf8')).version
      return typeof v === 'string' ? v : null
    } catch {
      return null
    }
  }

  async prepare(version: string, sha256: string, opts: { signal: AbortSignal; timeoutMs: number }) {
    const base = this.config.releases?.url
    if (!base)
      throw new NodeCommandError(
        'UNAVAILABLE',
        'no release location (releases.url) is configured on this node',
      )
    const r = await ensureRelease(this.dir, version, releaseUrl(base, 'openclaw', version), sha256, opts)
    const named = this.versionOf(r.dir)
    if (named !== version) {
      throw new NodeCommandError(
        'INVALID_PARAMS',
        `the release for ${version} says it is ${named ?? 'no version'}; not installed`,
      )
    }
    return { fetched: r.fetched, bytes: r.bytes, ms: r.ms }
  }

  private versionOf(dir: string): string | null {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version ?? null
    } catch {
      return null
    }
  }

  activate(version: string): string {
    const target = join(this.dir, 'versions', checkVersion(version))
    if (!existsSync(target))
      throw new NodeCommandError('NOT_FOUND', `${version} is not unpacked on this node`)
    const previous = existsSync(this.current) ? resolve(this.dir, readlinkSync(this.current)) : ''
    swapSymlink(this.current, target)
    return previous
  }

  restore(previous: string): void {
    if (previous) swapSymlink(this.current, previous)
  }

  doctorArgv(): string[] {
    const argv = this.config.openclaw.doctorArgv ?? [
      process.execPath,
      '{current}/openclaw.mjs',
      'doctor',
      '--non-interactive',
    ]
    return argv.map((a) => a.replaceAll('{current}', this.current))
  }

  doctorEnv(): Record<string, string> {
    const svc = this.config.service
    return {
      ...(svc.kind === 'process' ? svc.env : {}),
      OPENCLAW_CONFIG_PATH: this.config.userGateway.configPath,
      OPENCLAW_STATE_DIR: userStateDir(this.config),
    }
  }
}

const ENV_LINE = /^OPENCLAW_VERSION=(.*)$/m

class ComposeInstaller implements OpenclawInstaller {
  readonly kind = 'compose'

  constructor(
    private readonly config: ClawnodeConfig,
    private readonly envFile: string,
  ) {}

  private compose(): { file: string; service: string; projectDir?: string } {
    const svc = this.config.service
    if (svc.kind !== 'compose') unavailable('openclaw.install compose needs a compose service')
    return {
      file: svc.composeFile,
      service: svc.service,
      ...(svc.projectDir ? { projectDir: svc.projectDir } : {}),
    }
  }

  private base(): string[] {
    const c = this.compose()
    return ['compose', '-f', c.file, ...(c.projectDir ? ['--project-directory', c.projectDir] : [])]
  }

  installed(): string | null {
    try {
      return ENV_LINE.exec(readFileSync(this.envFile, 'utf8'))?.[1]?.trim() ?? null
    } catch {
      return null
    }
  }

  async prepare(version: string, _sha256: string, opts: { signal: AbortSignal; timeoutMs: number }) {
    const t0 = Date.now()
    // The registry checks the image digest; the tag comes from the operator's release location.
    await runChecked(this.config.bins.docker, [...this.base(), 'pull', this.compose().service], {
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      maxOutputBytes: this.config.limits.maxOutputBytes,
      env: { OPENCLAW_VERSION: checkVersion(version) },
    })
    return { fetched: true, bytes: 0, ms: Date.now() - t0 }
  }

  activate(version: string): string {
    const previous = existsSync(this.envFile) ? readFileSync(this.envFile, 'utf8') : ''
    const line = `OPENCLAW_VERSION=${checkVersion(version)}`
    const next = ENV_LINE.test(previous)
      ? previous.replace(ENV_LINE, line)
      : `${previous}${previous && !previous.endsWith('\n') ? '\n' : ''}${line}\n`
    this.write(next)
    return previous
  }

  restore(previous: string): void {
    this.write(previous)
  }

  private write(text: string): void {
    mkdirSync(dirname(this.envFile), { recursive: true })
    const tmp = `${this.envFile}.clawnode-tmp`
    writeFileSync(tmp, text, { mode: 0o600 })
    renameSync(tmp, this.envFile)
  }

  doctorArgv(): string[] {
    return (
      this.config.openclaw.doctorArgv ?? [
        this.config.bins.docker,
        ...this.base(),
        'exec',
        '-T',
        this.compose().service,
        'openclaw',
        'doctor',
        '--non-interactive',
      ]
    )
  }

  doctorEnv(): Record<string, string> {
    return {}
  }
}

class NoInstaller implements OpenclawInstaller {
  readonly kind = 'none'
  installed(): string | null {
    return null
  }
  async prepare(): Promise<PrepareResult> {
    unavailable('openclaw.update')
  }
  activate(): string {
    unavailable('openclaw.update')
  }
  restore(): void {
    unavailable('openclaw.rollback')
  }
  doctorArgv(): null {
    return null
  }
  doctorEnv(): Record<string, string> {
    return {}
  }
}

export function createOpenclawInstaller(config: ClawnodeConfig): OpenclawInstaller {
  const i = config.openclaw.install
  switch (i.kind) {
    case 'releases':
      return new ReleasesInstaller(config, i.dir)
    case 'compose':
      return new ComposeInstaller(config, i.envFile)
    case 'none':
      return new NoInstaller()
  }
}
