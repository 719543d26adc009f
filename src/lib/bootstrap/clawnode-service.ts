/**
 * gf-clawnode as a service on a VPS, and how its service manager undoes a self-update that does not
 * come back. The unit runs `<root>/current/bin/gf-clawnode.js` and restarts it whenever it exits (a
 * self-update exits with 75 to be started again in the new release). When it keeps failing (a broken
 * build crashes at once; one that cannot join the gateway exits after its probation) systemd gives up
 * on it after StartLimitBurst starts and runs OnFailure: the rollback script below, which swaps
 * `current` back to the release recorded before the swap and starts the service again.
 *
 * The script is plain sh and lives outside the releases, so a broken release cannot break its own
 * rollback. The lab's supervisor (src/lib/lab/clawnode-supervisor.ts) runs this same script.
 */

export const CLAWNODE_ROOT = '/opt/gf-clawnode'
export const CLAWNODE_STATE = '/var/lib/gf-clawnode'
/** What the first release's `npm install -g` puts on the PATH. */
export const CLAWNODE_NPM_BIN = '/usr/local/bin/gf-clawnode'
/** What the unit runs: the release `current` points at. */
export const CLAWNODE_CURRENT_BIN = `${CLAWNODE_ROOT}/current/bin/gf-clawnode.js`
export const ROLLBACK_SCRIPT_PATH = '/usr/local/lib/gf-clawnode/rollback.sh'
export const ROLLBACK_UNIT_PATH = '/etc/systemd/system/gf-clawnode-rollback.service'

/** How many failed starts within the interval before the service manager rolls back. */
export const START_LIMIT = { burst: 3, intervalSeconds: 300 } as const

/**
 * Puts the previous release back when a self-update is pending (`<state>/self-update/pending`):
 * `current` is pointed at `<state>/self-update/previous` with an atomic rename, and `pending` becomes
 * `rolled-back` so the old release can tell clawops what happened. Without a pending update it does
 * nothing (the failure is not an update's). Paths come from GF_CLAWNODE_ROOT and GF_CLAWNODE_STATE.
 */
export const ROLLBACK_SCRIPT = `#!/bin/sh
# gf-clawnode-rollback: put the previous gf-clawnode release back after a self-update that did not come back.
set -u
root="\${GF_CLAWNODE_ROOT:-${CLAWNODE_ROOT}}"
dir="\${GF_CLAWNODE_STATE:-${CLAWNODE_STATE}}/self-update"
[ -f "$dir/pending" ] || { echo "no self-update pending; nothing to roll back"; exit 0; }
[ -f "$dir/previous" ] || { echo "no previous release recorded" >&2; exit 1; }
prev="$(cat "$dir/previous")"
[ -f "$prev/bin/gf-clawnode.js" ] || { echo "previous release $prev is gone" >&2; exit 1; }
ln -sfn "$prev" "$root/current.rollback" || exit 1
mv -Tf "$root/current.rollback" "$root/current" || exit 1
mv -f "$dir/pending" "$dir/rolled-back" || exit 1
echo "rolled back to $prev"
`

export function clawnodeUnit(configPath: string): string {
  return `[Unit]
Description=gf-clawnode: clawops instance agent
After=network-online.target docker.service tailscaled.service
Wants=network-online.target
StartLimitIntervalSec=${START_LIMIT.intervalSeconds}
StartLimitBurst=${START_LIMIT.burst}
OnFailure=gf-clawnode-rollback.service

[Service]
# The first release is the one npm installed; self-updates unpack later ones beside it and swap current.
ExecStartPre=/bin/sh -c 'test -e ${CLAWNODE_ROOT}/current || { mkdir -p ${CLAWNODE_ROOT} && ln -s "$(npm root -g)/clawops" ${CLAWNODE_ROOT}/current; }'
ExecStart=/usr/bin/node --max-semi-space-size=1 ${CLAWNODE_CURRENT_BIN} run --config ${configPath}
Restart=always
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target
`
}

export const ROLLBACK_UNIT = `[Unit]
Description=gf-clawnode: put the previous release back after a failed self-update

[Service]
Type=oneshot
Environment=GF_CLAWNODE_ROOT=${CLAWNODE_ROOT} GF_CLAWNODE_STATE=${CLAWNODE_STATE}
ExecStart=/bin/sh ${ROLLBACK_SCRIPT_PATH}
ExecStartPost=/bin/systemctl reset-failed gf-clawnode.service
ExecStartPost=/bin/systemctl start gf-clawnode.service
`
