/**
 * The user gateway's config file (openclaw.json) as the config.* commands see it: read with a hash,
 * secrets redacted on the way out and restored on the way back in, diffed, validated, swapped
 * atomically with the previous version kept for rollback.
 *
 * Secrets never leave the host: config.get and config.diff replace secret values with a placeholder,
 * and config.push accepts that placeholder back, meaning "keep the value that is there now". So
 * clawops can read, edit and push a config without ever holding the user's tokens.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { copyFile, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { isPlainObject, type Json, REDACTED } from '../src/lib/gateway/config-diff.js'
import { NodeCommandError } from './commands/errors.js'
import { type ValidatorSpec, validatorFor } from './openclaw-validator.js'

export interface CurrentConfig {
  path: string
  exists: boolean
  hash: string | null
  bytes: number
  parsed: Record<string, Json> | null
  /** Why the file on disk is not a usable config, when it is not. */
  malformed?: string
  mode: number
}

function sha256(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex')
}

export function previousPath(path: string): string {
  return `${path}.clawnode-prev`
}

export async function readCurrent(path: string, maxBytes: number): Promise<CurrentConfig> {
  let st: Awaited<ReturnType<typeof stat>>
  try {
    st = await stat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { path, exists: false, hash: null, bytes: 0, parsed: null, mode: 0o600 }
    }
    throw err
  }
  const mode = st.mode & 0o777
  if (st.size > maxBytes) {
    return {
      path,
      exists: true,
      hash: null,
      bytes: st.size,
      parsed: null,
      malformed: `larger than ${maxBytes} bytes`,
      mode,
    }
  }
  const buf = await readFile(path)
  const base = { path, exists: true, hash: sha256(buf), bytes: buf.length, mode }
  let value: unknown
  try {
    value = JSON.parse(buf.toString('utf8'))
  } catch {
    return { ...base, parsed: null, malformed: 'not valid JSON' }
  }
  if (!isPlainObject(value)) return { ...base, parsed: null, malformed: 'not a JSON object' }
  return { ...base, parsed: value }
}

/** Replaces every placeholder in `candidate` with the current value at the same path. */
export function restoreRedacted(candidate: Json, current: Json | undefined, path: string[] = []): Json {
  if (candidate === REDACTED) {
    if (typeof current !== 'string') {
      throw new NodeCommandError(
        'INVALID_PARAMS',
        `${path.join('.')} is "${REDACTED}" but the current config has no value there`,
      )
    }
    return current
  }
  if (Array.isArray(candidate)) {
    return candidate.map((v, i) =>
      restoreRedacted(v, Array.isArray(current) ? current[i] : undefined, [...path, String(i)]),
    )
  }
  if (isPlainObject(candidate)) {
    const cur = isPlainObject(current) ? current : {}
    return Object.fromEntries(
      Object.entries(candidate).map(([k, v]) => [k, restoreRedacted(v, cur[k], [...path, k])]),
    )
  }
  return candidate
}

const StructureSchema = z.looseObject({
  gateway: z
    .looseObject({
      mode: z.enum(['local', 'remote']).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      bind: z.string().optional(),
      auth: z
        .looseObject({ mode: z.enum(['none', 'token', 'password', 'trusted-proxy']).optional() })
        .optional(),
    })
    .optional(),
  agents: z.looseObject({}).optional(),
  hooks: z.looseObject({}).optional(),
})

export interface Validation {
  valid: boolean
  issues: Array<{ path: string; message: string }>
  validators: string[]
}

export interface ValidatorSettings extends ValidatorSpec {
  configDir?: string | undefined
  timeoutMs: number
}

/**
 * Structural checks, then OpenClaw's own validation when a validator is configured: the candidate is
 * written beside the config it would replace (so relative paths and `$include`s resolve as they will),
 * judged by the validator with the gateway's state directory, and removed. OpenClaw's answer decides;
 * a validator that cannot answer fails the validation.
 */
export async function validateConfig(
  candidate: unknown,
  opts: { configPath: string; validator?: ValidatorSettings | undefined; timeoutMs: number },
): Promise<Validation> {
  const validators = ['structure']
  const structural = StructureSchema.safeParse(candidate)
  if (!isPlainObject(candidate)) {
    return { valid: false, issues: [{ path: '(root)', message: 'config must be a JSON object' }], validators }
  }
  if (!structural.success) {
    const issues = structural.error.issues.map((i) => ({
      path: i.path.join('.') || '(root)',
      message: i.message,
    }))
    return { valid: false, issues, validators }
  }
  const v = opts.validator
  if (!v) return { valid: true, issues: [], validators }

  const dir = dirname(opts.configPath)
  const name = `.clawnode-candidate-${process.pid}-${randomBytes(4).toString('hex')}.json`
  const file = join(dir, name)
  await writeFile(file, JSON.stringify(candidate, null, 2), { mode: 0o600 })
  try {
    const seenDir = v.configDir ?? dir
    const verdict = await validatorFor(v).validate(
      join(seenDir, name),
      seenDir,
      Math.min(opts.timeoutMs, v.timeoutMs),
    )
    validators.push(`openclaw ${verdict.version} config validate`)
    return { valid: verdict.valid, issues: verdict.valid ? [] : verdict.issues, validators }
  } catch (err) {
    validators.push('openclaw config validate')
    return {
      valid: false,
      issues: [{ path: '<root>', message: err instanceof Error ? err.message : String(err) }],
      validators,
    }
  } finally {
    await rm(file, { force: true })
  }
}

async function fsyncPath(path: string, flags = constants.O_RDONLY): Promise<void> {
  const fh = await open(path, flags)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Replaces the file at `path` with `content` so that a reader sees either the old or the new file,
 * never a torn one, and keeps the old bytes at previousPath(path).
 */
export async function swapIn(
  path: string,
  content: string,
  mode: number,
  keepPrevious: boolean,
): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  await writeFile(tmp, content, { mode })
  await fsyncPath(tmp)
  if (keepPrevious) {
    const prevTmp = `${tmp}.prev`
    await copyFile(path, prevTmp)
    await fsyncPath(prevTmp)
    await rename(prevTmp, previousPath(path))
  }
  await rename(tmp, path)
  await fsyncPath(dir)
}

/** Swaps the current file and the kept previous one; running it twice restores the original. */
export async function swapWithPrevious(path: string): Promise<void> {
  const prev = previousPath(path)
  const dir = dirname(path)
  const hold = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.hold`)
  await copyFile(path, hold)
  await rename(prev, path)
  await rename(hold, prev)
  await fsyncPath(dir)
}
