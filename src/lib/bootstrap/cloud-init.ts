/**
 * The VPS setup (vps-setup.ts) as cloud-init user data, for the providers that boot from cloud-init
 * (Hetzner, Vultr, DigitalOcean, Contabo). cloud-init sets the hostname, writes the files, installs
 * the packages, then runs `runcmd` as one sh script; its first line `set -e` makes a failed step stop
 * the rest, as in the post-install script.
 */
import { stringify } from 'yaml'
import { UserError } from '../errors.js'
import { type BootstrapInput, vpsSetup } from './vps-setup.js'

/** The smallest user-data limit among the providers (Hetzner: 32 KiB). */
export const MAX_USER_DATA_BYTES = 32 * 1024

export function renderCloudInit(input: BootstrapInput): string {
  const setup = vpsSetup(input)
  const doc = {
    hostname: setup.hostname,
    preserve_hostname: false,
    write_files: setup.files.map((f) => ({ path: f.path, permissions: f.mode, content: f.content })),
    package_update: true,
    packages: setup.packages,
    runcmd: ['set -e', ...setup.commands.map((c) => c.run)],
  }
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`
  if (Buffer.byteLength(text) > MAX_USER_DATA_BYTES) {
    throw new UserError('INVALID_INPUT', `cloud-init user data exceeds ${MAX_USER_DATA_BYTES} bytes`, {
      hint: 'The user gateway config is too large to travel in user data.',
    })
  }
  return text
}
