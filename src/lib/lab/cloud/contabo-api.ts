/**
 * Emulated Contabo API v1 and its Keycloak token endpoint (shapes from contabo/cntb
 * openapi/api/openapi.yaml): OAuth2 password and refresh-token grants with expiring tokens, a
 * mandatory UUID4 `x-request-id` on every API call (400 without), `{data: [...], _links}` envelopes
 * with `_pagination`, instance actions answering 201, `cancel` setting a `cancelDate` at the end of
 * the contract (the instance keeps running), errors `{statusCode, message}`.
 */
import { randomBytes } from 'node:crypto'
import { CONTABO_IMAGES, labPlan, labRegion } from './lab-catalog.js'
import type { LabPower, LabServer, LabSnapshot } from './model.js'
import {
  type ApiContext,
  asRecord,
  bearer,
  type ProviderApi,
  sameSecret,
  serverRegion,
  str,
} from './provider-api.js'
import { intParam, LabHttpError, type LabRequest, Router } from './router.js'

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

const STATUS: Record<LabPower, string> = {
  creating: 'provisioning',
  starting: 'stopped',
  running: 'running',
  stopping: 'running',
  off: 'stopped',
  resizing: 'stopped',
  deleting: 'uninstalled',
  error: 'error',
}

const TENANT = 'DE'
const CUSTOMER = '54321'

