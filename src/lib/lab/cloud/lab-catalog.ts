/**
 * What the emulated providers sell: plans, regions, images and prices. Tier plans and prices come
 * from the domain catalogue, so a cost computed from the lab's price APIs agrees with the one
 * clawops plans with; one larger plan per provider is added so "upgrade" has somewhere to go.
 */
import { findRegion, OFFERS, regionsOf } from '../../domain/catalog.js'
import { HOURLY_MICROS } from '../../domain/price-book.js'
import type { Provider } from '../../domain/provider.js'

export interface LabPlan {
  id: string
  vcpus: number
  memoryMb: number
  diskGb: number
  /** Monthly price in minor units. */
  monthlyCents: number
  /** The hourly rate the price book has for the plan, in millionths; undefined when it has none. */
  hourlyMicros?: number
  currency: 'EUR' | 'USD'
}

export interface LabRegion {
  code: string
  city: string
  country: string
  /** Provider-specific extra: Hetzner network zone, Vultr continent, Hostinger continent. */
  zone: string
}

const EXTRA_PLANS: Record<Provider, LabPlan> = {
  hetzner: { id: 'cx53', vcpus: 16, memoryMb: 32768, diskGb: 320, monthlyCents: 2999, currency: 'EUR' },
  vultr: { id: 'vc2-6c-16gb', vcpus: 6, memoryMb: 16384, diskGb: 320, monthlyCents: 8000, currency: 'USD' },
  digitalocean: {
    id: 's-8vcpu-16gb',
    vcpus: 8,
    memoryMb: 16384,
    diskGb: 320,
    monthlyCents: 9600,
    currency: 'USD',
  },
  contabo: { id: 'V94', vcpus: 12, memoryMb: 49152, diskGb: 600, monthlyCents: 2600, currency: 'EUR' },
  hostinger: {
    id: 'hostingercom-vps-kvm8-usd-1m',
    vcpus: 8,
    memoryMb: 32768,
    diskGb: 400,
    monthlyCents: 1999,
    currency: 'USD',
  },
}

/** Disk sizes per tier, for providers whose resize rules depend on disk (Hetzner, DigitalOcean). */
const TIER_DISK_GB = { nano: 40, standard: 80, pro: 160 } as const

export function labPlans(provider: Provider): LabPlan[] {
  const fromCatalogue = OFFERS.filter((o) => o.provider === provider).map((o) => ({
    id: o.plan,
    vcpus: o.vcpus,
    memoryMb: o.memoryGb * 1024,
    diskGb: TIER_DISK_GB[o.tier],
    monthlyCents: o.monthly,
    ...(HOURLY_MICROS[`${provider}/${o.plan}`] === undefined
      ? {}
      : { hourlyMicros: HOURLY_MICROS[`${provider}/${o.plan}`] }),
    currency: o.currency,
  }))
  return [...fromCatalogue, EXTRA_PLANS[provider]]
}

export function labPlan(provider: Provider, id: string): LabPlan | undefined {
  return labPlans(provider).find((p) => p.id === id)
}

const EXTRA_REGIONS: Record<Provider, LabRegion[]> = {
  hetzner: [],
  vultr: [],
  digitalocean: [],
  contabo: [
    { code: 'US-central', city: 'St. Louis', country: 'US', zone: 'US' },
    { code: 'US-west', city: 'Seattle', country: 'US', zone: 'US' },
    { code: 'UK', city: 'London', country: 'GB', zone: 'EU' },
  ],
  hostinger: [{ code: 'lt-vil', city: 'Vilnius', country: 'lt', zone: 'Europe' }],
}

const COUNTRY: Record<string, string> = {
  Nuremberg: 'DE',
  Falkenstein: 'DE',
  Helsinki: 'FI',
  Ashburn: 'US',
  Hillsboro: 'US',
  Singapore: 'SG',
  Frankfurt: 'DE',
  Amsterdam: 'NL',
  'New Jersey': 'US',
  'Los Angeles': 'US',
  'New York': 'US',
  'San Francisco': 'US',
  Boston: 'US',
  Mumbai: 'IN',
}

