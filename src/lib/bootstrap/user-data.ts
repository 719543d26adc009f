/**
 * The VPS setup in the user-data format a provider takes (its adapter's `capabilities.userData`):
 * cloud-init for Hetzner, Vultr, DigitalOcean and Contabo, a post-install shell script for Hostinger.
 */
import { renderCloudInit } from './cloud-init.js'
import { renderPostInstallScript } from './post-install.js'
import type { BootstrapInput } from './vps-setup.js'

export function renderUserData(format: 'cloud-init' | 'shell-script', input: BootstrapInput): string {
  return format === 'shell-script' ? renderPostInstallScript(input) : renderCloudInit(input)
}
