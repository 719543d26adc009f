/**
 * The clawops OpenClaw plugin, loaded by the operator's gateway (`clawops gateway setup` installs it):
 * - `clawops.fleet-status` (operator.read): the fleet snapshot of `clawops fleet status --json`, with
 *   the optional filters {provider, region, state};
 * - the Fleet tab of the Control UI: a gateway-authenticated read-only page under /clawops/fleet
 *   (and /clawops/ping, which only says the gateway answers).
 * It reads the operator's clawops store read-only and never writes anywhere.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { PING_PATH } from './page.js'
import { fleetRouteHandler, loadAssets, pingHandler, ROUTE_ROOT } from './routes.js'
import { type PluginSettings, pluginSettings } from './settings.js'
import { readSnapshot } from './snapshot.js'

/** The part of OpenClaw's plugin API this plugin uses (openclaw/plugin-sdk, 2026.9). */
interface PluginApi {
  pluginConfig?: unknown
  logger?: { info?: (msg: string) => void; warn?: (msg: string) => void }
  registerGatewayMethod(
    name: string,
    handler: (o: {
      params: unknown
      respond: (
        ok: boolean,
        payload?: unknown,
        error?: { code: string; message: string; details?: unknown },
      ) => void
    }) => Promise<void>,
    opts: { scope: string },
  ): void
  registerHttpRoute(route: {
    path: string
    auth: 'gateway' | 'plugin'
    match?: 'exact' | 'prefix'
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>
  }): void
  session: {
    controls: {
      registerControlUiDescriptor(d: {
        surface: 'tab'
        id: string
        label: string
        description?: string
        icon?: string
        group?: 'control' | 'agent'
        path?: string
        slug?: string
        requiredScopes?: string[]
      }): void
    }
  }
}

export default {
  id: 'clawops',
  name: 'clawops',
  description: 'The clawops fleet at a glance: the clawops.fleet-status RPC and the Fleet tab.',
  register(api: PluginApi) {
    const settings = (): PluginSettings => pluginSettings(api.pluginConfig)
    const ui = loadAssets(fileURLToPath(new URL('./ui/', import.meta.url)))

    api.registerGatewayMethod(
      'clawops.fleet-status',
      async ({ params, respond }) => {
        const r = await readSnapshot(settings(), params)
        if (r.ok) respond(true, r.data)
        else
          respond(false, undefined, {
            code: r.error.code,
            message: r.error.message,
            details: { hint: r.error.hint },
          })
      },
      { scope: 'operator.read' },
    )

    api.registerHttpRoute({
      path: ROUTE_ROOT,
      auth: 'gateway',
      match: 'prefix',
      handler: fleetRouteHandler(settings, ui),
    })

    api.registerHttpRoute({ path: PING_PATH, auth: 'plugin', match: 'exact', handler: pingHandler })

    api.session.controls.registerControlUiDescriptor({
      surface: 'tab',
      id: 'fleet',
      label: 'Fleet',
      description: 'The clawops fleet at a glance (read-only)',
      icon: 'server',
      group: 'control',
      path: `${ROUTE_ROOT}/`,
      slug: 'fleet',
      requiredScopes: ['operator.read'],
    })
    api.logger?.info?.(`clawops: fleet snapshot from ${settings().home}`)
  },
}
