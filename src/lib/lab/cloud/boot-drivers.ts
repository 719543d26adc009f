/**
 * Boot drivers by name, so the lab process (`server.main.ts --driver <name>`) can pick one. The
 * `instant` driver ships here; a driver that boots real gf-clawnodes registers itself with
 * `registerBootDriver('clawnode', factory)` in a module that server.main.ts imports.
 */
import type { Logger } from 'pino'
import type { BootDriver } from './boot-driver.js'
import type { LabTimings } from './engine.js'
import { instantBootDriver } from './instant-boot-driver.js'

export interface BootDriverContext {
  /** The lab directory: a driver keeps its own files (node homes, logs) below it. */
  dir: string
  timings: LabTimings
  logger: Logger
  /** The lab tailnet's register endpoint, known once the lab cloud listens; unset: no tailnet. */
  tailscaleUrl?: () => string | undefined
}

export type BootDriverFactory = (ctx: BootDriverContext) => BootDriver | Promise<BootDriver>

const factories = new Map<string, BootDriverFactory>([
  ['instant', (ctx) => instantBootDriver({ delayMs: ctx.timings.bootMs })],
])

export function registerBootDriver(name: string, factory: BootDriverFactory): void {
  factories.set(name, factory)
}

export function bootDriverNames(): string[] {
  return [...factories.keys()]
}

export async function createBootDriver(name: string, ctx: BootDriverContext): Promise<BootDriver> {
  const factory = factories.get(name)
  if (!factory) throw new Error(`unknown boot driver "${name}" (known: ${bootDriverNames().join(', ')})`)
  return factory(ctx)
}
