/**
 * The parts of DigitalOcean's published OpenAPI document (github.com/digitalocean/openapi) that
 * clawops and the lab use, as JSON Schema. The document is not published on npm, so this is a
 * derivation written by reading it, not a copy; each schema names the file and the commit read:
 *
 *   droplet           specification/resources/droplets/models/droplet.yml @ 9fc747dc9ad80d86a097ac230be1a72c37d2757b
 *   droplet_create    specification/resources/droplets/models/droplet_create.yml @ 0195c6b3b52d3c1eff8e13a223fa1fc32f43f12e
 *   droplet_action    specification/resources/droplets/models/droplet_actions.yml @ 04a66741fdf6576e8f2e0642ada9ff00d4ce4b5a
 *   action            specification/resources/actions/models/action.yml @ 0143ee7e5a0fad28f3d889ab1edded87c0cd8354
 *   image             specification/resources/images/models/image.yml @ 2ce018c55100d72926e0013b05c29322e5bdb22d
 *   size              specification/resources/sizes/models/size.yml @ 38e017d24efcf884f8fb777d687cc6e92aec7238
 *   region            specification/resources/regions/models/region.yml @ c0bd0471e78695ae732a9914572679f09b2cceac
 *   snapshot          specification/resources/snapshots/models/snapshot.yml @ 274f5d1d28f45ff730be1e75c418fcd80b27e9fa
 *   droplet_snapshot  specification/resources/droplets/models/droplet_snapshot.yml @ 624e59fe424791fe4c37d3b76a7f5cef2a71290d
 *   snapshot base     snapshot_base.yml, which both include, is not in the index read; its fields and
 *                     required list (name, created_at, regions, min_disk_size, size_gigabytes) follow
 *                     the models generated from the same document (DigitalOcean's SDK portal)
 *   meta, page links  specification/shared/meta.yml @ 4b86da33b0093abb277233ca5dc86e8fe674d7c7,
 *                     specification/shared/pages.yml @ e8a8b1b8c2f87e7490097f2be0e9946f42e5688d
 *   error             the `error` model the shared responses (unexpected_error.yml @ 4b86da33) point to:
 *                     id and message required, request_id optional
 *
 * OpenAPI's `nullable: true` is written as a type union with null. The network entries
 * (network_v4.yml, network_v6.yml) are not in the index read; their fields follow godo's
 * droplets.go (NetworkV4, NetworkV6).
 */
const dateTime = { type: 'string', format: 'date-time' }
const str = { type: 'string' }
const int = { type: 'integer' }
const strArray = { type: 'array', items: str }

const region = {
  type: 'object',
  properties: {
    name: str,
    slug: str,
    features: strArray,
    available: { type: 'boolean' },
    sizes: strArray,
  },
  required: ['available', 'features', 'name', 'sizes', 'slug'],
}

const size = {
  type: 'object',
  properties: {
    slug: str,
    memory: { type: 'integer', multipleOf: 8, minimum: 8 },
    vcpus: int,
    disk: int,
    transfer: { type: 'number' },
    price_monthly: { type: 'number' },
    price_hourly: { type: 'number' },
    regions: strArray,
    available: { type: 'boolean' },
    description: str,
    disk_info: { type: 'array' },
  },
  required: [
    'available',
    'disk',
    'memory',
    'price_hourly',
    'price_monthly',
    'regions',
    'slug',
    'transfer',
    'vcpus',
    'description',
  ],
}

const image = {
  type: 'object',
  properties: {
    id: int,
    name: str,
    type: { enum: ['base', 'snapshot', 'backup', 'custom'] },
    distribution: str,
    slug: { type: ['string', 'null'] },
    public: { type: 'boolean' },
    regions: strArray,
    created_at: dateTime,
    min_disk_size: { type: 'integer', minimum: 0 },
    size_gigabytes: { type: 'number' },
    description: str,
    tags: { type: ['array', 'null'], items: str },
    status: { enum: ['NEW', 'available', 'pending', 'deleted', 'retired'] },
    error_message: str,
  },
}

const networkV4 = {
  type: 'object',
  properties: {
    ip_address: { type: 'string', format: 'ipv4' },
    netmask: { type: 'string', format: 'ipv4' },
    gateway: str,
    type: { enum: ['public', 'private'] },
  },
}
const networkV6 = {
  type: 'object',
  properties: {
    ip_address: { type: 'string', format: 'ipv6' },
    netmask: int,
    gateway: { type: 'string', format: 'ipv6' },
    type: { enum: ['public'] },
  },
}

