/**
 * The OpenClaw config validator gf-clawnode keeps running beside a user gateway: one Node process
 * that loads the installed OpenClaw's own config validation once (what `openclaw config validate`
 * runs: the schema, plugin metadata, secret-provider checks) and then validates each candidate file
 * in milliseconds instead of a new `openclaw` process per file (about 3 s of CPU each).
 *
 * It runs where OpenClaw is installed (the host's Node, or inside the user gateway's container), so
 * it imports nothing but Node's own modules: gf-clawnode starts it with `node --input-type=module -e`
 * and this file's text. Protocol, one JSON object per line:
 *   argv: <openclaw executable>          stdout first: {"ready":true,"version":"…"} or {"fatal":"…"}
 *   stdin:  {"id":n,"path":"/…/candidate.json","stateDir":"/…"}
 *   stdout: {"id":n,"valid":bool,"issues":[{"path","message"}],"warnings":[…]} or {"id":n,"error":"…"}
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { delimiter, dirname, isAbsolute, join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

interface Issue {
  path?: unknown
  message?: unknown
}
interface Snapshot {
  valid: boolean
  exists: boolean
  issues?: Issue[]
  warnings?: Issue[]
}
type ReadSnapshot = (o: { observe: boolean; prepareValidation: string }) => Promise<unknown>
type Finish = (read: unknown) => Promise<Snapshot>

function send(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`)
}

/** The package folder of the `openclaw` executable (its bin is `openclaw.mjs` at the package root). */
function packageOf(bin: string): string {
  let path = bin
  if (!isAbsolute(bin)) {
    const found = (process.env.PATH ?? '')
      .split(delimiter)
      .map((d) => join(d, bin))
      .find((p) => existsSync(p))
    if (!found) throw new Error(`${bin} is not on PATH`)
    path = found
  }
  let dir = dirname(realpathSync(path))
  for (;;) {
    const pj = join(dir, 'package.json')
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'openclaw') return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`no openclaw package above ${path}`)
    dir = up
  }
}

/** The CLI's own issue shape: an empty or missing path is the root. */
function normalize(issues: Issue[] | undefined): { path: string; message: string }[] {
  return (issues ?? []).map((i) => ({
    path: typeof i.path === 'string' && i.path.trim() ? i.path.trim() : '<root>',
    message: String(i.message ?? 'invalid'),
  }))
}

async function main(): Promise<void> {
  const pkg = packageOf(process.argv.at(-1) ?? 'openclaw')
  const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version as string
  const dist = join(pkg, 'dist')
  // The entry OpenClaw's CLI itself loads for `config validate`, and the step that finishes it.
  const config = (await import(pathToFileURL(join(dist, 'config', 'config.js')).href)) as {
    readConfigFileSnapshotWithPluginMetadata: ReadSnapshot
  }
  let finish: Finish | undefined
  for (const f of readdirSync(dist).filter((n) => n.startsWith('config-cli-validation-'))) {
    const m = (await import(pathToFileURL(join(dist, f)).href)) as { finishConfigValidationForCli?: Finish }
    if (typeof m.finishConfigValidationForCli === 'function') finish = m.finishConfigValidationForCli
  }
  if (typeof config.readConfigFileSnapshotWithPluginMetadata !== 'function' || !finish) {
    throw new Error(`openclaw ${version} does not expose its config validation where this validator looks`)
  }
  send({ ready: true, version })
  let queue = Promise.resolve()
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      let req: { id: number; path: string; stateDir?: string }
      try {
        req = JSON.parse(line)
      } catch {
        return
      }
      try {
        process.env.OPENCLAW_CONFIG_PATH = req.path
        if (req.stateDir) process.env.OPENCLAW_STATE_DIR = req.stateDir
        const snap = await finish!(
          await config.readConfigFileSnapshotWithPluginMetadata({
            observe: false,
            prepareValidation: 'strict',
          }),
        )
        if (!snap.exists) send({ id: req.id, error: `${req.path} does not exist` })
        else
          send({
            id: req.id,
            valid: snap.valid,
            issues: normalize(snap.issues),
            warnings: normalize(snap.warnings),
          })
      } catch (err) {
        send({ id: req.id, error: err instanceof Error ? err.message : String(err) })
      }
    })
  })
  lines.on('close', () => process.exit(0))
}

main().catch((err) => {
  send({ fatal: err instanceof Error ? err.message : String(err) })
  process.exit(1)
})
