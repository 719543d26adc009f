/**
 * The provider catalogue clawops plans with: regions, tiers and their monthly prices. Contabo publishes
 * no price API, so every price here is a dated table (`PRICES_AS_OF`); the provider adapters refresh
 * the others from the APIs where they can. Money is integer minor units (cents) to stay exact.
 */
import type { Provider, RegionGroup } from './provider.js'
import type { Tier } from './tier.js'

export const PRICES_AS_OF = '2026-11-01'

export type Currency = 'USD' | 'EUR'
export type Billing = 'hourly' | 'monthly'

export interface Region {
  provider: Provider
  code: string
  city: string
  group: RegionGroup
}

export const REGIONS: readonly Region[] = [
  { provider: 'hetzner', code: 'nbg1', city: 'Nuremberg', group: 'eu' },
  { provider: 'hetzner', code: 'fsn1', city: 'Falkenstein', group: 'eu' },
  { provider: 'hetzner', code: 'hel1', city: 'Helsinki', group: 'eu' },
  { provider: 'hetzner', code: 'ash', city: 'Ashburn', group: 'us' },
  { provider: 'hetzner', code: 'hil', city: 'Hillsboro', group: 'us' },
  { provider: 'hetzner', code: 'sin', city: 'Singapore', group: 'ap' },
  { provider: 'vultr', code: 'fra', city: 'Frankfurt', group: 'eu' },
  { provider: 'vultr', code: 'ams', city: 'Amsterdam', group: 'eu' },
  { provider: 'vultr', code: 'ewr', city: 'New Jersey', group: 'us' },
  { provider: 'vultr', code: 'lax', city: 'Los Angeles', group: 'us' },
  { provider: 'vultr', code: 'sgp', city: 'Singapore', group: 'ap' },
  { provider: 'digitalocean', code: 'fra1', city: 'Frankfurt', group: 'eu' },
  { provider: 'digitalocean', code: 'ams3', city: 'Amsterdam', group: 'eu' },
  { provider: 'digitalocean', code: 'nyc3', city: 'New York', group: 'us' },
  { provider: 'digitalocean', code: 'sfo3', city: 'San Francisco', group: 'us' },
  { provider: 'digitalocean', code: 'sgp1', city: 'Singapore', group: 'ap' },
  { provider: 'contabo', code: 'EU', city: 'Nuremberg', group: 'eu' },
  { provider: 'contabo', code: 'US-east', city: 'New York', group: 'us' },
  { provider: 'contabo', code: 'SIN', city: 'Singapore', group: 'ap' },
  { provider: 'hostinger', code: 'nl-ams', city: 'Amsterdam', group: 'eu' },
  { provider: 'hostinger', code: 'us-bos', city: 'Boston', group: 'us' },
  { provider: 'hostinger', code: 'in-mum', city: 'Mumbai', group: 'ap' },
]

export interface Offer {
  provider: Provider
  tier: Tier
  /** The provider's own name for the size: server type, plan, size slug, product id, catalogue item. */
  plan: string
  vcpus: number
  memoryGb: number
  /** Monthly price in minor units of `currency`. */
  monthly: number
  currency: Currency
}

export const BILLING: Record<Provider, Billing> = {
  hetzner: 'hourly',
  vultr: 'hourly',
  digitalocean: 'hourly',
  contabo: 'monthly',
  hostinger: 'monthly',
}

export const OFFERS: readonly Offer[] = [
  { provider: 'hetzner', tier: 'nano', plan: 'cx23', vcpus: 2, memoryGb: 4, monthly: 449, currency: 'EUR' },
  {
    provider: 'hetzner',
    tier: 'standard',
    plan: 'cx33',
    vcpus: 4,
    memoryGb: 8,
    monthly: 749,
    currency: 'EUR',
  },
  { provider: 'hetzner', tier: 'pro', plan: 'cx43', vcpus: 8, memoryGb: 16, monthly: 1499, currency: 'EUR' },
  {
    provider: 'vultr',
    tier: 'nano',
    plan: 'vc2-1c-2gb',
    vcpus: 1,
    memoryGb: 2,
    monthly: 1000,
    currency: 'USD',
  },
  {
    provider: 'vultr',
    tier: 'standard',
    plan: 'vc2-2c-4gb',
    vcpus: 2,
    memoryGb: 4,
    monthly: 2000,
    currency: 'USD',
  },
  {
    provider: 'vultr',
    tier: 'pro',
    plan: 'vc2-4c-8gb',
    vcpus: 4,
    memoryGb: 8,
    monthly: 4000,
    currency: 'USD',
  },
  {
    provider: 'digitalocean',
    tier: 'nano',
    plan: 's-1vcpu-2gb',
    vcpus: 1,
    memoryGb: 2,
    monthly: 1200,
    currency: 'USD',
  },
  {
    provider: 'digitalocean',
    tier: 'standard',
    plan: 's-2vcpu-4gb',
    vcpus: 2,
    memoryGb: 4,
    monthly: 2400,
    currency: 'USD',
  },
  {
    provider: 'digitalocean',
    tier: 'pro',
    plan: 's-4vcpu-8gb',
    vcpus: 4,
    memoryGb: 8,
    monthly: 4800,
    currency: 'USD',
  },
  { provider: 'contabo', tier: 'nano', plan: 'V91', vcpus: 4, memoryGb: 8, monthly: 450, currency: 'EUR' },
  {
    provider: 'contabo',
    tier: 'standard',
    plan: 'V92',
    vcpus: 6,
    memoryGb: 12,
    monthly: 700,
    currency: 'EUR',
  },
  { provider: 'contabo', tier: 'pro', plan: 'V93', vcpus: 8, memoryGb: 24, monthly: 1400, currency: 'EUR' },
  {
    provider: 'hostinger',
    tier: 'nano',
    plan: 'hostingercom-vps-kvm1-usd-1m',
    vcpus: 1,
    memoryGb: 4,
    monthly: 649,
    currency: 'USD',
  },
  {
    provider: 'hostinger',
    tier: 'standard',
    plan: 'hostingercom-vps-kvm2-usd-1m',
    vcpus: 2,
    memoryGb: 8,
    monthly: 899,
    currency: 'USD',
  },
  {
    provider: 'hostinger',
    tier: 'pro',
    plan: 'hostingercom-vps-kvm4-usd-1m',
    vcpus: 4,
    memoryGb: 16,
    monthly: 1299,
    currency: 'USD',
  },
]

/** Default conversion into the reporting currency (USD); config may override it. */
export const DEFAULT_RATES_TO_USD: Record<Currency, number> = { USD: 1, EUR: 1.08 }

export function findOffer(provider: Provider, tier: Tier): Offer {
  const offer = OFFERS.find((o) => o.provider === provider && o.tier === tier)
  if (!offer) throw new Error(`no offer for ${provider}/${tier} in the catalogue`)
  return offer
}

export function regionsOf(provider: Provider): Region[] {
  return REGIONS.filter((r) => r.provider === provider)
}

export function findRegion(provider: Provider, code: string): Region | undefined {
  return REGIONS.find((r) => r.provider === provider && r.code === code)
}

/** Monthly price of one instance in USD cents, rounded half-up to the cent. */
export function monthlyUsdCents(provider: Provider, tier: Tier, rates = DEFAULT_RATES_TO_USD): number {
  const offer = findOffer(provider, tier)
  return Math.round(offer.monthly * rates[offer.currency])
}
