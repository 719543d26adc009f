/** Config for a command: the defaults when there is no file, else the validated file. */
import { existsSync } from 'node:fs'
import { DEFAULT_CONFIG } from './defaults.js'
import { configPath } from './path.js'
import type { Config } from './schema.js'

export async function readConfig(home: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  if (!existsSync(configPath(home, env))) return structuredClone(DEFAULT_CONFIG)
  const { loadConfig } = await import('./load.js')
  return loadConfig(home, env)
}
