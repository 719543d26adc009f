/**
 * gf-clawnode's own config file (JSON), written by clawops into the server's user data. It is
 * validated strictly: a typo in a key is an error, not a silently ignored setting, and every error
 * names the offending path. Secrets in it (gateway token, bootstrap token, join secret) are never
 * echoed back in errors.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, normalize, relative, resolve } from 'node:path'
import { z } from 'zod'
import { isValidInstanceId } from '../src/lib/gateway/join-proof.js'

const Argv = z.array(z.string().min(1)).min(1)

/** `exec.run` allowlist entry: the name the caller uses and the absolute binary it runs. */
export const ExecEntrySchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a lowercase command name without paths'),
    path: z
      .string()
      .refine(
        (p) => isAbsolute(p) && normalize(p) === p && !p.includes('..'),
        'an absolute, normalized path',
      ),
    maxArgs: z.number().int().min(0).max(32).default(8),
    /** Every argument must match this (anchored) pattern, on top of the built-in refusals. */
    argPattern: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s)
          return true
        } catch {
          return false
        }
      }, 'a valid regular expression')
      .optional(),
    /** When set, the arguments must equal one of these lists exactly. */
    args: z.array(z.array(z.string())).optional(),
    timeoutMs: z.number().int().positive().max(600_000).optional(),
  })
  .strict()
export type ExecEntry = z.infer<typeof ExecEntrySchema>

const ComposeService = z
  .object({
    kind: z.literal('compose'),
    composeFile: z.string().min(1),
    service: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
      .default('openclaw'),
    projectDir: z.string().optional(),
  })
  .strict()

const SystemdService = z
  .object({
    kind: z.literal('systemd'),
    unit: z.string().regex(/^[A-Za-z0-9@_.:-]+$/),
    userUnit: z.boolean().default(false),
  })
  .strict()

const ProcessService = z
  .object({
    kind: z.literal('process'),
    argv: Argv,
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
    stopTimeoutMs: z.number().int().positive().max(120_000).default(5_000),
    autostart: z.boolean().default(true),
  })
  .strict()

const NoService = z.object({ kind: z.literal('none') }).strict()

/**
 * How versions of the user's OpenClaw are installed on this host (`openclaw.update`):
 * - releases: each version unpacked from the operator's release location into `<dir>/versions/<v>`,
 *   `<dir>/current` a symlink to the active one (the service's argv runs `<dir>/current/openclaw.mjs`);
 * - compose: the image tag is OPENCLAW_VERSION in the compose project's env file;
 * - none: this node cannot change the version.
 */
const OpenclawInstall = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('releases'), dir: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('compose'), envFile: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
])

export const ServiceConfigSchema = z.discriminatedUnion('kind', [
  ComposeService,
  SystemdService,
  ProcessService,
  NoService,
])
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>