export function contaboApi(ctx: ApiContext): ProviderApi {
  const engine = ctx.engine
  const err = (status: number, message: string) => new LabHttpError(status, { statusCode: status, message })
  const mustFind = (id: string): LabServer => {
    const s = engine.find('contabo', id)
    if (!s) throw err(404, `Entry Instances not found by instanceId ${id}`)
    return s
  }
  const links = (req: LabRequest) => ({ self: `${req.base}${req.path}` })
  const mustFindSnapshot = (s: LabServer, snapshotId: string): LabSnapshot => {
    const x = engine.findSnapshot('contabo', snapshotId)
    if (!x || x.serverId !== s.id) throw err(404, `Entry Snapshots not found by snapshotId ${snapshotId}`)
    return x
  }
  const paged = <T>(req: LabRequest, items: T[], render: (x: T) => unknown) => {
    const size = intParam(req.query, 'size', 10, 1, 100)
    const page = intParam(req.query, 'page', 1, 1, Number.MAX_SAFE_INTEGER)
    if (Number.isNaN(size) || Number.isNaN(page)) throw err(400, 'page and size must be integers')
    const totalPages = Math.max(1, Math.ceil(items.length / size))
    const url = (p: number) => {
      const q = new URLSearchParams(req.query)
      q.set('page', String(p))
      q.set('size', String(size))
      return `${req.base}${req.path}?${q.toString()}`
    }
    return {
      status: 200,
      body: {
        _pagination: { size, totalElements: items.length, totalPages, page },
        data: items.slice((page - 1) * size, page * size).map(render),
        _links: {
          first: url(1),
          previous: url(Math.max(1, page - 1)),
          self: url(page),
          next: url(Math.min(totalPages, page + 1)),
          last: url(totalPages),
        },
      },
    }
  }

  const router = new Router()
    .on('GET', '/compute/instances', (req) => {
      const size = intParam(req.query, 'size', 10, 1, 100)
      const page = intParam(req.query, 'page', 1, 1, Number.MAX_SAFE_INTEGER)
      if (Number.isNaN(size) || Number.isNaN(page)) throw err(400, 'page and size must be integers')
      const displayName = req.query.get('displayName')
      const name = req.query.get('name')
      const region = req.query.get('region')
      const status = req.query
        .get('status')
        ?.split(',')
        .map((s) => s.trim())
      const all = engine
        .servers('contabo')
        .filter(
          (s) =>
            (displayName === null || s.name === displayName) &&
            (name === null || systemName(s) === name) &&
            (region === null || s.region === region) &&
            (status === undefined || status.includes(STATUS[s.power])),
        )
      const totalPages = Math.max(1, Math.ceil(all.length / size))
      const url = (p: number) => {
        const q = new URLSearchParams(req.query)
        q.set('page', String(p))
        q.set('size', String(size))
        return `${req.base}${req.path}?${q.toString()}`
      }
      return {
        status: 200,
        body: {
          _pagination: { size, totalElements: all.length, totalPages, page },
          data: all.slice((page - 1) * size, page * size).map(render),
          _links: {
            first: url(1),
            previous: url(Math.max(1, page - 1)),
            self: url(page),
            next: url(Math.min(totalPages, page + 1)),
            last: url(totalPages),
          },
        },
      }
    })
    .on('POST', '/compute/instances', (req) => {
      const b = asRecord(req.body)
      const productId = str(b.productId) ?? 'V92'
      if (!labPlan('contabo', productId)) throw err(400, `productId ${productId} is not available`)
      const region = str(b.region) ?? 'EU'
      if (!labRegion('contabo', region))
        throw err(400, 'region must be one of EU, US-central, US-east, US-west, SIN, UK, AUS, JPN, IND')
      const imageId = str(b.imageId)
      if (!imageId || !/^[0-9a-f-]{36}$/i.test(imageId)) throw err(400, 'imageId must be a UUID')
      if (![1, 3, 6, 12].includes(b.period as number)) throw err(400, 'period must be one of 1, 3, 6, 12')
      const displayName = str(b.displayName) ?? ''
      if (displayName.length > 255)
        throw err(400, 'displayName must be shorter than or equal to 255 characters')
      const userData = b.userData === undefined ? null : str(b.userData)
      if (userData === undefined) throw err(400, 'userData must be a string')
      const { server } = engine.createServer('contabo', {
        name: displayName,
        region,
        plan: productId,
        image: imageId,
        userData,
        hang: ctx.hangsBoot('contabo', region),
        termMonths: b.period as number,
      })
      return {
        status: 201,
        body: {
          data: [
            {
              tenantId: TENANT,
              customerId: CUSTOMER,
              instanceId: Number(server.id),
              createdDate: server.createdAt,
              imageId,
              productId,
              region,
              addOns: [],
              osType: 'Linux',
              status: STATUS[server.power],
              sshKeys: [],
            },
          ],
          _links: links(req),
        },
      }
    })
    .on('GET', '/compute/instances/:id', (req) => ({
      status: 200,
      body: { data: [render(mustFind(req.params.id!))], _links: links(req) },
    }))
    .on('PATCH', '/compute/instances/:id', (req) => {
      const s = mustFind(req.params.id!)
      const displayName = str(asRecord(req.body).displayName)
      if (displayName !== undefined) s.name = displayName
      engine.touch()
      return {
        status: 200,
        body: {
          data: [{ tenantId: TENANT, customerId: CUSTOMER, instanceId: Number(s.id) }],
          _links: links(req),
        },
      }
    })
    .on('PUT', '/compute/instances/:id', (req) => {
      // Reinstall: a fresh OS from imageId; the disk, and everything on it, is gone.
      const s = mustFind(req.params.id!)
      const b = asRecord(req.body)
      const imageId = str(b.imageId)
      if (!imageId || !/^[0-9a-f-]{36}$/i.test(imageId)) throw err(400, 'imageId must be a UUID')
      if (b.defaultUser !== undefined && !['root', 'admin'].includes(String(b.defaultUser)))
        throw err(400, 'defaultUser must be one of root, admin')
      const userData = b.userData === undefined ? null : str(b.userData)
      if (userData === undefined) throw err(400, 'userData must be a string')
      if (s.power === 'deleting') throw err(409, 'The instance is being cancelled')
      engine.reinstall(s, 'reinstall', { image: imageId, userData, dropsSnapshots: false })
      return {
        status: 200,
        body: {
          data: [
            { tenantId: TENANT, customerId: CUSTOMER, instanceId: Number(s.id), createdDate: s.createdAt },
          ],
          _links: links(req),
        },
      }
    })
    .on('POST', '/compute/instances/:id/snapshots', (req) => {
      const s = mustFind(req.params.id!)
      const b = asRecord(req.body)
      const name = str(b.name)
      if (!name || !/^[A-Za-z0-9:_-]{1,255}$/.test(name))
        throw err(400, 'name may contain letters, numbers, colons, dashes and underscores (at most 255)')
      if (b.description !== undefined && (typeof b.description !== 'string' || b.description.length > 255))
        throw err(400, 'description must be a string of at most 255 characters')
      // Contabo keeps a snapshot with its instance, and removes it by itself after a while.
      const { snapshot } = engine.snapshot(s, 'snapshot', {
        id: `snap${engine.nextSeq('contabo:snapshot', 1_700_000_000)}`,
        name,
        description: typeof b.description === 'string' ? b.description : '',
        boundToServer: true,
        keepDays: 30,
      })
      return { status: 201, body: { data: [renderSnapshot(snapshot)], _links: links(req) } }
    })
    .on('GET', '/compute/instances/:id/snapshots', (req) => {
      const s = mustFind(req.params.id!)
      const name = req.query.get('name')
      const mine = engine
        .snapshots('contabo')
        .filter((x) => x.serverId === s.id && (name === null || x.name.includes(name)))
      return paged(req, mine, renderSnapshot)
    })
    .on('GET', '/compute/instances/:id/snapshots/:snapshotId', (req) => {
      const x = mustFindSnapshot(mustFind(req.params.id!), req.params.snapshotId!)
      return { status: 200, body: { data: [renderSnapshot(x)], _links: links(req) } }
    })
    .on('DELETE', '/compute/instances/:id/snapshots/:snapshotId', (req) => {
      engine.removeSnapshot(mustFindSnapshot(mustFind(req.params.id!), req.params.snapshotId!))
      return { status: 204 }
    })
    .on('POST', '/compute/instances/:id/cancel', (req) => {
      const s = mustFind(req.params.id!)
      if (!s.cancelDate) {
        s.cancelDate = contractEnd(s, engine.now())
        engine.touch()
      }
      return {
        status: 200,
        body: {
          data: [
            { tenantId: TENANT, customerId: CUSTOMER, instanceId: Number(s.id), cancelDate: s.cancelDate },
          ],
          _links: links(req),
        },
      }
    })
    .on('POST', '/compute/instances/:id/actions/:action', (req) => {
      const s = mustFind(req.params.id!)
      const action = req.params.action!
      if (action === 'start') engine.powerOn(s, action)
      else if (action === 'stop' || action === 'shutdown') engine.powerOff(s, action)
      else if (action === 'restart') engine.reboot(s, action)
      else throw err(404, `action ${action} not found`)
      return {
        status: 201,
        body: {
          data: [{ tenantId: TENANT, customerId: CUSTOMER, instanceId: Number(s.id), action }],
          _links: links(req),
        },
      }
    })

  return {
    provider: 'contabo',
    prefix: '/contabo/v1',
    router,
    error: (status, message) => err(status, message),
    rateHeaders: () => ({}),
    guard: (req) => {
      const rid = req.headers['x-request-id']
      if (!rid) return err(400, 'x-request-id header is missing')
      if (!UUID4.test(rid)) return err(400, 'x-request-id must be a UUID4')
      const token = bearer(req)
      const now = engine.now()
      if (!token || !engine.state.contaboTokens.some((t) => t.access === token && t.expiresAt > now)) {
        return err(401, 'Unauthorized')
      }
      return null
    },
    regionOf: (req) => {
      if (req.method === 'POST' && req.path === '/compute/instances')
        return str(asRecord(req.body).region) ?? 'EU'
      return serverRegion(ctx, 'contabo', req)
    },
  }
}

