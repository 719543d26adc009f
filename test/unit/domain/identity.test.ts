import { hostname, userInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { ConfigSchema } from '../../../src/lib/config/schema.js'
import { Context } from '../../../src/lib/context.js'
import { defaultIdentity, isIdentity, parseIdentity } from '../../../src/lib/domain/identity.js'
import { UserError } from '../../../src/lib/errors.js'
import { tempHome } from '../../support/context.js'

const ctx = (o: { actor?: string; env?: NodeJS.ProcessEnv; config?: object }) =>
  new Context({
    home: tempHome(),
    env: o.env ?? {},
    actor: o.actor,
    config: ConfigSchema.parse({ ...structuredClone(DEFAULT_CONFIG), ...o.config }),
  })

describe('identities', () => {
  it('takes the operator from CLAWOPS_OPERATOR, then operator.name, then the OS user at the host', () => {
    expect(
      ctx({ env: { CLAWOPS_OPERATOR: 'ada@laptop' }, config: { operator: { name: 'bob' } } }).identity,
    ).toBe('ada@laptop')
    expect(ctx({ config: { operator: { name: 'bob' } } }).identity).toBe('bob')
    expect(ctx({}).identity).toBe(defaultIdentity(userInfo().username, hostname()))
    expect(ctx({}).who).toEqual({ actor: 'operator', identity: expect.stringMatching(/^\S+@\S+$/) })
  })

  it("names an agent by its gateway agent id from the config, never from the agent's environment", () => {
    expect(ctx({ actor: 'guardian' }).identity).toBe('guardian')
    const c = ctx({
      actor: 'forge',
      env: { CLAWOPS_OPERATOR: 'ada@laptop' },
      config: { watch: { agents: { forge: { agentId: 'forge-eu' } } } },
    })
    expect(c.who).toEqual({ actor: 'forge', identity: 'forge-eu' })
    expect(() =>
      ctx({ actor: 'forge', config: { watch: { agents: { forge: { agentId: 'forge eu' } } } } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    // Watch heals as Guardian: the derived context is Guardian's identity, not the operator's.
    expect(ctx({ env: { CLAWOPS_OPERATOR: 'ada@laptop' } }).as('guardian').identity).toBe('guardian')
  })

  it('refuses a hostile value with INVALID_INPUT, without echoing it', () => {
    for (const bad of ['', 'a b', 'ada\n@everyone', 'x'.repeat(65), '-rf', 'ada;rm', '<@&1>', 'é@host']) {
      expect(isIdentity(bad)).toBe(false)
      if (bad === '') continue
      let err: unknown
      try {
        ctx({ env: { CLAWOPS_OPERATOR: bad } })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(UserError)
      expect((err as UserError).code).toBe('INVALID_INPUT')
      expect((err as UserError).message).toBe('CLAWOPS_OPERATOR is not a valid identity')
    }
    expect(() => parseIdentity('x'.repeat(64), 'x')).not.toThrow()
    // A human may not pass for an agent.
    expect(() => ctx({ env: { CLAWOPS_OPERATOR: 'guardian' } })).toThrow(/is an agent role/)
    expect(() => ctx({ config: { operator: { name: 'forge' } } })).toThrow(/is an agent role/)
    expect(ConfigSchema.safeParse({ ...DEFAULT_CONFIG, operator: { name: 'a b' } }).success).toBe(false)
  })

  it('makes a usable default from an unusual user or host name', () => {
    expect(defaultIdentity('ada lovelace', 'build-01.example.com')).toBe('ada-lovelace@build-01')
    expect(defaultIdentity('', '')).toBe('user@host')
    expect(isIdentity(defaultIdentity('x'.repeat(100), 'y'.repeat(100)))).toBe(true)
  })
})
