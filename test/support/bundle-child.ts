/**
 * Bundles a child-process script from TypeScript sources so it runs the production store code
 * unchanged. The bundle is written inside the checkout (node_modules/.cache), where the store finds
 * the package's files (the PostgreSQL worker) as an installed clawops does.
 */
import { mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { build } from 'esbuild'

const ROOT = join(import.meta.dirname, '..', '..')

export async function bundleChild(entry: string): Promise<string> {
  const dir = join(ROOT, 'node_modules', '.cache', 'clawops-test')
  mkdirSync(dir, { recursive: true })
  const out = join(
    dir,
    `${basename(entry, '.ts')}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.mjs`,
  )
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // synckit bundled into one file never starts its worker (the call blocks until its timeout);
    // loaded from node_modules, as the built CLI's chunks load it, it does.
    external: ['synckit', 'pg'],
    banner: {
      js: "import { createRequire as __testRequire } from 'node:module'; const require = __testRequire(import.meta.url);",
    },
    logLevel: 'silent',
  })
  return out
}
