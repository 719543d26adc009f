/** Versions end up in paths, URLs and env: only plain version strings get through. */
import { NodeCommandError } from '../commands/errors.js'

export const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/

export function checkVersion(version: string): string {
  if (!VERSION_RE.test(version))
    throw new NodeCommandError('INVALID_PARAMS', 'version has unexpected characters')
  return version
}
