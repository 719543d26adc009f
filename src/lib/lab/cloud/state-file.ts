/**
 * The lab cloud's state on disk: one JSON file under the lab directory, replaced atomically
 * (write a temporary file, rename over) so a crash mid-write leaves the previous state, and a
 * restarted lab process finds every server, action and fault where the old one left them.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { emptyState, type LabState } from './model.js'

export const STATE_FILE = 'cloud-state.json'

export class StateFile {
  readonly path: string

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true })
    this.path = join(dir, STATE_FILE)
  }

  load(): LabState {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
      throw err
    }
    const parsed = JSON.parse(text) as Partial<LabState>
    if (parsed.version !== 1)
      throw new Error(`${this.path}: unknown lab state version ${String(parsed.version)}`)
    return { ...emptyState(), ...parsed } as LabState
  }

  save(state: LabState): void {
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(state))
    renameSync(tmp, this.path)
  }
}
