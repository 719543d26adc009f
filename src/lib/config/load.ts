/** Reads and validates the config file; a bad file is a CONFIG_INVALID error naming the bad key. */
import { existsSync, readFileSync } from 'node:fs'
import { UserError } from '../errors.js'
import { configPath } from './path.js'
import { type Config, ConfigSchema } from './schema.js'

export function loadConfig(home: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = configPath(home, env)
  let raw: unknown = {}
  if (existsSync(path)) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'))
    } catch (err) {
      throw new UserError('CONFIG_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, {
        hint: 'Fix the file or move it away; clawops runs with defaults when it is absent.',
        details: { path },
      })
    }
  }
  const parsed = ConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.join('.') || '(root)',
      message: i.message,
    }))
    throw new UserError(
      'CONFIG_INVALID',
      `${path}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { hint: 'Fix the keys named above.', details: { path, issues } },
    )
  }
  return parsed.data
}
