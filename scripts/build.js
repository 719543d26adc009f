// Builds dist/ with esbuild: every command, every entry point (main.ts / *.main.ts) and the code they
// share, bundled with code splitting. One file per command keeps oclif's lazy command loading, and
// bundling the dependencies cuts the hundreds of small module reads that dominate a cold start.
// Type checking is `npm run typecheck` (tsc); the oclif manifest is written last.
import { spawnSync } from 'node:child_process'
import { copyFileSync, globSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)

// zod re-exports all of its ~60 message locales as a namespace, which esbuild cannot shake out: half
// of zod's bundled size and ~3.5 MB of RSS in every process that loads it (gf-clawnode on each VPS
// included). clawops only ever speaks English, so the namespace is reduced to `en`, zod's default.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js'",
      resolveDir: dirname(args.path),
      loader: 'js',
    }))
  },
}

const entryPoints = [
  ...globSync('src/commands/**/*.ts'),
  ...globSync('src/**/{main,*.main}.ts'),
  ...globSync('clawnode/**/{main,*.main}.ts'),
  // oclif loads the help class by path (package.json oclif.helpClass).
  'src/lib/cli/help.ts',
].filter((f) => !f.endsWith('.test.ts'))

// Built aside and swapped in at the end, so tests running against dist/ never see it half-written.
const next = `dist.next-${process.pid}`
rmSync(next, { recursive: true, force: true })
await build({
  entryPoints,
  outdir: next,
  outbase: '.',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  chunkNames: 'chunks/[name]-[hash]',
  // @oclif/core is bundled too, so every command and the help command share one instance; the
  // autocomplete plugin stays an oclif plugin in node_modules (rarely run). typescript/ts-node are
  // only required by oclif in development mode; ws's native helpers are optional. synckit (with pg,
  // which only its worker loads) stays in node_modules: bundled into a chunk, its worker thread never
  // answers and a PostgreSQL store hangs on open.
  external: [
    '@oclif/plugin-autocomplete',
    'typescript',
    'ts-node',
    'bufferutil',
    'utf-8-validate',
    'synckit',
    'pg',
  ],
  banner: {
    js: "import { createRequire as __clawopsRequire } from 'node:module'; const require = __clawopsRequire(import.meta.url);",
  },
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
})

// The OpenClaw plugin: one self-contained folder the operator's gateway loads (dist/plugin): its
// manifest, the server entry with the clawops code it uses bundled in (node:sqlite is the gateway's
// own Node 24), and the Fleet tab's script (Chart.js bundled: the page loads nothing from elsewhere).
mkdirSync(join(next, 'plugin', 'ui'), { recursive: true })
await build({
  entryPoints: ['plugin/src/index.ts'],
  outfile: join(next, 'plugin', 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: ['bufferutil', 'utf-8-validate'],
  banner: {
    js: "import { createRequire as __clawopsRequire } from 'node:module'; const require = __clawopsRequire(import.meta.url);",
  },
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
})
await build({
  entryPoints: ['plugin/ui/app.ts'],
  outfile: join(next, 'plugin', 'ui', 'app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  logLevel: 'warning',
})
copyFileSync('plugin/ui/app.css', join(next, 'plugin', 'ui', 'app.css'))
copyFileSync('plugin/openclaw.plugin.json', join(next, 'plugin', 'openclaw.plugin.json'))
copyFileSync('plugin/package.json', join(next, 'plugin', 'package.json'))

rmSync('dist', { recursive: true, force: true })
renameSync(next, 'dist')

const manifest = spawnSync(join(root, 'node_modules', '.bin', 'oclif'), ['manifest'], {
  stdio: ['ignore', 'ignore', 'inherit'],
})
if (manifest.status !== 0) process.exit(manifest.status ?? 1)
