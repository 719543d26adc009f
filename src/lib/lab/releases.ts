/**
 * The lab's release location: what an operator would host (a bucket, a web server on the tailnet),
 * served by the lab cloud at `<lab>/_releases/`, so upgrades run offline:
 *
 *   index.json                               {openclaw:[{version,path,sha256,size,note}], "gf-clawnode":[…]}
 *   openclaw/openclaw-<v>.tgz                a build of the user's gateway (the lab's stand-in, packed
 *                                            as OpenClaw is: package/package.json + package/openclaw.mjs)
 *   gf-clawnode/gf-clawnode-<v>.tgz          a gf-clawnode release (bin/, the bundled dist/, package.json)
 *
 * OpenClaw: the pinned version (what lab servers boot with), a correction release after it
 * (`<pinned>-1`, the second version to upgrade to) and `<pinned>-2`, a deliberately broken build
 * whose doctor fails after it migrated the state. gf-clawnode: this build under its own version, the
 * same build as the next patch version, and a broken build after it that names its version but
 * cannot run. Tarballs are npm-pack style and rebuilt only when the build they pack changed.
 */
import { createHash } from 'node:crypto'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { splitImage } from '../bootstrap/vps-setup.js'
import { packageRoot } from '../paths.js'
import { DEFAULT_PROVISIONING } from '../provisioning/settings.js'

export type ReleaseKind = 'openclaw' | 'gf-clawnode'

export interface ReleaseEntry {
  version: string
  /** Relative to the release location. */
  path: string
  sha256: string
  size: number
  note: string
}

export interface ReleaseIndex {
  build: string
  openclaw: ReleaseEntry[]
  'gf-clawnode': ReleaseEntry[]
}

/** The OpenClaw version the checkout pins (runtime/openclaw), else the default image's tag. */
export function pinnedOpenclawVersion(): string {
  try {
    const pj = JSON.parse(readFileSync(join(packageRoot(), 'runtime', 'openclaw', 'package.json'), 'utf8'))
    const v = pj.dependencies?.openclaw
    if (typeof v === 'string' && /^\d/.test(v)) return v
  } catch {
    // An installed package has no runtime/ folder.
  }
  return splitImage(DEFAULT_PROVISIONING.openclawImage).tag
}

export function clawnodeVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version
}

function bumpPatch(v: string, by: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v)
  if (!m) throw new Error(`cannot bump ${v}`)
  return `${m[1]}.${m[2]}.${Number(m[3]) + by}`
}

/** The versions the lab serves, by role. */
export function labReleaseVersions() {
  const pinned = pinnedOpenclawVersion()
  const cn = clawnodeVersion()
  return {
    openclaw: { pinned, next: `${pinned}-1`, broken: `${pinned}-2` },
    clawnode: { current: cn, next: bumpPatch(cn, 1), broken: bumpPatch(cn, 2) },
  }
}

const sha256 = (buf: Buffer | string) => createHash('sha256').update(buf).digest('hex')

async function pack(staging: string, file: string): Promise<{ sha256: string; size: number }> {
  const { create } = await import('tar')
  await create({ gzip: true, file, cwd: staging, portable: true }, ['package'])
  return { sha256: sha256(readFileSync(file)), size: statSync(file).size }
}

const STAND_IN = () => join(packageRoot(), 'dist', 'src', 'lib', 'lab', 'stand-in-gateway.main.js')

