/**
 * Cloud-init user data for a clawops VPS: Docker, the user's OpenClaw gateway under Docker Compose,
 * Tailscale joined with a one-time auth key, and gf-clawnode with its join secret, connected out to
 * the operator's gateway. The same text boots a real VPS and a lab server (the lab's clawnode boot
 * driver reads the files below from it), so what the lab proves is what a VPS runs.
 *
 * Secrets in user data are one-time or short-lived where the platform allows it (Tailscale auth key,
 * join secret). The metadata service that serves user data is closed to containers (DOCKER-USER
 * rule), so the user's OpenClaw gateway cannot read them.
 */
import { parse, stringify } from 'yaml'
import { type ClawnodeConfig, ClawnodeConfigSchema } from '../../../clawnode/config.js'
import { UserError } from '../errors.js'
import {
  CLAWNODE_ROOT,
  CLAWNODE_STATE,
  clawnodeUnit,
  ROLLBACK_SCRIPT,
  ROLLBACK_SCRIPT_PATH,
  ROLLBACK_UNIT,
  ROLLBACK_UNIT_PATH,
  UNIT_PATH,
} from './clawnode-service.js'

export const CLAWNODE_CONFIG_PATH = '/etc/gf-clawnode/config.json'
export const COMPOSE_PATH = '/opt/openclaw/docker-compose.yml'
export const USER_CONFIG_PATH = '/opt/openclaw/state/openclaw.json'
/** The compose project's env file: OPENCLAW_VERSION is the image tag (gf-clawnode's openclaw.update sets it). */
export const COMPOSE_ENV_PATH = '/opt/openclaw/.env'
/** The smallest user-data limit among the providers (Hetzner: 32 KiB). */
export const MAX_USER_DATA_BYTES = 32 * 1024

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
  tailscale: { authKey: string; tags: string[] } | null
  openclaw: { image: string; userConfig: Record<string, unknown> }
  /** npm spec of the package carrying gf-clawnode, e.g. `clawops@0.1.0`. */
  clawnodePackage: string
  /** The operator's release location (OpenClaw builds, gf-clawnode releases), or null. */
  releasesUrl?: string | null
}

export interface ParsedBootstrap {
  clawnode: ClawnodeConfig
  compose: string
  userConfig: Record<string, unknown>
  hostname: string
}

/** `ghcr.io/openclaw/openclaw:2026.9.6` → the repository and the tag (latest when none is given). */
export function splitImage(image: string): { repo: string; tag: string } {
  const at = image.lastIndexOf(':')
  return at > image.lastIndexOf('/') ? { repo: image.slice(0, at), tag: image.slice(at + 1) } : { repo: image, tag: 'latest' }
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
    userGateway: { url: 'http://127.0.0.1:18789', configPath: USER_CONFIG_PATH },
    openclaw: { install: { kind: 'compose', envFile: COMPOSE_ENV_PATH } },
    ...(input.releasesUrl ? { releases: { url: input.releasesUrl } } : {}),
    self: { dir: CLAWNODE_ROOT },
    exec: { allow: DEFAULT_EXEC_ALLOW },
  })
}

