/**
 * The system commands a lab VPS offers its user data: apt-get, systemctl, docker, iptables, curl,
 * tailscale, npm and hostnamectl as small sh scripts first on the PATH of every script the lab runs
 * for a server. Each keeps the machine's state under the server's root ($CLAWOPS_BOOTSTRAP_ROOT),
 * behaves like the real command where a setup script can tell (a package's programs exist only once
 * it is installed, `systemctl enable` needs the unit file, DOCKER-USER exists only while Docker runs,
 * `docker compose up` needs the file, an auth key is checked by the tailnet), and appends what it
 * did to var/lib/lab-vps/events. After the script, the lab reads that state to decide what runs:
 * what the user data installs and starts is what the lab starts.
 *
 * Nothing here is sandboxed by the kernel: a user script that writes absolute paths itself writes on
 * the lab machine. clawops' own scripts write below $CLAWOPS_BOOTSTRAP_ROOT only.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** State the shims keep below a server's root; `run/` is what a reboot clears. */
export const LAB_STATE_DIR = '/var/lib/lab-vps'

const HEADER = `#!/bin/sh
# A lab VPS command (src/lib/lab/vps/shims.ts).
R="\${CLAWOPS_BOOTSTRAP_ROOT:?not on a lab VPS}"
S="$R${LAB_STATE_DIR}"
[ -d "$S/run" ] || mkdir -p "$S/run"
ev() { printf '%s\\n' "$*" >>"$S/events"; }
need() { [ -e "$R$1" ] || { echo "$2: command not found" >&2; exit 127; }; }
addline() { grep -qxF -- "$2" "$1" 2>/dev/null || printf '%s\\n' "$2" >>"$1"; }
running() { grep -qxF -- "$1" "$S/run/started" 2>/dev/null; }
`

/** Files a package puts on the machine, and the units its maintainer script starts. */
const APT_GET = `sub=""; pkgs=""
for a in "$@"; do
  case "$a" in -*) ;; *) if [ -z "$sub" ]; then sub="$a"; else pkgs="$pkgs $a"; fi ;; esac
done
case "$sub" in
  install)
    for p in $pkgs; do
      files=""; units=""
      case "$p" in
        docker.io) files="/usr/bin/docker /usr/sbin/dockerd /lib/systemd/system/docker.service"; units=docker ;;
        docker-compose-v2) files="/usr/libexec/docker/cli-plugins/docker-compose" ;;
        nodejs) files="/usr/bin/node" ;;
        npm) files="/usr/bin/npm" ;;
        iptables) files="/usr/sbin/iptables" ;;
        tailscale) files="/usr/bin/tailscale /usr/sbin/tailscaled /lib/systemd/system/tailscaled.service"; units=tailscaled ;;
      esac
      for f in $files; do
        mkdir -p "$R\${f%/*}"
        [ -e "$R$f" ] || printf 'lab: from package %s\\n' "$p" >"$R$f"
      done
      addline "$S/packages" "$p"
      ev "apt-get install $p"
      for u in $units; do addline "$S/enabled" "$u"; addline "$S/run/started" "$u"; done
    done ;;
  *) ev "apt-get $sub" ;;
esac
`

const SYSTEMCTL = `now=""; sub=""; units=""
for a in "$@"; do
  case "$a" in --now) now=1 ;; -*) ;; *) if [ -z "$sub" ]; then sub="$a"; else units="$units \${a%.service}"; fi ;; esac
done
unitfile() {
  for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
    if [ -f "$R$d/$1.service" ]; then echo "$R$d/$1.service"; return 0; fi
  done
  return 1
}
start() {
  f=$(unitfile "$1") || { echo "Failed to start $1.service: Unit $1.service not found." >&2; exit 5; }
  addline "$S/run/started" "$1"
  ev "systemctl start $1"
  if grep -qx 'Type=oneshot' "$f"; then
    cmd=$(sed -n 's/^ExecStart=//p' "$f")
    if [ -n "$cmd" ]; then eval "$cmd" || { echo "$1.service: control process exited with error" >&2; exit 1; }; fi
  fi
}
case "$sub" in
  enable)
    for u in $units; do
      unitfile "$u" >/dev/null || { echo "Failed to enable unit: Unit file $u.service does not exist." >&2; exit 1; }
      addline "$S/enabled" "$u"
      ev "systemctl enable $u"
    done
    if [ -n "$now" ]; then for u in $units; do start "$u"; done; fi ;;
  start|restart|reload-or-restart|try-restart) for u in $units; do start "$u"; done ;;
  stop)
    for u in $units; do
      grep -vxF -- "$u" "$S/run/started" >"$S/run/started.new" 2>/dev/null; mv -f "$S/run/started.new" "$S/run/started"
      ev "systemctl stop $u"
    done ;;
  is-active) for u in $units; do running "$u" || { echo inactive; exit 3; }; done; echo active ;;
  is-enabled) for u in $units; do grep -qxF -- "$u" "$S/enabled" 2>/dev/null || { echo disabled; exit 1; }; done; echo enabled ;;
  *) ev "systemctl $sub$units" ;;
esac
`

const IPTABLES = `need /usr/sbin/iptables iptables
op="\${1:-}"
case "$op" in
  -C|-I|-A|-D) shift; chain="\${1:-}"; shift; rule="$chain $*" ;;
  *) ev "iptables $*"; exit 0 ;;
esac
if [ "$chain" = DOCKER-USER ] && ! running docker; then
  echo "iptables: No chain/target/match by that name." >&2; exit 1
fi
case "$op" in
  -C) grep -qxF -- "$rule" "$S/run/iptables" 2>/dev/null || { echo "iptables: Bad rule (does a matching rule exist in that chain?)." >&2; exit 1; } ;;
  -D) grep -vxF -- "$rule" "$S/run/iptables" >"$S/run/iptables.new" 2>/dev/null; mv -f "$S/run/iptables.new" "$S/run/iptables"; ev "iptables -D $rule" ;;
  *) printf '%s\\n' "$rule" >>"$S/run/iptables"; ev "iptables $op $rule" ;;
esac
`