/** The Keycloak token endpoint: `/contabo-auth/auth/realms/contabo/protocol/openid-connect/token`. */
export function contaboAuthApi(ctx: ApiContext): ProviderApi {
  const engine = ctx.engine
  const cfg = ctx.contabo
  const err = (status: number, error: string, description: string) =>
    new LabHttpError(status, { error, error_description: description })
  const creds = ctx.credentials.contabo
  const matches = (want: string, got: unknown) => typeof got === 'string' && sameSecret(got, want)

  const issue = () => {
    const now = engine.now()
    // Expired tokens are useless; dropping them keeps the state file small.
    engine.state.contaboTokens = engine.state.contaboTokens.filter((t) => t.refreshExpiresAt > now)
    const token = {
      access: randomBytes(24).toString('base64url'),
      refresh: randomBytes(24).toString('base64url'),
      expiresAt: now + cfg.accessTtlSec * 1000,
      refreshExpiresAt: now + cfg.refreshTtlSec * 1000,
    }
    engine.state.contaboTokens.push(token)
    engine.touch()
    return {
      status: 200,
      body: {
        access_token: token.access,
        expires_in: cfg.accessTtlSec,
        refresh_expires_in: cfg.refreshTtlSec,
        refresh_token: token.refresh,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: 'profile email',
      },
    }
  }

  const router = new Router().on('POST', '/auth/realms/contabo/protocol/openid-connect/token', (req) => {
    const b = asRecord(req.body)
    if (!matches(creds.clientId, b.client_id) || !matches(creds.clientSecret, b.client_secret)) {
      throw err(401, 'unauthorized_client', 'Invalid client or Invalid client credentials')
    }
    if (b.grant_type === 'password') {
      if (!matches(creds.username, b.username) || !matches(creds.password, b.password)) {
        throw err(401, 'invalid_grant', 'Invalid user credentials')
      }
      return issue()
    }
    if (b.grant_type === 'refresh_token') {
      const now = engine.now()
      const t = engine.state.contaboTokens.find(
        (x) => x.refresh === b.refresh_token && x.refreshExpiresAt > now,
      )
      if (!t) throw err(400, 'invalid_grant', 'Invalid refresh token')
      return issue()
    }
    throw err(400, 'unsupported_grant_type', 'Unsupported grant_type')
  })

  return {
    provider: 'contabo',
    prefix: '/contabo-auth',
    router,
    error: (status, message) => err(status, status === 429 ? 'too_many_requests' : 'server_error', message),
    rateHeaders: () => ({}),
    guard: () => null,
    regionOf: () => null,
  }
}

