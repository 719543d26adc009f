/**
 * Where a home's store is: CLAWOPS_DATABASE_URL when the caller trusts its environment (an operator's
 * shell, never an agent's exec nor the gateway's plugin), else the config's `store.url` or the file
 * `store.urlFile` names, else the SQLite file in the home. One rule for every reader of the store.
 */
import { join } from 'node:path'
import { UserError } from '../errors.js'
import { isPostgresUrl } from '../store/postgres.js'
import type { Config } from './schema.js'
import { readSecretFile } from './secret-file.js'

export function storeLocation(home: string, config: Config, envUrl?: string): string {
  if (envUrl) {
    if (!isPostgresUrl(envUrl)) {
      throw new UserError(
        'CONFIG_INVALID',
        'CLAWOPS_DATABASE_URL is not a postgres:// or postgresql:// URL',
        {
          hint: 'Set it to postgresql://user@host:5432/database, or unset it to use the SQLite file in the home.',
        },
      )
    }
    return envUrl
  }
  const s = config.store
  if (s?.url) return s.url
  if (s?.urlFile) {
    const url = readSecretFile(s.urlFile)
    if (!isPostgresUrl(url)) {
      throw new UserError('CONFIG_INVALID', `${s.urlFile} does not hold a postgres:// or postgresql:// URL`, {
        hint: 'Write the URL alone in the file (mode 0600).',
      })
    }
    return url
  }
  return join(home, 'fleet.db')
}
