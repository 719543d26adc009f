/**
 * The VPS setup (vps-setup.ts) as a post-install shell script, for Hostinger: it saves the script as
 * /post_install, makes it executable and runs it once after installing the VM (the kernel needs the
 * shebang), its output going to /post_install.log. The script also logs to
 * /var/log/clawops-bootstrap.log, stops at the first failed step, and can be run again.
 *
 * Every path it writes is below `$CLAWOPS_BOOTSTRAP_ROOT` (unset on a VPS: `/`); the lab sets it to
 * the server's own directory to run the very same script in a sandbox.
 */
import { UserError } from '../errors.js'
import { BOOTSTRAP_LOG_PATH, type BootstrapInput, type SetupFile, shq, vpsSetup } from './vps-setup.js'

/** Hostinger's limit for a post-install script. */
export const MAX_POST_INSTALL_BYTES = 48 * 1024

const PRELUDE = `set -euo pipefail
ROOT="\${CLAWOPS_BOOTSTRAP_ROOT:-}"
mkdir -p "$ROOT/var/log"
exec > >(tee -a "$ROOT${BOOTSTRAP_LOG_PATH}") 2>&1
TEE_PID=$!
# The log is complete when the script ends, whether it succeeds or stops at a failed step.
trap 'exec >&- 2>&-; wait "$TEE_PID" 2>/dev/null || true' EXIT
step() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T clawops-bootstrap: %s\\n' -1 "$*"; }
# put PATH MODE [keep] < content: written whole (temporary file, then rename) with its mode set
# before the content lands; with "keep", an existing file is left as it is.
put() {
  local dest="$ROOT$1"
  if [ "\${3:-}" = keep ] && [ -e "$dest" ]; then cat >/dev/null; return 0; fi
  mkdir -p "\${dest%/*}"
  (umask 077 && cat >"$dest.clawops-new")
  chmod "$2" "$dest.clawops-new"
  mv -f "$dest.clawops-new" "$dest"
}
`

function heredoc(f: SetupFile): string {
  let tag = 'CLAWOPS_FILE_END'
  const lines = new Set(f.content.split('\n'))
  for (let i = 1; lines.has(tag); i++) tag = `CLAWOPS_FILE_END_${i}`
  const body = f.content.endsWith('\n') ? f.content : `${f.content}\n`
  return `put ${shq(f.path)} ${f.mode}${f.keepExisting ? ' keep' : ''} <<'${tag}'\n${body}${tag}\n`
}

export function renderPostInstallScript(input: BootstrapInput): string {
  const setup = vpsSetup(input)
  const parts = [
    '#!/bin/bash\n',
    `# clawops post-install script for ${setup.hostname} (instance ${input.instanceId}).\n`,
    PRELUDE,
    `step ${shq('set the hostname')}\n`,
    `hostnamectl set-hostname ${shq(setup.hostname)}\n`,
    ...setup.files.map((f) => `step ${shq(`write ${f.path}`)}\n${heredoc(f)}`),
    `step ${shq('install packages')}\n`,
    'export DEBIAN_FRONTEND=noninteractive\n',
    'apt-get update -q\n',
    `apt-get install -y -q ${setup.packages.map(shq).join(' ')}\n`,
    ...setup.commands.map((c) => `step ${shq(c.step)}\n${c.run}\n`),
    `step done\n`,
  ]
  const text = parts.join('')
  if (Buffer.byteLength(text) > MAX_POST_INSTALL_BYTES) {
    throw new UserError('INVALID_INPUT', `the post-install script exceeds ${MAX_POST_INSTALL_BYTES} bytes`, {
      hint: 'The user gateway config is too large to travel in a post-install script.',
    })
  }
  return text
}