const DOCKER = `need /usr/bin/docker docker
if [ "\${1:-}" != compose ]; then ev "docker $*"; exit 0; fi
shift; file=""; sub=""
while [ $# -gt 0 ]; do
  case "$1" in
    -f|--file) file="\${2:-}"; shift 2 ;;
    -*) shift ;;
    *) [ -z "$sub" ] && sub="$1"; shift ;;
  esac
done
[ -e "$R/usr/libexec/docker/cli-plugins/docker-compose" ] || { echo "docker: 'compose' is not a docker command." >&2; exit 1; }
running docker || { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; }
case "$sub" in
  up) [ -f "$R$file" ] || { echo "open $file: no such file or directory" >&2; exit 1; }
      addline "$S/compose" "$file"; ev "docker compose up $file" ;;
  *) ev "docker compose $sub $file" ;;
esac
`

// The lab has no internet: only Tailscale's installer answers, and it installs the package.
const CURL = `url=""
for a in "$@"; do case "$a" in http://*|https://*) url="$a" ;; esac; done
case "$url" in
  https://tailscale.com/install.sh)
    ev "curl $url"
    printf '#!/bin/sh\\nset -e\\napt-get install -y tailscale\\n' ;;
  *) echo "curl: (6) Could not resolve host: \${url#*://}" >&2; exit 6 ;;
esac
`

const TAILSCALE = `need /usr/bin/tailscale tailscale
case "\${1:-}" in
  status) if [ -f "$S/tailscale.json" ]; then echo "lab: logged in"; exit 0; fi; echo "Logged out."; exit 1 ;;
  up) shift; exec "\${CLAWOPS_LAB_NODE:?}" "$(dirname "$0")/tailscale-up.mjs" "$@" ;;
  *) ev "tailscale $*" ;;
esac
`

// `tailscale up` presents the auth key to the lab's tailnet, which consumes it (single-use keys
// refuse a second device) and lists the device from then on.
const TAILSCALE_UP = `import { appendFileSync, writeFileSync } from 'node:fs'
const opt = (name) => {
  for (const a of process.argv.slice(2)) if (a.startsWith(\`--\${name}=\`)) return a.slice(name.length + 3)
  return undefined
}
const root = process.env.CLAWOPS_BOOTSTRAP_ROOT
const url = process.env.CLAWOPS_LAB_TAILSCALE_URL
const authKey = opt('auth-key') ?? opt('authkey')
const hostname = opt('hostname') ?? ''
const tags = (opt('advertise-tags') ?? '').split(',').filter(Boolean)
if (!url) { console.error('tailscale: this lab has no tailnet'); process.exit(1) }
if (!authKey) { console.error('tailscale: no auth key; interactive login is not possible here'); process.exit(1) }
const res = await fetch(\`\${url}/register\`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ authKey, hostname, tags }),
}).catch((err) => { console.error(\`tailscale: \${err.message}\`); process.exit(1) })
const body = await res.json().catch(() => ({}))
if (!res.ok) { console.error(\`backend error: \${body.message ?? res.status}\`); process.exit(1) }
writeFileSync(\`\${root}${LAB_STATE_DIR}/tailscale.json\`, JSON.stringify(body))
appendFileSync(\`\${root}${LAB_STATE_DIR}/events\`, \`tailscale up --hostname=\${hostname} --advertise-tags=\${tags.join(',')}\\n\`)
`

const NPM = `need /usr/bin/npm npm
sub="\${1:-}"; [ $# -gt 0 ] && shift
case "$sub" in
  install|i)
    global=""; specs=""
    for a in "$@"; do case "$a" in -g|--global) global=1 ;; -*) ;; *) specs="$specs $a" ;; esac; done
    for s in $specs; do
      [ -n "$global" ] && addline "$S/npm-global" "$s"
      case "$s" in
        clawops|clawops@*) mkdir -p "$R/usr/local/bin"; printf 'lab: gf-clawnode from %s\\n' "$s" >"$R/usr/local/bin/gf-clawnode" ;;
      esac
      ev "npm install $s"
    done ;;
  *) ev "npm $sub $*" ;;
esac
`

const HOSTNAMECTL = `case "\${1:-}" in
  set-hostname) mkdir -p "$R/etc"; printf '%s\\n' "$2" >"$R/etc/hostname"; ev "hostname $2" ;;
  *) cat "$R/etc/hostname" 2>/dev/null ;;
esac
`

const SHIMS: Record<string, string> = {
  'apt-get': APT_GET,
  apt: APT_GET,
  systemctl: SYSTEMCTL,
  iptables: IPTABLES,
  docker: DOCKER,
  curl: CURL,
  tailscale: TAILSCALE,
  npm: NPM,
  hostnamectl: HOSTNAMECTL,
}

/** Writes the shims into `dir` (idempotent) and returns it, for the front of a script's PATH. */
export function installShims(dir: string): string {
  mkdirSync(dir, { recursive: true })
  for (const [name, body] of Object.entries(SHIMS)) {
    const path = join(dir, name)
    writeFileSync(path, HEADER + body)
    chmodSync(path, 0o755)
  }
  writeFileSync(join(dir, 'tailscale-up.mjs'), TAILSCALE_UP)
  return dir
}