/** Writes an OpenClaw stand-in release of `version` (with build flags) to `file`. */
export async function packOpenclawRelease(
  file: string,
  version: string,
  flags: { schema: number; break?: 'doctor' | 'readiness' | 'crash'; startupMs?: number },
) {
  const staging = `${file}.staging`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(join(staging, 'package'), { recursive: true })
  copyFileSync(STAND_IN(), join(staging, 'package', 'openclaw.mjs'))
  writeFileSync(
    join(staging, 'package', 'package.json'),
    `${JSON.stringify({ name: 'openclaw', version, type: 'module', bin: { openclaw: 'openclaw.mjs' }, openclawStandIn: flags }, null, 2)}\n`,
  )
  try {
    return await pack(staging, file)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/**
 * Writes a gf-clawnode release of `version` to `file`: this build's bin and bundled dist (the node's
 * entry and the chunks it loads), with a package.json naming `version`. A broken one names its version
 * (`--version`) but exits 1 when it runs.
 */
export async function packClawnodeRelease(file: string, version: string, broken = false) {
  const root = packageRoot()
  const staging = `${file}.staging`
  const pkg = join(staging, 'package')
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(join(pkg, 'bin'), { recursive: true })
  writeFileSync(
    join(pkg, 'package.json'),
    `${JSON.stringify({ name: 'clawops', version, type: 'module', bin: { 'gf-clawnode': './bin/gf-clawnode.js' } }, null, 2)}\n`,
  )
  if (broken) {
    writeFileSync(
      join(pkg, 'bin', 'gf-clawnode.js'),
      `#!/usr/bin/env node
// A deliberately broken gf-clawnode release (the lab's): it names its version but cannot run.
if (process.argv.includes('--version')) {
  process.stdout.write('gf-clawnode/${version} ' + process.platform + '-' + process.arch + ' node-' + process.version + '\\n')
  process.exit(0)
}
process.stderr.write('gf-clawnode ${version}: this build is broken and exits at start\\n')
process.exit(1)
`,
    )
  } else {
    copyFileSync(join(root, 'bin', 'gf-clawnode.js'), join(pkg, 'bin', 'gf-clawnode.js'))
    mkdirSync(join(pkg, 'dist'), { recursive: true })
    cpSync(join(root, 'dist', 'clawnode'), join(pkg, 'dist', 'clawnode'), { recursive: true })
    cpSync(join(root, 'dist', 'chunks'), join(pkg, 'dist', 'chunks'), { recursive: true })
  }
  try {
    return await pack(staging, file)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** What the releases are built from: a new build means new tarballs. */
function buildId(): string {
  const root = packageRoot()
  const v = labReleaseVersions()
  return sha256(
    [
      readFileSync(STAND_IN()),
      readFileSync(join(root, 'dist', 'clawnode', 'main.js')),
      readFileSync(join(root, 'bin', 'gf-clawnode.js')),
      JSON.stringify(v),
    ].join('\n'),
  )
}

export function readIndex(dir: string): ReleaseIndex | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ReleaseIndex
  } catch {
    return null
  }
}

/** Builds the lab's releases into `dir` unless they are there for this build already. */
export async function ensureLabReleases(dir: string): Promise<ReleaseIndex> {
  const id = buildId()
  const have = readIndex(dir)
  if (
    have?.build === id &&
    [...have.openclaw, ...have['gf-clawnode']].every((e) => existsSync(join(dir, e.path)))
  )
    return have
  const v = labReleaseVersions()
  mkdirSync(join(dir, 'openclaw'), { recursive: true })
  mkdirSync(join(dir, 'gf-clawnode'), { recursive: true })
  const entry = async (
    kind: ReleaseKind,
    version: string,
    note: string,
    make: (file: string) => Promise<{ sha256: string; size: number }>,
  ): Promise<ReleaseEntry> => {
    const path = `${kind}/${kind}-${version}.tgz`
    return { version, path, ...(await make(join(dir, path))), note }
  }
  const index: ReleaseIndex = {
    build: id,
    openclaw: [
      await entry('openclaw', v.openclaw.pinned, 'the pinned version lab servers boot with', (f) =>
        packOpenclawRelease(f, v.openclaw.pinned, { schema: 1 }),
      ),
      await entry('openclaw', v.openclaw.next, 'a correction release after the pinned one', (f) =>
        packOpenclawRelease(f, v.openclaw.next, { schema: 2 }),
      ),
      await entry(
        'openclaw',
        v.openclaw.broken,
        'broken: its doctor fails after it migrated the state',
        (f) => packOpenclawRelease(f, v.openclaw.broken, { schema: 3, break: 'doctor' }),
      ),
    ],
    'gf-clawnode': [
      await entry('gf-clawnode', v.clawnode.current, 'this build', (f) =>
        packClawnodeRelease(f, v.clawnode.current),
      ),
      await entry('gf-clawnode', v.clawnode.next, 'this build as the next patch version', (f) =>
        packClawnodeRelease(f, v.clawnode.next),
      ),
      await entry('gf-clawnode', v.clawnode.broken, 'broken: names its version, exits 1 when run', (f) =>
        packClawnodeRelease(f, v.clawnode.broken, true),
      ),
    ],
  }
  writeFileSync(join(dir, 'index.json.tmp'), `${JSON.stringify(index, null, 2)}\n`)
  renameSync(join(dir, 'index.json.tmp'), join(dir, 'index.json'))
  return index
}
