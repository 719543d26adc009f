/**
 * The clawops plugin in a gateway's config: its folder on `plugins.load.paths`, its entry enabled
 * with the operator's clawops home, and its id on `plugins.allow` when the operator keeps an allow
 * list (an absent list is left absent: creating one would shut out every other plugin). A folder of
 * an older clawops install that holds the same plugin id is replaced, never loaded beside it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { packageRoot } from '../paths.js'
import { isPlainObject, type Json } from './config-diff.js'

export const PLUGIN_ID = 'clawops'

export interface PluginTarget {
  /** The built plugin folder (dist/plugin of this clawops). */
  dir: string
  /** The clawops home the plugin reads (fleet.db, config.json). */
  home: string
}

/** This clawops's plugin for `home`, or why it cannot be installed. */
export function clawopsPlugin(home: string): PluginTarget | { missing: string } {
  const dir = join(packageRoot(), 'dist', 'plugin')
  if (!existsSync(join(dir, 'openclaw.plugin.json')) || !existsSync(join(dir, 'index.js'))) {
    return {
      missing: `the clawops plugin is not built at ${dir} (npm run build); the Fleet tab was left out`,
    }
  }
  return { dir, home: resolve(home) }
}

function pluginIdAt(dir: string): string | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'openclaw.plugin.json'), 'utf8')) as { id?: unknown }
    return typeof m.id === 'string' ? m.id : undefined
  } catch {
    return undefined
  }
}

function get(obj: Json | undefined, path: string[]): Json | undefined {
  let cur: Json | undefined = obj
  for (const k of path) cur = isPlainObject(cur) ? cur[k] : undefined
  return cur
}

const strings = (v: Json | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

export interface PluginPlan {
  patch: Record<string, Json>
  replacePaths: string[]
}

export function planPluginInstall(current: Record<string, Json>, target: PluginTarget): PluginPlan {
  const paths = strings(get(current, ['plugins', 'load', 'paths']))
  const kept = paths.filter((p) => p === target.dir || pluginIdAt(p) !== PLUGIN_ID)
  const nextPaths = kept.includes(target.dir) ? kept : [...kept, target.dir]
  const plugins: Record<string, Json> = {}
  const replacePaths: string[] = []
  if (nextPaths.length !== paths.length || nextPaths.some((p, i) => p !== paths[i])) {
    plugins.load = { paths: nextPaths }
    replacePaths.push('plugins.load.paths')
  }
  const entry = get(current, ['plugins', 'entries', PLUGIN_ID])
  const entryPatch: Record<string, Json> = {}
  if (get(entry, ['enabled']) !== true) entryPatch.enabled = true
  if (get(entry, ['config', 'home']) !== target.home) entryPatch.config = { home: target.home }
  if (Object.keys(entryPatch).length > 0) plugins.entries = { [PLUGIN_ID]: entryPatch }
  const allow = get(current, ['plugins', 'allow'])
  if (Array.isArray(allow) && !strings(allow).includes(PLUGIN_ID)) {
    plugins.allow = [...strings(allow), PLUGIN_ID]
    replacePaths.push('plugins.allow')
  }
  return { patch: Object.keys(plugins).length > 0 ? { plugins } : {}, replacePaths }
}
