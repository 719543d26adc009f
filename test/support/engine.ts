/** The engine tests run changes through: every production kind, plus any test kinds added. */
import { Engine } from '../../src/lib/engine/engine.js'
import { productionKinds } from '../../src/lib/kinds.js'

export const engine = new Engine(productionKinds())
