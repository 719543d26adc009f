/**
 * Seeding the lab cloud with servers that already run (synthetic fleets, the list benchmark). They
 * skip the create API and boot driver: thousands of them cost no processes. Labels become tags on
 * DigitalOcean and Vultr as the adapters would write them; label-less providers get none.
 */
import { z } from 'zod'
import { findOffer, regionsOf } from '../../domain/catalog.js'
import { LabelsSchema } from '../../domain/labels.js'
import { PROVIDERS } from '../../domain/provider.js'
import { labelsToTags } from '../../providers/tags.js'
import type { LabEngine } from './engine.js'
import type { LabServer } from './model.js'

export const SeedSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    count: z.number().int().min(1).max(50_000),
    region: z.string().optional(),
    plan: z.string().optional(),
    labels: LabelsSchema.optional(),
    namePrefix: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/)
      .optional(),
  })
  .strict()
export type SeedRequest = z.infer<typeof SeedSchema>

const DEFAULT_IMAGE: Record<string, string> = {
  hetzner: 'ubuntu-24.04',
  vultr: '2284',
  digitalocean: 'ubuntu-24-04-x64',
  contabo: 'afecbb85-e2fc-46f0-9684-b46b1faf00bb',
  hostinger: '1077',
}

export function seedServers(engine: LabEngine, req: SeedRequest): LabServer[] {
  const p = req.provider
  const region = req.region ?? regionsOf(p)[0]!.code
  const plan = req.plan ?? findOffer(p, 'nano').plan
  const labels = req.labels ?? {}
  const kv = p === 'hetzner'
  const tags = p === 'digitalocean' || p === 'vultr' ? labelsToTags(labels) : []
  const prefix = req.namePrefix ?? 'seed'
  // Names stay unique per provider (Hetzner requires it): number on from earlier seeds with this prefix.
  const start = engine.servers(p).filter((s) => s.name.startsWith(`${prefix}-`)).length
  const out: LabServer[] = []
  for (let i = 0; i < req.count; i++) {
    const server = engine.seed(p, {
      name: `${prefix}-${start + i + 1}`,
      region,
      plan,
      image: DEFAULT_IMAGE[p]!,
      labels: kv ? labels : {},
      tags,
      userData: null,
    })
    if (p === 'hostinger') {
      const id = `seed${server.id}`
      server.subscriptionId = id
      const created = new Date(engine.now())
      const expires = new Date(created)
      expires.setUTCMonth(expires.getUTCMonth() + 1)
      engine.state.hostingerSubscriptions.push({
        id,
        vmId: server.id,
        autoRenew: true,
        createdAt: created.toISOString(),
        expiresAt: expires.toISOString(),
        priceCents: findOffer('hostinger', 'nano').monthly,
        currency: 'USD',
      })
    }
    out.push(server)
  }
  engine.touch()
  return out
}
