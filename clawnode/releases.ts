/**
 * Releases from the operator's release location (`releases.url` in the node's config): an OpenClaw
 * build at `<url>/openclaw/openclaw-<version>.tgz`, a gf-clawnode release at
 * `<url>/gf-clawnode/gf-clawnode-<version>.tgz`, both npm-pack style tarballs (one `package/` folder).
 * clawops names the SHA-256 it read from the location's index; a download that does not match is
 * deleted and nothing else happens. A release is unpacked aside and renamed into place, so
 * `versions/<v>` is either complete or absent; a marker holds the checksum it came from.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { NodeCommandError } from './commands/errors.js'
import { checkVersion } from './service/version.js'

export type ReleaseKind = 'openclaw' | 'gf-clawnode'

const MAX_RELEASE_BYTES = 1024 * 1024 * 1024
const MARKER = '.clawnode-release'

export function releaseUrl(base: string, kind: ReleaseKind, version: string): string {
  return `${base.replace(/\/+$/, '')}/${kind}/${kind}-${checkVersion(version)}.tgz`
}

/**
 * Downloads a release to `file`, hashing it on the way; a wrong checksum, an HTTP error or a body over
 * the size limit leaves no file behind.
 */
export async function download(
  url: string,
  sha256: string,
  file: string,
  opts: { signal: AbortSignal; timeoutMs: number },
): Promise<{ bytes: number; ms: number }> {
  const t0 = Date.now()
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    throw new NodeCommandError('UNAVAILABLE', `cannot fetch ${url}: ${e.cause?.code ?? e.message}`)
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel()
    throw new NodeCommandError(
      res.status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE',
      `the release location answered ${res.status} for ${url}`,
    )
  }
  const hash = createHash('sha256')
  let bytes = 0
  const tmp = `${file}.${randomBytes(4).toString('hex')}.part`
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length
          if (bytes > MAX_RELEASE_BYTES)
            throw new NodeCommandError('OUTPUT_TOO_LARGE', `${url} is larger than ${MAX_RELEASE_BYTES} bytes`)
          hash.update(chunk)
          yield chunk
        }
      },
      createWriteStream(tmp, { mode: 0o600 }),
    )
    const got = hash.digest('hex')
    if (got !== sha256)
      throw new NodeCommandError(
        'INVALID_PARAMS',
        `checksum mismatch for ${url}: expected ${sha256}, got ${got}; the download was discarded`,
      )
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, { force: true })
    if (err instanceof NodeCommandError) throw err
    throw new NodeCommandError('UNAVAILABLE', `download of ${url} failed: ${(err as Error).message}`)
  }
  return { bytes, ms: Date.now() - t0 }
}

/** Is `dir` a complete unpack of the release with this checksum? */
export function unpacked(dir: string, sha256: string): boolean {
  try {
    return readFileSync(join(dir, MARKER), 'utf8').trim() === sha256
  } catch {
    return false
  }
}

/**
 * Makes `versions/<version>` under `root` the unpacked release with checksum `sha256`, fetched from
 * `url` unless it is there already. Returns the directory and what it took.
 */
export async function ensureRelease(
  root: string,
  version: string,
  url: string,
  sha256: string,
  opts: { signal: AbortSignal; timeoutMs: number },
): Promise<{ dir: string; fetched: boolean; bytes: number; ms: number }> {
  const t0 = Date.now()
  const versions = join(root, 'versions')
  const dir = join(versions, checkVersion(version))
  if (unpacked(dir, sha256)) return { dir, fetched: false, bytes: 0, ms: Date.now() - t0 }
  mkdirSync(join(root, 'downloads'), { recursive: true, mode: 0o755 })
  const file = join(root, 'downloads', `${version}.tgz`)
  const got = await download(url, sha256, file, opts)
  const partial = `${dir}.partial-${randomBytes(4).toString('hex')}`
  try {
    mkdirSync(partial, { recursive: true, mode: 0o755 })
    const { extract } = await import('tar')
    await extract({ file, cwd: partial, strip: 1 })
    writeFileSync(join(partial, MARKER), `${sha256}\n`)
    // A leftover of an earlier attempt (different checksum, or half there) makes way.
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
    renameSync(partial, dir)
  } catch (err) {
    rmSync(partial, { recursive: true, force: true })
    throw new NodeCommandError('COMMAND_FAILED', `cannot unpack ${version}: ${(err as Error).message}`)
  } finally {
    rmSync(file, { force: true })
  }
  return { dir, fetched: true, bytes: got.bytes, ms: Date.now() - t0 }
}

/** Points the symlink `link` at `target` atomically (a new link renamed over the old one). */
export function swapSymlink(link: string, target: string): void {
  const tmp = `${link}.swap-${randomBytes(4).toString('hex')}`
  symlinkSync(target, tmp)
  try {
    renameSync(tmp, link)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}
