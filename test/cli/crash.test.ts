import { describe, expect, it } from 'vitest'
import { clawops, clawopsChild } from '../support/cli.js'
import { tempHome } from '../support/context.js'

describe('a SIGKILLed clawops', () => {
  it('leaves the store with all or none of a large seed, and a verifiable audit chain', async () => {
    const outcomes = new Set<number>()
    for (const delayMs of [150, 300, 450]) {
      const home = tempHome()
      const child = clawopsChild(['lab', 'seed', '--pairs', '20000', '--json'], { CLAWOPS_HOME: home })
      await new Promise((r) => setTimeout(r, delayMs))
      child.kill('SIGKILL')
      await new Promise((r) => child.on('exit', r))
      const status = clawops(['fleet', 'status', '--json'], { CLAWOPS_HOME: home })
      expect(status.code).toBe(0)
      const pairs = (status.json as { data: { pairs: number } }).data.pairs
      expect([0, 20000]).toContain(pairs)
      outcomes.add(pairs)
      expect(clawops(['audit', 'verify'], { CLAWOPS_HOME: home }).code).toBe(0)
    }
    // At least one kill must land inside the write, or the test proves nothing.
    expect(outcomes.has(0)).toBe(true)
  })
})