const ZONE: Record<string, Record<string, string>> = {
  hetzner: { eu: 'eu-central', us: 'us-east', ap: 'ap-southeast' },
  vultr: { eu: 'Europe', us: 'North America', ap: 'Asia' },
  digitalocean: { eu: 'eu', us: 'us', ap: 'ap' },
  contabo: { eu: 'EU', us: 'US', ap: 'ASIA' },
  hostinger: { eu: 'Europe', us: 'North America', ap: 'Asia' },
}

export function labRegions(provider: Provider): LabRegion[] {
  const known = regionsOf(provider).map((r) => {
    const country = COUNTRY[r.city] ?? 'US'
    return {
      code: r.code,
      city: r.city,
      // Hostinger reports lower-case country codes in `location`.
      country: provider === 'hostinger' ? country.toLowerCase() : country,
      zone: ZONE[provider]?.[r.group] ?? r.group,
    }
  })
  return [...known, ...EXTRA_REGIONS[provider]]
}

export function labRegion(provider: Provider, code: string): LabRegion | undefined {
  return labRegions(provider).find((r) => r.code === code)
}

export function isCatalogueRegion(provider: Provider, code: string): boolean {
  return findRegion(provider, code) !== undefined
}

/** Vultr OS ids the lab knows (Ubuntu 24.04, 22.04, Debian 12). */
export const VULTR_OS: Record<number, string> = {
  2284: 'Ubuntu 24.04 LTS x64',
  1743: 'Ubuntu 22.04 LTS x64',
  2136: 'Debian 12 x64 (bookworm)',
}

/** Hostinger OS templates the lab offers. */
export const HOSTINGER_TEMPLATES = [
  { id: 1077, name: 'Ubuntu 24.04 LTS', description: 'Plain Ubuntu 24.04 LTS' },
  { id: 1002, name: 'Ubuntu 22.04 LTS', description: 'Plain Ubuntu 22.04 LTS' },
  { id: 1009, name: 'Debian 12', description: 'Plain Debian 12' },
]

/** Hostinger data-centre ids by clawops region code. */
export const HOSTINGER_DATA_CENTERS: Record<string, number> = {
  'nl-ams': 9,
  'us-bos': 17,
  'in-mum': 21,
  'lt-vil': 4,
}

/** Hetzner system images the lab offers (ids as on the real API). */
export const HETZNER_IMAGES = [
  { id: 161547269, name: 'ubuntu-24.04', description: 'Ubuntu 24.04', flavor: 'ubuntu', version: '24.04' },
  { id: 67794396, name: 'ubuntu-22.04', description: 'Ubuntu 22.04', flavor: 'ubuntu', version: '22.04' },
  { id: 114690387, name: 'debian-12', description: 'Debian 12', flavor: 'debian', version: '12' },
]

/** DigitalOcean distribution images the lab offers. */
export const DIGITALOCEAN_IMAGES = [
  { id: 181101218, slug: 'ubuntu-24-04-x64', name: '24.04 (LTS) x64', distribution: 'Ubuntu' },
  { id: 129211873, slug: 'ubuntu-22-04-x64', name: '22.04 (LTS) x64', distribution: 'Ubuntu' },
  { id: 135915436, slug: 'debian-12-x64', name: '12 x64', distribution: 'Debian' },
]

/** Contabo standard images the lab offers (UUIDs as Contabo's image list shows them). */
export const CONTABO_IMAGES = [
  {
    imageId: 'afecbb85-e2fc-46f0-9684-b46b1faf00bb',
    name: 'ubuntu-22.04',
    osType: 'Linux',
    version: '22.04',
  },
  {
    imageId: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
    name: 'ubuntu-24.04',
    osType: 'Linux',
    version: '24.04',
  },
  { imageId: '66abf39a-ba6b-4195-b9fb-4b2fd1b9a3a3', name: 'debian-12', osType: 'Linux', version: '12' },
]
