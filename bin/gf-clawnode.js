#!/usr/bin/env node
// Entry point of gf-clawnode, the instance-side agent. Like bin/clawops.js it re-runs itself under
// the checkout's pinned Node 24 when the system Node is older.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const major = Number(process.versions.node.split('.')[0])

if (major < 24) {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(pinned)) {
    process.stderr.write(`gf-clawnode needs Node.js 24 or newer (this is ${process.version}).\n`)
    process.exit(3)
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  process.exit(child.status ?? 1)
}

const { main } = await import('../dist/clawnode/main.js')
// Exit explicitly: after a shutdown nothing is left to run, and a stray handle must not keep a
// stopped node alive.
process.exit(await main(process.argv.slice(2)))
