/**
 * Child process of the crash-safety test: writes a large batch of instances in one transaction
 * through the production store code and says HALF (on stdout, synchronously) when it is midway, so
 * the parent can SIGKILL it inside the transaction.
 */
import { writeSync } from 'node:fs'
import { generateFleet } from '../../src/lib/lab/seed.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Pairs } from '../../src/lib/store/pairs.js'
import { Store } from '../../src/lib/store/store.js'

const [path, pairsArg] = process.argv.slice(2)
const fleet = generateFleet({ pairs: Number(pairsArg), seed: 42, now: new Date('2026-11-26T07:00:00Z') })
const store = Store.open(path!)
const half = Math.floor(fleet.instances.length / 2)
store.tx(() => {
  const pairs = store.repo(Pairs)
  pairs.insertMany(fleet.pairs)
  const instances = store.repo(Instances)
  instances.insertMany(fleet.instances.slice(0, half))
  writeSync(1, 'HALF\n')
  instances.insertMany(fleet.instances.slice(half))
})
writeSync(1, 'COMMITTED\n')
