/**
 * `<stateDir>/status.json`: which nodes this process hosts, their device ids and connection states.
 * The lab, the benchmarks and the tests read it to map instances to gateway node ids without asking
 * the gateway. Writes are coalesced so that a thousand state changes cost one write.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunningNode } from './node.js'

export class StatusFile {
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly stateDir: string,
    private readonly nodes: () => readonly RunningNode[],
    private readonly mode: 'single' | 'swarm',
  ) {}

  snapshot() {
    const nodes = this.nodes().map((n) => ({
      instanceId: n.instanceId,
      deviceId: n.deviceId,
      state: n.connection.state,
    }))
    const counts: Record<string, number> = {}
    for (const n of nodes) counts[n.state] = (counts[n.state] ?? 0) + 1
    return { pid: process.pid, mode: this.mode, updatedAt: new Date().toISOString(), counts, nodes }
  }

  write(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const tmp = join(this.stateDir, `.status.${process.pid}.tmp`)
    writeFileSync(tmp, `${JSON.stringify(this.snapshot())}\n`)
    // The rename is atomic: readers never see a half-written file.
    renameSync(tmp, join(this.stateDir, 'status.json'))
  }

  schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => this.write(), 200)
    this.timer.unref()
  }
}
