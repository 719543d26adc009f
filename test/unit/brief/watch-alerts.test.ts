// The seam between watch and the Briefer: a pair that loses both members is announced by watch's
// detector (PAIR_FAILED) and the operator is paged in the same `watch --once` run, through the alert
// pass that rides on the delivery drain.
import { describe, expect, it } from 'vitest'
import { OperatorAlerts } from '../../../src/lib/brief/alerts.js'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { watchSettings } from '../../../src/lib/config/watch-settings.js'
import { BriefDeliveries } from '../../../src/lib/store/brief-deliveries.js'
import { WatchDaemon } from '../../../src/lib/watch/daemon.js'
import { testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { addPair, FakeNodes, fakeDeps } from '../../support/watch-fakes.js'
import { FakeChannels } from './fake-gateway.js'

describe('watch pages the operator', () => {
  it('within the cycle that finds a user without a gateway', async () => {
    const config: Config = {
      ...structuredClone(DEFAULT_CONFIG),
      watch: { heal: { waitSeconds: 1 } },
      briefer: { channels: { whatsapp: { to: '+15551234567' } } },
    }
    const nodes = new FakeNodes()
    const fakes = fakeDeps({ nodes })
    const ctx = testContext({ config, services: fakes.services })
    const { pairId, primary, standby } = addPair(ctx)
    nodes.set(primary.id, { node: 'down' })
    nodes.set(standby.id, { node: 'down' })
    const channels = new FakeChannels()
    const daemon = new WatchDaemon(
      ctx,
      engine,
      { ...fakes, operatorAlerts: new OperatorAlerts(ctx, { gateway: async () => channels }) },
      watchSettings(config),
      { heal: false, listen: null, secrets: { current: null, previous: null } },
    )
    const started = Date.now()
    await daemon.runOnce(5_000)
    // Two failed probes in one sweep do not make FAILED yet (10 min), but the pair has no ACTIVE member.
    const page = channels.sent.find((s) => s.message?.includes(pairId))
    expect(page, JSON.stringify(channels.sent)).toBeDefined()
    expect(page).toMatchObject({ channel: 'whatsapp', to: '+15551234567' })
    expect(page!.message).toMatch(/^\*\*URGENT, clawops\*\*/)
    expect(Date.now() - started).toBeLessThan(60_000)
    const rows = ctx.store().repo(BriefDeliveries).recent()
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(1)
  })
})
