/**
 * The systemd unit for `clawops watch` (`clawops watch --print-systemd > /etc/systemd/system/clawops-watch.service`).
 * It runs the same Node and checkout as the command that printed it, restarts on failure, stops with
 * SIGTERM (watch finishes what it is doing and exits 0), and reads secrets from an environment file
 * rather than the unit, which is world-readable.
 */
import { join } from 'node:path'
import { packageRoot } from '../paths.js'

export interface UnitOptions {
  home: string
  heal: boolean
  user?: string
  envFile?: string
  nodePath?: string
  bin?: string
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`)

export function systemdUnit(o: UnitOptions): string {
  const node = o.nodePath ?? process.execPath
  const bin = o.bin ?? join(packageRoot(), 'bin', 'clawops.js')
  const args = ['watch', ...(o.heal ? ['--heal'] : []), '--as', 'guardian', '--json']
  return `[Unit]
Description=clawops watch: fleet health monitor and event delivery to the agent team
Documentation=man:clawops-watch(1)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${[node, bin, ...args].map(quote).join(' ')}
Environment=CLAWOPS_HOME=${quote(o.home)}
Environment=CLAWOPS_LOG=file
# OPENCLAW_GATEWAY_TOKEN, CLAWOPS_HOOKS_TOKEN, CLAWOPS_WEBHOOK_SECRET (and _PREVIOUS during a rotation)
EnvironmentFile=-${o.envFile ?? '/etc/clawops/watch.env'}
${o.user ? `User=${o.user}\n` : ''}Restart=always
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=30
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=${quote(o.home)}

[Install]
WantedBy=multi-user.target
`
}
