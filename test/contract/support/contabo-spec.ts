/**
 * The parts of Contabo's API document that clawops and the lab use, as JSON Schema. Contabo's only
 * official client, `cntb`, is a Go program that cannot be installed here (no Debian or npm
 * package), so the lab is checked against the document instead. It is vendored in contabo/cntb
 * (openapi/api/openapi.yaml) and not published on npm; this is a derivation written by reading the
 * models generated from it in that repository at commit 1645646a666bdcf3a520724d9af6015d85fec7a7:
 * openapi/docs/InstanceResponse.md (required = the arguments of NewInstanceResponse) and
 * openapi/docs/CreateInstanceRequest.md, and for snapshots and reinstalls SnapshotResponse.md,
 * CreateSnapshotRequest.md, ReinstallInstanceRequest.md and ReinstallInstanceResponseData.md (paths
 * from SnapshotsApi.md: /v1/compute/instances/{instanceId}/snapshots[/{snapshotId}]). The envelopes (`_pagination`, `_links`, `data` always an
 * array), the status words and the create, cancel and region fields follow the team's notes on
 * openapi.yaml (shared/reference/providers-and-cli.md §1.5); `addOns` and `applicationId` are in
 * the newer document those notes read.
 */
const str = { type: 'string' }
const int = { type: 'integer' }
const dateTime = { type: 'string', format: 'date-time' }

const status = {
  enum: [
    'provisioning',
    'uninstalled',
    'running',
    'stopped',
    'error',
    'installing',
    'unknown',
    'manual_provisioning',
    'product_not_available',
    'verification_required',
    'rescue',
    'pending_payment',
    'other',
    'reset_password',
  ],
}

const instance = {
  type: 'object',
  properties: {
    tenantId: str,
    customerId: str,
    additionalIps: { type: 'array' },
    name: str,
    displayName: str,
    instanceId: int,
    region: str,
    productId: str,
    imageId: str,
    ipConfig: { type: 'object' },
    macAddress: str,
    ramMb: { type: 'number' },
    cpuCores: int,
    osType: str,
    diskMb: { type: 'number' },
    sshKeys: { type: 'array', items: int },
    createdDate: dateTime,
    cancelDate: str,
    status,
    vHostId: int,
    addOns: { type: 'array' },
    errorMessage: str,
    productType: str,
    defaultUser: str,
  },
  required: [
    'tenantId',
    'customerId',
    'additionalIps',
    'name',
    'displayName',
    'instanceId',
    'region',
    'productId',
    'imageId',
    'macAddress',
    'ramMb',
    'cpuCores',
    'osType',
    'diskMb',
    'sshKeys',
    'createdDate',
    'cancelDate',
    'status',
    'vHostId',
    'addOns',
    'productType',
    'defaultUser',
  ],
}

const selfLinks = { type: 'object', properties: { self: str }, required: ['self'] }

const snapshot = {
  type: 'object',
  properties: {
    tenantId: str,
    customerId: str,
    snapshotId: str,
    name: str,
    description: str,
    instanceId: int,
    createdDate: dateTime,
    autoDeleteDate: dateTime,
    imageId: str,
    imageName: str,
  },
  required: [
    'tenantId',
    'customerId',
    'snapshotId',
    'name',
    'description',
    'instanceId',
    'createdDate',
    'autoDeleteDate',
    'imageId',
    'imageName',
  ],
}

const pagination = {
  type: 'object',
  properties: {
    size: { type: 'number' },
    totalElements: { type: 'number' },
    totalPages: { type: 'number' },
    page: { type: 'number' },
  },
  required: ['size', 'totalElements', 'totalPages', 'page'],
}

export const CONTABO = {
  instance_list: {
    type: 'object',
    properties: {
      _pagination: {
        type: 'object',
        properties: {
          size: { type: 'number' },
          totalElements: { type: 'number' },
          totalPages: { type: 'number' },
          page: { type: 'number' },
        },
        required: ['size', 'totalElements', 'totalPages', 'page'],
      },
      data: { type: 'array', items: instance },
      _links: {
        type: 'object',
        properties: { first: str, previous: str, self: str, next: str, last: str },
        required: ['first', 'self', 'last'],
      },
    },
    required: ['_pagination', 'data', '_links'],
  },
  instance_get: {
    type: 'object',
    properties: { data: { type: 'array', items: instance, minItems: 1 }, _links: selfLinks },
    required: ['data', '_links'],
  },
  instance_create_response: {
    type: 'object',
    properties: {
      data: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            tenantId: str,
            customerId: str,
            instanceId: int,
            createdDate: dateTime,
            imageId: str,
            productId: str,
            region: str,
            addOns: { type: 'array' },
            osType: str,
            status,
            sshKeys: { type: 'array', items: int },
          },
          required: [
            'tenantId',
            'customerId',
            'instanceId',
            'createdDate',
            'imageId',
            'productId',
            'region',
            'addOns',
            'osType',
            'status',
            'sshKeys',
          ],
        },
      },
      _links: selfLinks,
    },
    required: ['data', '_links'],
  },
  instance_cancel_response: {
    type: 'object',
    properties: {
      data: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            tenantId: str,
            customerId: str,
            instanceId: int,
            cancelDate: { type: 'string', format: 'date' },
          },
          required: ['tenantId', 'customerId', 'instanceId', 'cancelDate'],
        },
      },
      _links: selfLinks,
    },
    required: ['data', '_links'],
  },
  snapshot_create_request: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9:_-]{1,255}$' },
      description: { type: 'string', maxLength: 255 },
    },
    required: ['name'],
    additionalProperties: false,
  },
  snapshot_one: {
    type: 'object',
    properties: { data: { type: 'array', items: snapshot, minItems: 1 }, _links: selfLinks },
    required: ['data', '_links'],
  },
  snapshot_list: {
    type: 'object',
    properties: {
      _pagination: pagination,
      data: { type: 'array', items: snapshot },
      _links: { type: 'object' },
    },
    required: ['_pagination', 'data', '_links'],
  },
  instance_reinstall_request: {
    type: 'object',
    properties: {
      imageId: str,
      sshKeys: { type: 'array', items: int },
      rootPassword: int,
      userData: str,
      defaultUser: { enum: ['root', 'admin', 'administrator'] },
    },
    required: ['imageId'],
    additionalProperties: false,
  },
  instance_reinstall_response: {
    type: 'object',
    properties: {
      data: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: { tenantId: str, customerId: str, instanceId: int, createdDate: dateTime },
          required: ['tenantId', 'customerId', 'instanceId', 'createdDate'],
        },
      },
      _links: selfLinks,
    },
    required: ['data', '_links'],
  },
  instance_create_request: {
    type: 'object',
    properties: {
      imageId: str,
      productId: str,
      region: { enum: ['EU', 'US-central', 'US-east', 'US-west', 'SIN', 'UK', 'AUS', 'JPN', 'IND'] },
      sshKeys: { type: 'array', items: int },
      rootPassword: int,
      userData: str,
      license: str,
      period: { enum: [1, 3, 6, 12] },
      displayName: { type: 'string', maxLength: 255 },
      defaultUser: { enum: ['root', 'admin', 'administrator'] },
      addOns: { type: 'object' },
      applicationId: str,
    },
    required: ['period'],
    additionalProperties: false,
  },
} as const