export function renderCloudInit(input: BootstrapInput): string {
  const clawnode = clawnodeConfigFor(input)
  const runcmd: (string | string[])[] = [
    // Containers must not reach the metadata service that serves this user data.
    ['iptables', '-I', 'DOCKER-USER', '-d', '169.254.169.254', '-j', 'DROP'],
    ['systemctl', 'enable', '--now', 'docker'],
    ['docker', 'compose', '-f', COMPOSE_PATH, 'up', '-d'],
  ]
  if (input.tailscale) {
    runcmd.push(
      ['sh', '-c', 'curl -fsSL https://tailscale.com/install.sh | sh'],
      [
        'tailscale',
        'up',
        `--auth-key=${input.tailscale.authKey}`,
        `--hostname=${input.hostname}`,
        `--advertise-tags=${input.tailscale.tags.join(',')}`,
      ],
    )
  }
  runcmd.push(
    ['npm', 'install', '-g', '--omit=dev', input.clawnodePackage],
    // The first release: what npm installed; self-updates unpack later ones beside it.
    ['mkdir', '-p', CLAWNODE_ROOT],
    ['sh', '-c', `ln -sfn "$(npm root -g)/clawops" ${CLAWNODE_ROOT}/current`],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', '--now', 'gf-clawnode'],
  )
  const doc = {
    hostname: input.hostname,
    package_update: true,
    packages: ['docker.io', 'docker-compose-v2', 'nodejs', 'npm', 'iptables'],
    write_files: [
      { path: COMPOSE_PATH, permissions: '0644', content: compose(input.openclaw.image) },
      {
        path: COMPOSE_ENV_PATH,
        permissions: '0600',
        content: `OPENCLAW_VERSION=${splitImage(input.openclaw.image).tag}\n`,
      },
      {
        path: USER_CONFIG_PATH,
        permissions: '0600',
        content: `${JSON.stringify(input.openclaw.userConfig, null, 2)}\n`,
      },
      { path: CLAWNODE_CONFIG_PATH, permissions: '0600', content: `${JSON.stringify(clawnode, null, 2)}\n` },
      { path: UNIT_PATH, permissions: '0644', content: clawnodeUnit(CLAWNODE_CONFIG_PATH) },
      { path: ROLLBACK_UNIT_PATH, permissions: '0644', content: ROLLBACK_UNIT },
      { path: ROLLBACK_SCRIPT_PATH, permissions: '0755', content: ROLLBACK_SCRIPT },
    ],
    runcmd,
  }
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`
  validateCloudInit(text)
  return text
}

function bad(message: string): UserError {
  return new UserError('INVALID_INPUT', `bad cloud-init user data: ${message}`, {
    hint: 'User data is generated by clawops; this is a bug or a hand-edited document.',
  })
}

/** Reads the parts of a clawops user-data document that a boot needs, checking them strictly. */
export function parseCloudInit(text: string): ParsedBootstrap {
  if (!text.startsWith('#cloud-config\n')) throw bad('it does not start with #cloud-config')
  if (Buffer.byteLength(text) > MAX_USER_DATA_BYTES) throw bad(`it exceeds ${MAX_USER_DATA_BYTES} bytes`)
  let doc: unknown
  try {
    doc = parse(text)
  } catch (err) {
    throw bad(`not YAML (${(err as Error).message.split('\n')[0]})`)
  }
  const d = doc as {
    hostname?: unknown
    write_files?: { path?: unknown; content?: unknown; permissions?: unknown }[]
  }
  if (typeof d?.hostname !== 'string') throw bad('no hostname')
  const file = (path: string, mode?: string) => {
    const f = d.write_files?.find((w) => w.path === path)
    if (!f || typeof f.content !== 'string') throw bad(`missing ${path}`)
    if (mode && f.permissions !== mode) throw bad(`${path} must have mode ${mode}`)
    return f.content
  }
  let clawnodeRaw: unknown
  let userConfig: unknown
  try {
    clawnodeRaw = JSON.parse(file(CLAWNODE_CONFIG_PATH, '0600'))
    userConfig = JSON.parse(file(USER_CONFIG_PATH, '0600'))
  } catch (err) {
    if (err instanceof UserError) throw err
    throw bad('an embedded config is not JSON')
  }
  const clawnode = ClawnodeConfigSchema.safeParse(clawnodeRaw)
  if (!clawnode.success) {
    throw bad(
      `gf-clawnode config: ${clawnode.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
    )
  }
  if (!userConfig || typeof userConfig !== 'object' || Array.isArray(userConfig))
    throw bad('user gateway config is not an object')
  return {
    clawnode: clawnode.data,
    compose: file(COMPOSE_PATH),
    userConfig: userConfig as Record<string, unknown>,
    hostname: d.hostname,
  }
}

export function validateCloudInit(text: string): void {
  parseCloudInit(text)
}
