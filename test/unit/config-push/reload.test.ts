import { describe, expect, it } from 'vitest'
import { needsRestart, restartFor } from '../../../src/lib/config-push/reload.js'

describe('restart or hot reload (OpenClaw reload table)', () => {
  it('hot-applies model routing, agents, hooks, tools and the listed gateway keys', () => {
    for (const p of [
      'agents.defaults.model.primary',
      'agents.defaults.model.fallbacks',
      'agents.defaults.models.moonshot/kimi-k2.5.alias',
      'models.providers.moonshot.baseUrl',
      'hooks.token',
      'tools.exec.allow',
      'gateway.auth.token',
      'gateway.nodes.commands.allow',
      'gateway.reload.mode',
      'mcp.apps.sandboxOrigin',
      'channels.whatsapp.enabled',
    ])
      expect(needsRestart(p), p).toBe(false)
  })

  it('restarts for the gateway server, unknown keys and the MCP Apps listener', () => {
    for (const p of [
      'gateway.port',
      'gateway.bind',
      'gateway.auth.mode',
      'gateway.tls.cert',
      'mcp.apps.port',
      'env.vars.X',
      'standIn.crashOnStart',
      'browser.cdpPort',
      '(root)',
    ])
      expect(needsRestart(p), p).toBe(true)
    // A prefix must end at a dot: "agentsX" is not under "agents".
    expect(needsRestart('agentsX.y')).toBe(true)
  })

  it('the policy decides first', () => {
    expect(restartFor('auto', ['agents.defaults.model.primary'])).toBe(false)
    expect(restartFor('auto', ['agents.defaults.model.primary', 'gateway.port'])).toBe(true)
    expect(restartFor('always', ['agents.defaults.model.primary'])).toBe(true)
    expect(restartFor('never', ['gateway.port'])).toBe(false)
  })
})
