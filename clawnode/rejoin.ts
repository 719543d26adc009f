/**
 * `clawnode.rejoin`: the node moves to another gateway of the operator (a gateway shard; `clawops
 * gateway move`). Its config file gets the new gateway URL, a bootstrap credential that gateway issued
 * and a fresh join secret; the answer goes out, and the node starts again on the new config (a
 * process exits with EXIT_RESTART for its service manager; the lab's virtual node is rebuilt in
 * place). The device identity stays (same state directory): the new gateway pairs the same device,
 * proven by the new join secret. Device tokens are kept per gateway URL, so the old gateway's token
 * is never offered to the new one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { NodeContext } from './commands/context.js'
import { NodeCommandError } from './commands/errors.js'
import { ClawnodeConfigSchema } from './config.js'

export interface RejoinParams {
  url: string
  bootstrapToken: string
  joinSecret: string
}

export function rejoin(ctx: NodeContext, p: RejoinParams): { from: string; to: string; restarting: boolean } {
  if (!ctx.configPath || !ctx.restartFromConfig) {
    throw new NodeCommandError('UNAVAILABLE', 'this node cannot rejoin another gateway (a swarm node)')
  }
  const from = ctx.config.gateway.url
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(readFileSync(ctx.configPath, 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new NodeCommandError('INTERNAL', `cannot read ${ctx.configPath}: ${(err as Error).message}`)
  }
  const next = { ...raw, gateway: { url: p.url, bootstrapToken: p.bootstrapToken }, joinSecret: p.joinSecret }
  // What it restarts on must load: a config the node would refuse is never written.
  const parsed = ClawnodeConfigSchema.safeParse(next)
  if (!parsed.success) {
    throw new NodeCommandError('INVALID_PARAMS', parsed.error.issues.map((i) => i.message).join('; '))
  }
  const tmp = `${ctx.configPath}.rejoin`
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, ctx.configPath)
  ctx.logger.info({ from, to: p.url }, 'rejoining another gateway; restarting')
  // The answer goes out first; then the service manager starts us on the new config.
  setTimeout(() => ctx.restartFromConfig?.(`rejoin ${p.url}`), 500).unref()
  return { from, to: p.url, restarting: true }
}
