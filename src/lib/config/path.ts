import { join } from 'node:path'

/** $CLAWOPS_CONFIG, else $CLAWOPS_HOME/config.json. */
export function configPath(home: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAWOPS_CONFIG ?? join(home, 'config.json')
}