function systemName(s: LabServer): string {
  return `vmi${s.id.slice(-6)}`
}

/** End of the contract: creation date plus the contract period, in whole months. */
function contractEnd(s: LabServer, now: number): string {
  const months = s.termMonths
  const end = new Date(s.createdAt)
  while (end.getTime() <= now) end.setUTCMonth(end.getUTCMonth() + months)
  return end.toISOString().slice(0, 10)
}

/** SnapshotResponse (cntb openapi/docs/SnapshotResponse.md). */
function renderSnapshot(x: LabSnapshot) {
  return {
    tenantId: TENANT,
    customerId: CUSTOMER,
    snapshotId: x.id,
    name: x.name,
    description: x.description,
    instanceId: Number(x.serverId),
    createdDate: x.createdAt,
    autoDeleteDate: x.expiresAt ?? '',
    imageId: x.image,
    imageName: CONTABO_IMAGES.find((i) => i.imageId === x.image)?.name ?? 'custom',
  }
}

function render(s: LabServer) {
  const plan = labPlan('contabo', s.plan)
  const region = labRegion('contabo', s.region)
  return {
    tenantId: TENANT,
    customerId: CUSTOMER,
    additionalIps: [],
    name: systemName(s),
    displayName: s.name,
    instanceId: Number(s.id),
    dataCenter: `${region?.city ?? s.region} 1`,
    region: s.region,
    regionName: region?.city ?? s.region,
    productId: s.plan,
    imageId: s.image,
    ipConfig: {
      v4: { ip: s.ipv4, gateway: s.ipv4.replace(/\.\d+$/, '.1'), netmaskCidr: 20 },
      v6: { ip: s.ipv6, gateway: 'fe80::1', netmaskCidr: 64 },
    },
    macAddress: `00:50:56:${s.id.slice(-6).replace(/(..)(?=.)/g, '$1:')}`,
    ramMb: plan?.memoryMb ?? 0,
    cpuCores: plan?.vcpus ?? 0,
    osType: 'Linux',
    diskMb: (plan?.diskGb ?? 0) * 1024,
    sshKeys: [],
    createdDate: s.createdAt,
    cancelDate: s.cancelDate ?? '',
    status: STATUS[s.power],
    vHostId: 1000,
    addOns: [],
    productType: 'nvme',
    defaultUser: 'root',
    ...(s.errorMessage ? { errorMessage: s.errorMessage } : {}),
  }
}
