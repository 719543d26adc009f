/**
 * `npm run man` writes man/ from oclif.manifest.json; `npm run man:check` fails when man/ is stale
 * (CI runs it, so a changed command definition without regenerated pages does not land).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../paths.js'
import { type ManifestCommand, manName, renderCommandPage, renderIndexPage } from './man.js'

const root = packageRoot()
const check = process.argv.includes('--check')
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {
  version: string
  commands: Record<string, ManifestCommand>
}
const commands = Object.values(manifest.commands)
  .filter((c) => c.pluginName === 'clawops' && !c.hidden && c.id !== 'help')
  .sort((a, b) => a.id.localeCompare(b.id))

const pages = new Map<string, string>([['clawops.1', renderIndexPage(commands, manifest.version)]])
for (const c of commands) pages.set(manName(c.id), renderCommandPage(c, manifest.version))

const dir = join(root, 'man')
const existing = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.1')) : []
if (check) {
  const stale = [...pages].filter(
    ([f, body]) => !existsSync(join(dir, f)) || readFileSync(join(dir, f), 'utf8') !== body,
  )
  const extra = existing.filter((f) => !pages.has(f))
  if (stale.length || extra.length) {
    process.stderr.write(
      `man pages are stale: ${[...stale.map(([f]) => f), ...extra.map((f) => `${f} (no such command)`)].join(', ')}\nRun npm run man.\n`,
    )
    process.exit(1)
  }
  process.stdout.write(`man pages up to date (${pages.size})\n`)
} else {
  mkdirSync(dir, { recursive: true })
  for (const f of existing) if (!pages.has(f)) rmSync(join(dir, f))
  for (const [f, body] of pages) writeFileSync(join(dir, f), body)
  process.stdout.write(`wrote ${pages.size} man pages to man/\n`)
}
