/**
 * Where clawops' own files are. Code is bundled into dist/ chunks, so `import.meta.url` of a module
 * does not say where its source lived; everything that needs a shipped file (skills, souls, templates,
 * the OpenClaw runtime of a checkout) resolves it from the package root instead.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

export function packageRoot(): string {
  if (cached) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pj = join(dir, 'package.json')
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'clawops') {
      cached = dir
      return dir
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the clawops package root')
    dir = up
  }
}

/** The `openclaw` executable: $CLAWOPS_OPENCLAW_BIN, the checkout's runtime/openclaw, or PATH. */
export function openclawBin(): string {
  const fromEnv = process.env.CLAWOPS_OPENCLAW_BIN
  if (fromEnv) return fromEnv
  const local = join(packageRoot(), 'runtime', 'openclaw', 'node_modules', '.bin', 'openclaw')
  return existsSync(local) ? local : 'openclaw'
}
