/**
 * What a clawops VPS runs, once, as data: its hostname, the files it gets, the packages it installs
 * and the commands that start Docker, the metadata-service fence, the user's OpenClaw gateway under
 * Docker Compose, Tailscale (joined with a one-time key) and gf-clawnode with its join secret. This
 * is the single source of truth; cloud-init.ts renders it as `#cloud-config` user data (Hetzner,
 * Vultr, DigitalOcean, Contabo) and post-install.ts as a shell script (Hostinger runs post-install
 * scripts, not cloud-init). The lab runs either rendering for real (src/lib/lab/vps/), and a test
 * checks that both leave the same machine behind.
 *
 * Every command is POSIX sh, runs as root, and is safe to run twice: a rerun of the post-install
 * script (or of cloud-init's runcmd) leaves the machine as one run does. Secrets in the files are
 * one-time or short-lived (Tailscale auth key, gateway bootstrap credential, join secret); the
 * metadata service that serves user data is closed to containers on every boot.
 */
import { stringify } from 'yaml'
import { type ClawnodeConfig, ClawnodeConfigSchema } from '../../../clawnode/config.js'
import {
  CLAWNODE_ROOT,
  CLAWNODE_STATE,
  clawnodeUnit,
  ROLLBACK_SCRIPT,
  ROLLBACK_SCRIPT_PATH,
  ROLLBACK_UNIT,
  ROLLBACK_UNIT_PATH,
} from './clawnode-service.js'

export const CLAWNODE_CONFIG_PATH = '/etc/gf-clawnode/config.json'
export const CLAWNODE_UNIT = 'gf-clawnode'
export const COMPOSE_PATH = '/opt/openclaw/docker-compose.yml'
export const USER_CONFIG_PATH = '/opt/openclaw/state/openclaw.json'
/** The compose project's env file: OPENCLAW_VERSION is the image tag (gf-clawnode's openclaw.update sets it). */
export const COMPOSE_ENV_PATH = '/opt/openclaw/.env'
export const FENCE_UNIT = 'clawops-metadata-fence'
/** Where the post-install script logs (cloud-init logs runcmd to /var/log/cloud-init-output.log). */
export const BOOTSTRAP_LOG_PATH = '/var/log/clawops-bootstrap.log'
const METADATA_IP = '169.254.169.254'

export interface BootstrapInput {
  instanceId: string
  hostname: string
  operatorGatewayUrl: string
  /**
   * First contact with the operator's gateway: a single-use bootstrap credential, the shared token,
   * or both (the bootstrap credential goes first); the device token replaces it after pairing.
   */
  firstContact: { token?: string; bootstrapToken?: string }
  joinSecret: string
  /** A pre-authorized, single-use auth key minted for this server alone; null: no Tailscale. */
  tailscale: { authKey: string; tags: string[] } | null
  openclaw: { image: string; userConfig: Record<string, unknown> }
  /** npm spec of the package carrying gf-clawnode, e.g. `clawops@0.1.0`. */
  clawnodePackage: string
  /** The operator's release location (OpenClaw builds, gf-clawnode releases), or null. */
  releasesUrl?: string | null
}

export interface SetupFile {
  path: string
  mode: '0600' | '0644' | '0755'
  content: string
  /** Written only when absent: the user's config is theirs after the first boot. */
  keepExisting?: boolean
}

export interface SetupCommand {
  /** What the step is for, logged by the post-install script. */
  step: string
  /** One POSIX sh command line, idempotent. */
  run: string
}

export interface VpsSetup {
  hostname: string
  files: SetupFile[]
  packages: string[]
  commands: SetupCommand[]
}

