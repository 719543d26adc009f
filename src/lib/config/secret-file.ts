/**
 * Secrets kept in files rather than in the config or the environment (the Docker/systemd credentials
 * pattern). A file others can read is refused: a secret that leaked on disk is not a secret.
 */
import { readFileSync, statSync } from 'node:fs'
import { UserError } from '../errors.js'

export function readSecretFile(path: string): string {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch {
    throw new UserError('CONFIG_INVALID', `secret file ${path} does not exist`, {
      hint: 'Create it with mode 0600, or point the config elsewhere.',
    })
  }
  if ((mode & 0o077) !== 0) {
    throw new UserError(
      'CONFIG_INVALID',
      `secret file ${path} is readable by others (mode ${(mode & 0o777).toString(8)})`,
      {
        hint: `chmod 600 ${path}`,
      },
    )
  }
  return readFileSync(path, 'utf8').trim()
}

export function readSecretJson(path: string): Record<string, string> {
  const text = readSecretFile(path)
  try {
    const v: unknown = JSON.parse(text)
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.values(v).every((x) => typeof x === 'string')
    ) {
      return v as Record<string, string>
    }
  } catch {
    // reported below without echoing the content
  }
  throw new UserError('CONFIG_INVALID', `secret file ${path} must hold a JSON object of strings`)
}
