/**
 * Child process of the outbox crash test: delivers the outbox of the store at argv[2] to the hooks
 * endpoint argv[3] with the production Deliverer, so the parent can SIGKILL it while the gateway holds
 * its answer (after dispatching the run, before we record it).
 */
import { writeSync } from 'node:fs'
import { DEFAULT_CONFIG } from '../../src/lib/config/defaults.js'
import { watchSettings } from '../../src/lib/config/watch-settings.js'
import { Store } from '../../src/lib/store/store.js'
import { Deliverer } from '../../src/lib/watch/deliverer.js'

const [path, url, token] = process.argv.slice(2)
const store = Store.open(path!)
const deliverer = new Deliverer({
  store,
  settings: watchSettings(DEFAULT_CONFIG),
  hooks: { url: url!, token: token! },
  verifier: null,
  clock: () => new Date(),
})
const r = await deliverer.deliverDue()
writeSync(1, `DONE ${JSON.stringify(r)}\n`)