export const ClawnodeConfigSchema = z
  .object({
    instanceId: z.string().refine(isValidInstanceId, 'letters, digits, . _ : - (at most 64)'),
    gateway: z
      .object({
        url: z
          .string()
          .url()
          .refine((u) => u.startsWith('ws://') || u.startsWith('wss://'), 'a ws:// or wss:// URL'),
        /** Shared gateway token: first contact only; the device token replaces it after pairing. */
        token: z.string().min(1).optional(),
        /** Gateway-issued bootstrap credential: an alternative first contact without the shared token. */
        bootstrapToken: z.string().min(1).optional(),
      })
      .strict(),
    /** One-time join secret from clawops: proves to clawops that it provisioned this node. */
    joinSecret: z.string().min(16).optional(),
    stateDir: z.string().min(1),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
        target: z.enum(['stderr', 'file', 'off']).default('stderr'),
      })
      .strict()
      .default({ level: 'info', target: 'stderr' }),
    service: ServiceConfigSchema.default({ kind: 'none' }),
    userGateway: z
      .object({
        url: z.string().url().default('http://127.0.0.1:18789'),
        configPath: z.string().min(1),
        /**
         * OpenClaw's own validation of every candidate before it is swapped in: a validator process
         * kept beside the gateway (openclaw-validator.ts). Without it only the structure is checked.
         */
        validator: z
          .object({
            /** How to start Node where OpenClaw is installed: the host's, or the gateway container's. */
            node: Argv.default(['node']),
            /** The openclaw executable as that Node sees it. */
            openclaw: z.string().min(1).default('openclaw'),
            /** The folder of configPath as that Node sees it (a container's mount point); default: the same. */
            configDir: z.string().min(1).optional(),
            /** Stop the validator after this long unused (it holds OpenClaw's code in memory). */
            idleMs: z.number().int().min(1_000).max(86_400_000).default(600_000),
            /** Loading OpenClaw takes seconds on a small VPS: the first validation may take this long. */
            timeoutMs: z.number().int().min(1_000).max(600_000).default(120_000),
          })
          .strict()
          .optional(),
        healthTimeoutMs: z.number().int().positive().max(60_000).default(3_000),
      })
      .strict(),
    /** Upgrading the user's OpenClaw (`openclaw.update`, `openclaw.rollback`). */
    openclaw: z
      .object({
        install: OpenclawInstall.default({ kind: 'none' }),
        /** The user's OpenClaw state directory, snapshotted before an upgrade (default: the config's folder). */
        stateDir: z.string().min(1).optional(),
        /**
         * OpenClaw's doctor in its non-interactive mode. `{current}` is the active release directory.
         * Default: `<node> {current}/openclaw.mjs doctor --non-interactive` (releases), `docker compose
         * exec -T <service> openclaw doctor --non-interactive` (compose).
         */
        doctorArgv: Argv.optional(),
        readyTimeoutMs: z.number().int().min(1_000).max(900_000).default(180_000),
        doctorTimeoutMs: z.number().int().min(1_000).max(900_000).default(300_000),
        /** Snapshots of the state kept after successful upgrades (for a rollback of the rollout). */
        keepSnapshots: z.number().int().min(1).max(20).default(2),
      })
      .strict()
      .default({
        install: { kind: 'none' },
        readyTimeoutMs: 180_000,
        doctorTimeoutMs: 300_000,
        keepSnapshots: 2,
      }),
    /** The operator's release location: OpenClaw builds and gf-clawnode releases are fetched from here. */
    releases: z.object({ url: z.string().url() }).strict().optional(),
    /**
     * gf-clawnode's own install (`clawnode.update`): releases unpacked into `<dir>/versions/<v>`, the
     * service runs `<dir>/current/bin/gf-clawnode.js`. After a swap the new version must join the
     * gateway within `probationMs` or it exits, and the service manager puts the previous one back.
     */
    self: z
      .object({
        dir: z.string().min(1),
        probationMs: z.number().int().min(1_000).max(900_000).default(120_000),
      })
      .strict()
      .optional(),
    exec: z
      .object({ allow: z.array(ExecEntrySchema).default([]) })
      .strict()
      .default({ allow: [] }),
    reboot: z
      .object({
        argv: Argv.nullable().default(null),
        delayMs: z.number().int().min(0).max(60_000).default(1_000),
      })
      .strict()
      .default({ argv: null, delayMs: 1_000 }),
    /** Binaries the status commands use; a missing one makes its command report "unavailable". */
    bins: z
      .object({
        docker: z.string().default('docker'),
        tailscale: z.string().default('tailscale'),
        ufw: z.string().default('ufw'),
        nft: z.string().default('nft'),
        systemctl: z.string().default('systemctl'),
        journalctl: z.string().default('journalctl'),
      })
      .strict()
      .default({
        docker: 'docker',
        tailscale: 'tailscale',
        ufw: 'ufw',
        nft: 'nft',
        systemctl: 'systemctl',
        journalctl: 'journalctl',
      }),
    sshdConfigPath: z.string().default('/etc/ssh/sshd_config'),
    limits: z
      .object({
        maxOutputBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(512 * 1024),
        commandTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        maxConcurrent: z.number().int().min(1).max(64).default(4),
        maxLogLines: z.number().int().min(1).max(10_000).default(2_000),
        maxConfigBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(1024 * 1024),
      })
      .strict()
      .default({
        maxOutputBytes: 512 * 1024,
        commandTimeoutMs: 30_000,
        maxConcurrent: 4,
        maxLogLines: 2_000,
        maxConfigBytes: 1024 * 1024,
      }),
    reconnect: z
      .object({
        minDelayMs: z.number().int().min(10).default(1_000),
        maxDelayMs: z.number().int().min(10).default(30_000),
        /** First retry delay while waiting for pairing approval (then it backs off to maxDelayMs). */
        pairingRetryMs: z.number().int().min(10).default(3_000),
      })
      .strict()
      .default({ minDelayMs: 1_000, maxDelayMs: 30_000, pairingRetryMs: 3_000 }),
  })
  .strict()
  .refine((c) => c.gateway.token !== undefined || c.gateway.bootstrapToken !== undefined, {
    message: 'gateway.token or gateway.bootstrapToken is needed for first contact',
    path: ['gateway'],
  })
  // openclaw.archive packs the user's state directory and openclaw.restore replaces it: holding the
  // node's own identity and tokens there would ship them in archives and move them aside on restore.
  .refine((c) => !isWithin(resolve(c.stateDir), resolve(dirname(c.userGateway.configPath))), {
    message: "must not lie inside the user gateway's state directory (the folder of userGateway.configPath)",
    path: ['stateDir'],
  })

function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

export type ClawnodeConfig = z.infer<typeof ClawnodeConfigSchema>
/** What a provisioner writes (defaults may be left out). */
export type ClawnodeConfigInput = z.input<typeof ClawnodeConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message)
  }
}

/** Formats zod issues as "path: message" lines; values (which may be secrets) are never included. */
function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
}

export function parseConfig(raw: unknown, source = 'config'): ClawnodeConfig {
  const parsed = ClawnodeConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = formatIssues(parsed.error)
    throw new ConfigError(`${source} is invalid:\n  ${issues.join('\n  ')}`, issues)
  }
  return parsed.data
}

export function loadConfig(path: string): ClawnodeConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    // V8's message can quote a slice of the file, which may hold a secret: keep only the position.
    const where = /line \d+ column \d+|position \d+/.exec((err as Error).message)?.[0]
    throw new ConfigError(`config file ${path} is not valid JSON${where ? ` (at ${where})` : ''}`)
  }
  return parseConfig(raw, `config file ${path}`)
}