/** A value quoted for POSIX sh. */
export function shq(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** `ghcr.io/openclaw/openclaw:2026.9.6` → the repository and the tag (latest when none is given). */
export function splitImage(image: string): { repo: string; tag: string } {
  const at = image.lastIndexOf(':')
  return at > image.lastIndexOf('/')
    ? { repo: image.slice(0, at), tag: image.slice(at + 1) }
    : { repo: image, tag: 'latest' }
}

function compose(image: string): string {
  const { repo, tag } = splitImage(image)
  return stringify({
    services: {
      openclaw: {
        image: `${repo}:\${OPENCLAW_VERSION:-${tag}}`,
        restart: 'unless-stopped',
        command: ['openclaw', 'gateway', 'run', '--bind', 'lan', '--port', '18789'],
        environment: { OPENCLAW_CONFIG_PATH: '/state/openclaw.json', OPENCLAW_STATE_DIR: '/state' },
        volumes: ['/opt/openclaw/state:/state'],
        ports: ['127.0.0.1:18789:18789'],
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
        mem_limit: '2g',
        pids_limit: 512,
      },
    },
  })
}

// iptables rules do not survive a reboot and Docker recreates DOCKER-USER empty, so the fence is a
// unit that puts the rule back every time Docker starts.
const FENCE_RULE = `DOCKER-USER -d ${METADATA_IP} -j DROP`
const FENCE_UNIT_FILE = `[Unit]
Description=clawops: containers may not reach the metadata service (it serves this server's user data)
After=docker.service
Requires=docker.service
PartOf=docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'iptables -C ${FENCE_RULE} 2>/dev/null || iptables -I ${FENCE_RULE}'

[Install]
WantedBy=multi-user.target docker.service
`

/**
 * What `clawops instance exec` may run on a fleet VPS by default: read-only diagnostics with plain
 * arguments. Anything else needs an operator to widen the node's allowlist deliberately.
 */
export const DEFAULT_EXEC_ALLOW = [
  { name: 'df', path: '/usr/bin/df', argPattern: '^-[a-zA-Z]+$', maxArgs: 2 },
  { name: 'free', path: '/usr/bin/free', argPattern: '^-[a-zA-Z]+$', maxArgs: 2 },
  { name: 'uptime', path: '/usr/bin/uptime', maxArgs: 0 },
]

export function clawnodeConfigFor(input: BootstrapInput): ClawnodeConfig {
  return ClawnodeConfigSchema.parse({
    instanceId: input.instanceId,
    gateway: { url: input.operatorGatewayUrl, ...input.firstContact },
    joinSecret: input.joinSecret,
    stateDir: CLAWNODE_STATE,
    service: { kind: 'compose', composeFile: COMPOSE_PATH, service: 'openclaw', projectDir: '/opt/openclaw' },
    userGateway: {
      url: 'http://127.0.0.1:18789',
      configPath: USER_CONFIG_PATH,
      // OpenClaw judges every pushed config before the swap, with the Node and the OpenClaw of the
      // user's image (a container of its own, so a gateway that is down can still be given a fix).
      validator: {
        node: ['docker', 'compose', '-f', COMPOSE_PATH, 'run', '--rm', '--no-deps', '-T', 'openclaw', 'node'],
        openclaw: 'openclaw',
        configDir: '/state',
      },
    },
    openclaw: { install: { kind: 'compose', envFile: COMPOSE_ENV_PATH } },
    ...(input.releasesUrl ? { releases: { url: input.releasesUrl } } : {}),
    self: { dir: CLAWNODE_ROOT },
    exec: { allow: DEFAULT_EXEC_ALLOW },
  })
}

export function vpsSetup(input: BootstrapInput): VpsSetup {
  const clawnode = clawnodeConfigFor(input)
  const commands: SetupCommand[] = [
    { step: 'start Docker', run: 'systemctl enable --now docker' },
    { step: 'load the units written above', run: 'systemctl daemon-reload' },
    { step: 'close the metadata service to containers', run: `systemctl enable --now ${FENCE_UNIT}` },
    { step: "start the user's OpenClaw gateway", run: `docker compose -f ${COMPOSE_PATH} up -d` },
  ]
  if (input.tailscale) {
    const up = [
      'tailscale up',
      `--auth-key=${shq(input.tailscale.authKey)}`,
      `--hostname=${shq(input.hostname)}`,
      `--advertise-tags=${shq(input.tailscale.tags.join(','))}`,
    ].join(' ')
    // A joined node is left alone: the key is single-use, so a rerun must not present it again.
    commands.push({
      step: 'join the tailnet',
      run: `tailscale status >/dev/null 2>&1 || { curl -fsSL https://tailscale.com/install.sh | sh && ${up}; }`,
    })
  }
  commands.push(
    { step: 'install gf-clawnode', run: `npm install -g --omit=dev ${shq(input.clawnodePackage)}` },
    { step: 'start gf-clawnode', run: `systemctl enable --now ${CLAWNODE_UNIT}` },
  )
  return {
    hostname: input.hostname,
    files: [
      { path: COMPOSE_PATH, mode: '0644', content: compose(input.openclaw.image) },
      // Written only at the first boot: after that the version is what upgrades made it.
      {
        path: COMPOSE_ENV_PATH,
        mode: '0600',
        content: `OPENCLAW_VERSION=${splitImage(input.openclaw.image).tag}\n`,
        keepExisting: true,
      },
      {
        path: USER_CONFIG_PATH,
        mode: '0600',
        content: `${JSON.stringify(input.openclaw.userConfig, null, 2)}\n`,
        keepExisting: true,
      },
      { path: CLAWNODE_CONFIG_PATH, mode: '0600', content: `${JSON.stringify(clawnode, null, 2)}\n` },
      {
        path: `/etc/systemd/system/${CLAWNODE_UNIT}.service`,
        mode: '0644',
        content: clawnodeUnit(CLAWNODE_CONFIG_PATH),
      },
      { path: ROLLBACK_UNIT_PATH, mode: '0644', content: ROLLBACK_UNIT },
      { path: ROLLBACK_SCRIPT_PATH, mode: '0755', content: ROLLBACK_SCRIPT },
      { path: `/etc/systemd/system/${FENCE_UNIT}.service`, mode: '0644', content: FENCE_UNIT_FILE },
    ],
    packages: ['docker.io', 'docker-compose-v2', 'nodejs', 'npm', 'iptables'],
    commands,
  }
}
