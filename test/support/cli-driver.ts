/**
 * Runs many clawops command lines in one process, the way bin/clawops.js runs one: the built CLI's
 * `main` (oclif with the shipped manifest and the dist commands), with the environment, stdout,
 * stderr and exit code of each run kept apart. A test that needs hundreds of runs pays Node's and
 * oclif's start-up once instead of per run; test/cli/gate-matrix.test.ts checks that the answers
 * equal those of the real binary for the cases it also spawns.
 *
 * Protocol (the IPC channel of a forked process; stdin stays free, as oclif reads it for some flags):
 * a message `{"id","argv","env"}` per case, answered by `{"id","code","stdout","stderr"}`. Runs one
 * case at a time (the environment is process-wide); a disconnect ends the process.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

interface Case {
  id: string
  argv: string[]
  env: Record<string, string>
}

const root = join(import.meta.dirname, '..', '..')
const binUrl = pathToFileURL(join(root, 'bin', 'clawops.js')).href
const { main } = (await import(pathToFileURL(join(root, 'dist', 'src', 'lib', 'cli', 'main.js')).href)) as {
  main: (argv: string[], entryUrl: string) => Promise<void>
}

const baseEnv = { ...process.env }
const realOut = process.stdout.write.bind(process.stdout)
const realErr = process.stderr.write.bind(process.stderr)

async function runCase(c: Case): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const capture =
    (sink: (s: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined
      cb?.()
      return true
    }
  process.env = { ...baseEnv, NO_COLOR: '1', CLAWOPS_LOG: 'off', ...c.env }
  process.exitCode = undefined
  process.stdout.write = capture((s) => {
    stdout += s
  }) as typeof process.stdout.write
  process.stderr.write = capture((s) => {
    stderr += s
  }) as typeof process.stderr.write
  try {
    await main(c.argv, binUrl)
  } catch (err) {
    stderr += `driver: ${err instanceof Error ? err.stack : String(err)}\n`
    process.exitCode = 99
  } finally {
    process.stdout.write = realOut
    process.stderr.write = realErr
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { code, stdout, stderr }
}

// Commands add SIGINT/SIGTERM listeners per run; hundreds of runs are not a leak.
process.setMaxListeners(0)
let chain = Promise.resolve()
process.on('message', (c: Case) => {
  chain = chain.then(async () => {
    const r = await runCase(c)
    if (process.connected) process.send?.({ id: c.id, ...r })
  })
})
process.on('disconnect', () => {
  void chain.then(() => process.exit(0))
})
