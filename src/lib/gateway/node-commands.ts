/**
 * The command surface of gf-clawnode: the contract between the node (which declares and runs these)
 * and clawops (which allowlists them on the gateway and invokes them). The gateway silently drops any
 * declared command that is not in `gateway.nodes.commands.allow`, so both ends read this one list.
 */
export const CLAWNODE_COMMANDS = [
  'vps.health',
  'vps.metrics',
  'vps.probe',
  'vps.info',
  'vps.reboot',
  'openclaw.health',
  'openclaw.restart',
  'openclaw.stop',
  'openclaw.start',
  'openclaw.update',
  'openclaw.rollback',
  'openclaw.version',
  'openclaw.logs',
  'openclaw.archive',
  'openclaw.restore',
  'openclaw.wipe',
  'config.get',
  'config.diff',
  'config.validate',
  'config.push',
  'config.rollback',
  'docker.ps',
  'docker.restart',
  'docker.pull',
  'docker.logs',
  'tailscale.status',
  'firewall.status',
  'ssh.audit',
  'exec.run',
  'clawnode.update',
  'clawnode.rejoin',
] as const

export type ClawnodeCommand = (typeof CLAWNODE_COMMANDS)[number]

/** What `vps.probe` runs on the node in one call; each part answers as its own command would. */
export const PROBE_PARTS = [
  'vps.health',
  'vps.metrics',
  'openclaw.health',
] as const satisfies readonly ClawnodeCommand[]
export type ProbePart = (typeof PROBE_PARTS)[number]

/** Each part's params: the same when the node runs them (vps.probe) and when clawops asks one by one. */
export function probePartParams(sampleMs: number): Record<ProbePart, object> {
  return { 'vps.health': {}, 'vps.metrics': { sampleMs }, 'openclaw.health': {} }
}

/** One part's outcome in a vps.probe answer. */
export type ProbePartOutcome =
  | { ok: true; payload: unknown }
  | { ok: false; error: { code: string; message: string } }

export function isClawnodeCommand(name: string): name is ClawnodeCommand {
  return (CLAWNODE_COMMANDS as readonly string[]).includes(name)
}

/** The capability tag every clawnode declares; lets operators and clawops pick our nodes out. */
export const CLAWNODE_CAP = 'clawops'

/**
 * Structured error codes a node returns in `node.invoke.result` (`error.code`). clawops maps all of
 * them to NODE_ERROR and keeps the node's code in details.
 */
export const NODE_ERROR_CODES = [
  'UNKNOWN_COMMAND',
  'INVALID_PARAMS',
  'POLICY_DENIED',
  'UNAVAILABLE',
  'TIMEOUT',
  'OUTPUT_TOO_LARGE',
  'CONFIG_MALFORMED',
  'CONFIG_INVALID',
  'CONFLICT',
  'NOT_FOUND',
  'COMMAND_FAILED',
  'INTERNAL',
] as const
export type NodeErrorCode = (typeof NODE_ERROR_CODES)[number]
