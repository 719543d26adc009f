/** The plugin's own config (`plugins.entries.clawops.config`), checked: where the clawops home is, how often the tab reloads. */
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

export const DEFAULT_REFRESH_SECONDS = 30

export interface PluginSettings {
  home: string
  refreshSeconds: number
}

export function pluginSettings(config: unknown, env: NodeJS.ProcessEnv = process.env): PluginSettings {
  const c = (config && typeof config === 'object' ? config : {}) as Record<string, unknown>
  const home =
    typeof c.home === 'string' && c.home.length > 0
      ? c.home
      : (env.CLAWOPS_HOME ?? join(homedir(), '.clawops'))
  if (!isAbsolute(home)) throw new Error(`clawops plugin: "home" must be an absolute path, not ${home}`)
  const r = c.refreshSeconds
  const refreshSeconds =
    typeof r === 'number' && Number.isInteger(r) && r >= 2 && r <= 3600 ? r : DEFAULT_REFRESH_SECONDS
  return { home, refreshSeconds }
}
