import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { readConfig } from '../../../src/lib/config/read.js'
import { ConfigSchema } from '../../../src/lib/config/schema.js'
import { UserError } from '../../../src/lib/errors.js'
import { tempHome } from '../../support/context.js'

describe('config', () => {
  it('runs on defaults without a file, and the defaults are what the schema gives an empty file', async () => {
    expect(await readConfig(tempHome(), {})).toEqual(DEFAULT_CONFIG)
    expect(ConfigSchema.parse({})).toEqual(DEFAULT_CONFIG)
  })

  it('fills missing keys of a partial file', async () => {
    const home = tempHome()
    writeFileSync(join(home, 'config.json'), JSON.stringify({ currency: { rates: { EUR: 1.1 } } }))
    const c = await readConfig(home, {})
    expect(c.currency.rates).toEqual({ USD: 1, EUR: 1.1 })
    expect(c.policy.planTtlMinutes).toBe(60)
  })

  it.each([
    ['not json', '{ nope', /not valid JSON/],
    ['unknown key', JSON.stringify({ currencyy: {} }), /Unrecognized key|currencyy/],
    [
      'bad value',
      JSON.stringify({ policy: { planTtlMinutes: 0, confirmationTtlMinutes: 60, lockWaitSeconds: 30 } }),
      /policy\.planTtlMinutes/,
    ],
    ['bad env name', JSON.stringify({ gateway: { tokenEnv: 'lower case' } }), /gateway\.tokenEnv/],
    // Rule 5: the restart budget never lets more than 10 users' gateways restart unasked.
    [
      'a restart budget above rule 5',
      JSON.stringify({ watch: { restartBudget: { maxUsers: 11 } } }),
      /watch\.restartBudget\.maxUsers/,
    ],
  ])('rejects %s with CONFIG_INVALID naming the key', async (_name, body, message) => {
    const home = tempHome()
    writeFileSync(join(home, 'config.json'), body)
    const err = await readConfig(home, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('CONFIG_INVALID')
    expect((err as UserError).message).toMatch(message)
  })
})
