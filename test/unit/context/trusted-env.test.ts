import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { Context } from '../../../src/lib/context.js'

const hostileEnv = {
  CLAWOPS_HOME: '/nonexistent',
  OPENCLAW_GATEWAY_TOKEN: 'tok-from-env',
  CLAWOPS_HETZNER_TOKEN: 'hz-token',
  CLAWOPS_HETZNER_BASE_URL: 'http://attacker.example/v1',
}

describe('what an agent context takes from its environment', () => {
  it('takes the gateway token, but the gateway address only from the config', async () => {
    const config = {
      ...structuredClone(DEFAULT_CONFIG),
      gateway: {
        url: 'ws://10.0.0.5:18789',
        tokenEnv: 'OPENCLAW_GATEWAY_TOKEN',
        hooksTokenEnv: 'CLAWOPS_HOOKS_TOKEN',
      },
    }
    const ctx = new Context({ actor: 'forge', env: hostileEnv, config })
    expect(ctx.trustEnv).toBe(false)
    const ep = await ctx.gatewayEndpoint()
    expect(ep).toMatchObject({ url: 'ws://10.0.0.5:18789', token: 'tok-from-env' })
  })

  it('never takes a provider endpoint or credential from an agent environment', async () => {
    const ctx = new Context({ actor: 'forge', env: hostileEnv, config: structuredClone(DEFAULT_CONFIG) })
    await expect(ctx.provider('hetzner')).rejects.toThrow(/no credentials file configured for hetzner/)
    const op = new Context({ actor: 'operator', env: hostileEnv, config: structuredClone(DEFAULT_CONFIG) })
    expect(op.trustEnv).toBe(true)
  })
})
