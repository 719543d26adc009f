/**
 * Gateway shards: one OpenClaw gateway does not carry a large fleet (it admits about 1 node/s near
 * 1,000 paired nodes and holds about 1 MB a node), so the config can list several. The operator's
 * gateway (`gateway`, where the agents, hooks and channels live) is the first shard, named `main`
 * unless it says otherwise; `gateways` adds more. Every instance's gf-clawnode joins one shard, the
 * one stored with the instance (`instances.gateway`; a row from before shards is on the operator's
 * gateway), and the two members of a pair join different shards whenever there are two, so the loss
 * of one gateway never blinds both. A shard marked `drain` is being retired: it takes no new node,
 * and its nodes move off it (`clawops gateway move`), onto their partner's gateway if no other takes
 * nodes, before it leaves the config.
 */
import type { Config } from '../config/schema.js'
import { readSecretFile } from '../config/secret-file.js'
import { UserError } from '../errors.js'

export const MAIN_SHARD = 'main'

export interface GatewayShard {
  name: string
  /** The operator's gateway: agents, hooks, channels. */
  operator: boolean
  url: string
  /** The URL this shard's nodes connect to (over the tailnet in production). */
  nodeUrl: string
  tokenEnv: string | undefined
  tokenFile: string | undefined
  /** Being retired: no new node is placed on it. */
  drain: boolean
}

export interface GatewayEndpoint {
  url: string
  token: string | undefined
  /** Where the token was expected, for the error when it is missing. */
  tokenSource: string
}

/** The name of the operator's gateway shard. */
export function mainShard(config: Config): string {
  return config.gateway?.name ?? MAIN_SHARD
}

/** Every gateway shard of the config, the operator's first. */
export function gatewayShards(config: Config): GatewayShard[] {
  const g = config.gateway
  const url = g?.url ?? 'ws://127.0.0.1:18789'
  return [
    {
      name: mainShard(config),
      operator: true,
      url,
      nodeUrl: config.provisioning?.nodeGatewayUrl ?? url,
      tokenEnv: g?.tokenEnv ?? 'OPENCLAW_GATEWAY_TOKEN',
      tokenFile: g?.tokenFile,
      drain: false,
    },
    ...(config.gateways ?? []).map((s) => ({
      name: s.name,
      operator: false,
      url: s.url,
      nodeUrl: s.nodeUrl ?? s.url,
      tokenEnv: s.tokenEnv,
      tokenFile: s.tokenFile,
      drain: s.drain === true,
    })),
  ]
}

/** The shard called `name`; a name the config does not list is a config error, never a guess. */
export function shardNamed(config: Config, name: string): GatewayShard {
  const shards = gatewayShards(config)
  const s = shards.find((x) => x.name === name)
  if (!s) {
    throw new UserError('CONFIG_INVALID', `no gateway named "${name}" in the config`, {
      hint: `The config lists: ${shards.map((x) => x.name).join(', ')}. Move the instances of a gateway (clawops gateway move) before removing it from the config.`,
      details: { gateway: name, gateways: shards.map((x) => x.name) },
    })
  }
  return s
}

/**
 * Where a shard is and the token that opens it: the environment variable it names (`env` is the
 * trusted environment: empty under an agent), else its token file. The address comes from the config
 * alone, so a token can only ever be sent to the gateway the config names.
 */
export function shardEndpoint(s: GatewayShard, env: NodeJS.ProcessEnv): GatewayEndpoint {
  const fromEnv = s.tokenEnv ? env[s.tokenEnv] : undefined
  const token = fromEnv ?? (s.tokenFile ? readSecretFile(s.tokenFile) : undefined)
  const sources = [s.tokenEnv, s.tokenFile].filter((x): x is string => x !== undefined)
  return { url: s.url, token, tokenSource: sources.join(' or ') }
}

/** The shards a new node may be placed on: all but those being retired (the operator's never is). */
export function shardsTakingNodes(shards: readonly GatewayShard[]): string[] {
  return shards.filter((s) => !s.drain).map((s) => s.name)
}

/**
 * The shard for a new member of a pair: one that no other live member of the pair is on (so one
 * gateway's loss never blinds both), the least loaded of those, ties in config order. With a single
 * shard every node goes there. `load` counts live instances per shard.
 */
export function chooseShard(
  shards: readonly string[],
  load: ReadonlyMap<string, number>,
  partners: readonly string[],
): string {
  const free = shards.filter((s) => !partners.includes(s))
  const pool = free.length > 0 ? free : shards
  let best = pool[0]!
  for (const s of pool) if ((load.get(s) ?? 0) < (load.get(best) ?? 0)) best = s
  return best
}