const droplet = {
  type: 'object',
  properties: {
    id: int,
    name: str,
    memory: { type: 'integer', multipleOf: 8 },
    vcpus: int,
    disk: int,
    locked: { type: 'boolean' },
    status: { enum: ['new', 'active', 'off', 'archive'] },
    kernel: {
      type: ['object', 'null'],
      properties: { id: int, name: str, version: str },
    },
    created_at: dateTime,
    features: strArray,
    backup_ids: { type: 'array', items: int },
    next_backup_window: {
      type: ['object', 'null'],
      properties: { start: dateTime, end: dateTime },
    },
    snapshot_ids: { type: 'array', items: int },
    image,
    volume_ids: strArray,
    size,
    size_slug: str,
    networks: {
      type: 'object',
      properties: { v4: { type: 'array', items: networkV4 }, v6: { type: 'array', items: networkV6 } },
    },
    region,
    tags: strArray,
    vpc_uuid: str,
  },
  required: [
    'id',
    'name',
    'memory',
    'vcpus',
    'disk',
    'locked',
    'status',
    'kernel',
    'created_at',
    'features',
    'backup_ids',
    'next_backup_window',
    'snapshot_ids',
    'image',
    'volume_ids',
    'size',
    'size_slug',
    'networks',
    'region',
    'tags',
  ],
}

const action = {
  type: 'object',
  properties: {
    id: int,
    status: { enum: ['in-progress', 'completed', 'errored'] },
    type: str,
    started_at: dateTime,
    completed_at: { type: ['string', 'null'], format: 'date-time' },
    resource_id: int,
    resource_type: str,
    region: { anyOf: [region, { type: 'null' }] },
    region_slug: { type: ['string', 'null'] },
  },
}

const snapshotBase = {
  name: str,
  created_at: dateTime,
  regions: strArray,
  min_disk_size: { type: 'integer', minimum: 0 },
  size_gigabytes: { type: 'number', minimum: 0 },
}
const snapshotBaseRequired = ['name', 'created_at', 'regions', 'min_disk_size', 'size_gigabytes']

const snapshot = {
  type: 'object',
  properties: {
    id: str,
    ...snapshotBase,
    resource_id: str,
    resource_type: { enum: ['droplet', 'volume'] },
    tags: { type: ['array', 'null'], items: str },
  },
  required: ['id', ...snapshotBaseRequired, 'resource_id', 'resource_type', 'tags'],
}

const dropletSnapshot = {
  type: 'object',
  properties: { id: int, ...snapshotBase, type: { enum: ['snapshot', 'backup'] } },
  required: ['id', ...snapshotBaseRequired, 'type'],
}

const links = {
  type: 'object',
  properties: {
    pages: {
      type: 'object',
      properties: { first: str, prev: str, next: str, last: str },
    },
  },
}
const meta = { type: 'object', properties: { total: int }, required: ['total'] }
const list = (key: string, item: object) => ({
  type: 'object',
  properties: { [key]: { type: 'array', items: item }, links, meta },
  required: [key, 'meta'],
})

export const DIGITALOCEAN = {
  error: {
    type: 'object',
    properties: { id: str, message: str, request_id: str },
    required: ['id', 'message'],
  },
  droplet_list: list('droplets', droplet),
  droplet_get: { type: 'object', properties: { droplet }, required: ['droplet'] },
  droplet_create_response: {
    type: 'object',
    properties: {
      droplet,
      links: {
        type: 'object',
        properties: {
          actions: {
            type: 'array',
            items: { type: 'object', properties: { id: int, rel: str, href: str } },
          },
        },
      },
    },
    required: ['droplet', 'links'],
  },
  action_get: { type: 'object', properties: { action }, required: ['action'] },
  action_list: list('actions', action),
  size_list: list('sizes', size),
  region_list: list('regions', region),
  image_list: list('images', image),
  image_get: { type: 'object', properties: { image }, required: ['image'] },
  droplet_snapshot_list: list('snapshots', dropletSnapshot),
  snapshot_list: list('snapshots', snapshot),
  snapshot_get: { type: 'object', properties: { snapshot }, required: ['snapshot'] },
  droplet_create_request: {
    type: 'object',
    properties: {
      name: str,
      region: str,
      size: str,
      image: { oneOf: [str, int] },
      ssh_keys: { type: 'array', items: { anyOf: [str, int] } },
      backups: { type: 'boolean' },
      ipv6: { type: 'boolean' },
      monitoring: { type: 'boolean' },
      tags: { type: ['array', 'null'], items: str },
      user_data: { type: 'string', maxLength: 64 * 1024 },
      private_networking: { type: 'boolean' },
      vpc_uuid: str,
      with_droplet_agent: { type: 'boolean' },
    },
    required: ['region', 'size', 'image'],
  },
  droplet_action_request: {
    type: 'object',
    properties: {
      type: {
        enum: [
          'enable_backups',
          'disable_backups',
          'reboot',
          'power_cycle',
          'shutdown',
          'power_off',
          'power_on',
          'restore',
          'password_reset',
          'resize',
          'rebuild',
          'rename',
          'change_kernel',
          'enable_ipv6',
          'snapshot',
        ],
      },
      disk: { type: 'boolean' },
      size: str,
      // droplet_action_snapshot
      name: str,
    },
    required: ['type'],
  },
} as const
