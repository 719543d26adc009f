import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../../../src/lib/store/store.js'
import { bundleChild } from '../../support/bundle-child.js'
import { tempHome } from '../../support/context.js'
import { onPostgres, storeLocation } from '../../support/store-engine.js'

// Enough rows that the kill lands mid-transaction; fewer on PostgreSQL, where each batch is a round trip.
const PAIRS = onPostgres() ? 2_000 : 20_000
let child: string

beforeAll(async () => {
  child = await bundleChild(join(import.meta.dirname, '../../support/crash-child.ts'))
})

function runUntil(path: string, marker: 'HALF' | 'COMMITTED'): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, path, String(PAIRS)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stderr.on('data', (d) => {
      err += d
    })
    p.stdout.on('data', (d) => {
      out += d
      if (marker === 'HALF' && out.includes('HALF')) p.kill('SIGKILL')
    })
    p.on('exit', (code, signal) =>
      signal === 'SIGKILL' || code === 0 ? resolve(out) : reject(new Error(err)),
    )
  })
}

function counts(path: string) {
  const store = Store.open(path)
  try {
    const one = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n
    return {
      pairs: one('SELECT count(*) AS n FROM pairs'),
      instances: one('SELECT count(*) AS n FROM instances'),
    }
  } finally {
    store.close()
  }
}

// Writing 20,000 pairs takes a few seconds alone and much longer on a loaded machine.
describe('crash safety of batch writes', { timeout: 90_000 }, () => {
  it('leaves none of a batch when the writer is SIGKILLed inside the transaction', async () => {
    const path = storeLocation(tempHome())
    Store.open(path).close()
    const out = await runUntil(path, 'HALF')
    expect(out).toContain('HALF')
    expect(out).not.toContain('COMMITTED')
    expect(counts(path)).toEqual({ pairs: 0, instances: 0 })
  })

  it('keeps all of a batch that committed', async () => {
    const path = storeLocation(tempHome())
    const out = await runUntil(path, 'COMMITTED')
    expect(out).toContain('COMMITTED')
    expect(counts(path)).toEqual({ pairs: PAIRS, instances: 2 * PAIRS })
  })
})
