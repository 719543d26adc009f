/**
 * `clawops gateway setup`: makes an OpenClaw gateway ready for the fleet (every gf-clawnode command in
 * `gateway.nodes.commands.allow`, a hooks section for `clawops watch`, the clawops plugin with its
 * Fleet tab reading this clawops home), idempotently. Against the
 * running gateway through its config RPCs (hot-reloaded), or against a config file for a gateway
 * that is stopped or not yet started. `--dry-run` shows the change.
 */
import { existsSync, readFileSync } from 'node:fs'
import { z } from 'zod'
import type { Context } from '../context.js'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { GatewayClient, OPERATOR_SCOPES } from '../gateway/client.js'
import { isPlainObject, type Json } from '../gateway/config-diff.js'
import { clawopsPlugin } from '../gateway/plugin-install.js'
import { fleetTabUrl, planGatewaySetup, setupGateway, setupGatewayFile } from '../gateway/setup.js'

export const GatewaySetupParamsSchema = z.object({ file: z.string().min(1).optional() }).strict()
export type GatewaySetupParams = z.infer<typeof GatewaySetupParamsSchema>

async function adminClient(ctx: Context): Promise<GatewayClient> {
  const ep = await ctx.gatewayEndpoint()
  if (!ep.token) {
    throw new UserError('GATEWAY_UNREACHABLE', `no gateway token: ${ep.tokenSource} is not set`, {
      hint: `Export ${ep.tokenSource}, or use --file with the gateway's config file.`,
    })
  }
  return GatewayClient.connect({
    url: ep.url,
    auth: { kind: 'backend', token: ep.token },
    scopes: OPERATOR_SCOPES,
    logger: (await ctx.logger()).child({ component: 'gateway' }),
  })
}

function fileConfig(path: string): Record<string, Json> {
  if (!existsSync(path)) return {}
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (isPlainObject(parsed)) return parsed
  } catch {
    // fall through
  }
  throw new UserError('CONFIG_INVALID', `${path} is not a strict JSON object; it was not modified`, {
    hint: 'Run setup against the running gateway instead (it understands JSON5), or fix the file.',
  })
}

const gatewaySetupKind: OperationKind<GatewaySetupParams> = {
  kind: 'gateway.setup',
  action: 'gateway.setup',
  parseParams(raw) {
    const r = GatewaySetupParamsSchema.safeParse(raw ?? {})
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  async plan(ctx, p) {
    let current: Record<string, Json>
    let target: string
    let httpBase: string
    if (p.file) {
      current = fileConfig(p.file)
      target = p.file
      const port = (current.gateway as { port?: unknown } | undefined)?.port
      httpBase = `http://127.0.0.1:${typeof port === 'number' ? port : 18789}`
    } else {
      const client = await adminClient(ctx)
      try {
        const snap = (await client.request('config.get', {})) as {
          sourceConfig?: unknown
          parsed?: unknown
          path?: string
        }
        const src = isPlainObject(snap.sourceConfig)
          ? snap.sourceConfig
          : isPlainObject(snap.parsed)
            ? snap.parsed
            : {}
        current = src as Record<string, Json>
        target = snap.path ?? client.url
        httpBase = client.url
      } finally {
        await client.close()
      }
    }
    const plugin = clawopsPlugin(ctx.home)
    const plan = planGatewaySetup(current, { plugin })
    // How to open the tab once the gateway has the plugin: the Control UI's Fleet tab.
    const tab = 'missing' in plugin ? '' : `; the fleet: Control UI → Fleet (${fleetTabUrl(httpBase)})`
    return {
      summary: plan.changed
        ? `set up ${target} for the fleet (${plan.changes.length} changes)${tab}`
        : `${target} is already set up${tab}`,
      targets: [],
      affectedUsers: 0,
      costDeltaMonthlyUsdCents: 0,
      steps: plan.changed ? [{ name: 'apply', target: null, input: { target, changes: plan.changes } }] : [],
      facts: { gatewaySetup: { target, changes: plan.changes, warnings: plan.warnings } },
    }
  },
  async runStep(run, p) {
    const plugin = clawopsPlugin(run.ctx.home)
    if (p.file) return setupGatewayFile(p.file, { plugin })
    const client = await adminClient(run.ctx)
    try {
      return await setupGateway(client, { plugin })
    } finally {
      await client.close()
    }
  },
}

export default gatewaySetupKind
