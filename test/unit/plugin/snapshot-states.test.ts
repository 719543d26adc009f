/**
 * What the Fleet tab's designed states are fed: no store yet, a store that cannot be read, an empty
 * fleet, bad filters. The page draws each from the snapshot result (plugin/ui/app.ts); the populated
 * page is the browser test's. The store is the one the home's config names: on the -pg project a
 * schema (written into the config by storeEnv), else the home's fleet.db.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readSnapshot } from '../../../plugin/src/snapshot.js'
import { Store } from '../../../src/lib/store/store.js'
import { tempHome } from '../../support/context.js'
import { onPostgres, storeDump, storeEnv, storeLocation } from '../../support/store-engine.js'

const settings = (home: string) => ({ home, refreshSeconds: 30 })

describe('the Fleet tab snapshot in each designed state', () => {
  it('says there is no store yet, and creates none (the next refresh says it again)', async () => {
    const home = tempHome()
    storeEnv(home) // on PostgreSQL the home's config names an empty schema
    const r = await readSnapshot(settings(home), {})
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    if (onPostgres()) expect(storeDump(storeLocation(home))).toBe('')
    else expect(existsSync(join(home, 'fleet.db'))).toBe(false)
    const again = await readSnapshot(settings(home), {})
    expect(again).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  // A damaged file is SQLite's; PostgreSQL's refusals are in test/unit/store/postgres.test.ts.
  it.skipIf(onPostgres())(
    'refuses a damaged store with STORE_CORRUPT and a hint, never as an empty fleet',
    async () => {
      const home = tempHome()
      writeFileSync(join(home, 'fleet.db'), Buffer.alloc(100, 7))
      const r = await readSnapshot(settings(home), {})
      expect(r).toMatchObject({ ok: false, error: { code: 'STORE_CORRUPT', hint: expect.any(String) } })
    },
  )

  it('shows an empty fleet as such', async () => {
    const home = tempHome()
    storeEnv(home)
    Store.open(storeLocation(home)).close()
    const r = await readSnapshot(settings(home), {})
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.data).toMatchObject({ pairs: 0, instances: 0 })
  })

  it('refuses a bad filter with INVALID_INPUT', async () => {
    const home = tempHome()
    storeEnv(home)
    Store.open(storeLocation(home)).close()
    const r = await readSnapshot(settings(home), { provider: 'aws' })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
  })
})
