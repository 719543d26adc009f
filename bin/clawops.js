#!/usr/bin/env node
// Entry point of the clawops CLI. Agents call it hundreds of times a day, so the start-up path is
// kept short: V8's compile cache is switched on, `--version` is answered without loading oclif, and
// commands come from the shipped oclif manifest.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import module from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const major = Number(process.versions.node.split('.')[0])

if (major < 24) runOnPinnedNode()
else runHere()

// node:sqlite and the global WebSocket need Node 24. A checkout carries its own Node 24 (the `node`
// dev dependency); use it rather than fail on a machine whose system Node is older.
function runOnPinnedNode() {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(pinned)) {
    process.stderr.write(
      `clawops needs Node.js 24 or newer (this is ${process.version}). Run \`npm install\` in ${root} or install Node 24.\n`,
    )
    process.exit(3)
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  // A terminal's Ctrl-C reaches the child itself (same process group): this process must not die of
  // it and leave the child running behind the shell's prompt. A SIGTERM or SIGHUP sent to this
  // process alone is passed on. It exits as the child did.
  process.on('SIGINT', () => {})
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    }
    process.exit(code ?? 1)
  })
}

function runHere() {
  module.enableCompileCache?.()

  // A reader that goes away (`clawops instance list | head`) is not an error, as with git and gh: the
  // rest of the output is dropped and the command ends as it would have, exit code included (0 for a
  // read), instead of an unhandled EPIPE. A running operation is not cut short by a closed pipe.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err
      stream.write = () => true
    })
  }

  const argv = process.argv.slice(2)
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    process.stdout.write(`clawops/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
    return
  }
  // Not a top-level await: whatever main leaves pending (a prompt whose terminal went away), the
  // process ends with the exit code main set rather than Node's "unsettled top-level await" (13).
  import('../dist/src/lib/cli/main.js')
    .then(({ main }) => main(argv, import.meta.url))
    .catch((err) => {
      process.stderr.write(`clawops: ${err?.stack ?? err}\n`)
      process.exitCode = 1
    })
}
