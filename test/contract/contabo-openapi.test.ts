/**
 * Contabo: its official client (`cntb`, Go) cannot run here, so the lab's answers are validated
 * against the schemas derived from Contabo's API document (support/contabo-spec.ts), over plain
 * HTTP as cntb would call it: the password grant with all four credentials checked, create, list
 * with filters and pages, get, the instance actions, snapshots (taken, listed, got, deleted), a
 * reinstall (the disk wiped), cancel, and the 401s of the token endpoint and
 * the API in their own shapes.
 */
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTABO as SPEC } from './support/contabo-spec.js'
import { type ContractLab, contractLab, until } from './support/lab.js'
import { expectValid, isValid } from './support/schema.js'

let fx: ContractLab
let token: string

async function grant(over: Record<string, string> = {}) {
  const c = fx.creds.contabo
  const res = await request(fx.lab.endpoints.contabo.authUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      username: c.username,
      password: c.password,
      grant_type: 'password',
      ...over,
    }).toString(),
  })
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

async function api(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  bearer = token,
) {
  const res = await request(`${fx.lab.endpoints.contabo.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      'x-request-id': randomUUID(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.body.text()
  return { status: res.statusCode, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> }
}

beforeAll(async () => {
  fx = await contractLab()
  const g = await grant()
  expect(g.status).toBe(200)
  token = String(g.body.access_token)
})
afterAll(() => fx?.stop())

describe('the Contabo API of the lab, validated against Contabo’s API document', () => {
  it('the schemas can fail: an instance without its required fields does not validate', () => {
    expect(isValid(SPEC.instance_get, { data: [{ instanceId: 1 }], _links: { self: '/x' } })).toBe(false)
    expect(isValid(SPEC.instance_create_request, { period: 2 })).toBe(false)
  })

  it('checks all four login values of the password grant, with Keycloak’s error bodies', async () => {
    for (const field of ['client_id', 'client_secret'] as const) {
      const r = await grant({ [field]: 'wrong' })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({
        error: 'unauthorized_client',
        error_description: 'Invalid client or Invalid client credentials',
      })
    }
    for (const field of ['username', 'password'] as const) {
      const r = await grant({ [field]: 'wrong' })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid user credentials' })
    }
    const bad = await api('GET', '/compute/instances', undefined, 'not-a-token')
    expect(bad.status).toBe(401)
    expect(bad.body).toEqual({ statusCode: 401, message: 'Unauthorized' })
  })

  let id: number
  it('creates an instance, then gets and lists it (filters and pages)', async () => {
    const request = {
      imageId: 'afecbb85-e2fc-46f0-9684-b46b1faf00bb',
      productId: 'V92',
      region: 'EU',
      period: 1,
      displayName: 'claw-cb-1',
      userData: '#cloud-config\nhostname: claw-cb-1\n',
    }
    expectValid(SPEC.instance_create_request, request, 'create request')
    const created = await api('POST', '/compute/instances', request)
    expect(created.status).toBe(201)
    expectValid(SPEC.instance_create_response, created.body, 'POST /compute/instances')
    id = (created.body.data as { instanceId: number }[])[0]!.instanceId
    const got = await until(async () => {
      const r = await api('GET', `/compute/instances/${id}`)
      expectValid(SPEC.instance_get, r.body, 'GET /compute/instances/{id}')
      const one = (r.body.data as { status: string }[])[0]!
      return one.status === 'running' && one
    })
    expect(got).toMatchObject({ displayName: 'claw-cb-1', productId: 'V92', region: 'EU', cancelDate: '' })

    fx.lab.seed({ provider: 'contabo', count: 12, namePrefix: 'paged' })
    const page1 = await api('GET', '/compute/instances?size=5&page=1')
    expectValid(SPEC.instance_list, page1.body, 'GET /compute/instances')
    expect(page1.body._pagination).toEqual({ size: 5, totalElements: 13, totalPages: 3, page: 1 })
    const byName = await api('GET', '/compute/instances?displayName=claw-cb-1')
    expect((byName.body.data as unknown[]).length).toBe(1)
    const byStatus = await api('GET', '/compute/instances?status=stopped')
    expect(byStatus.body.data).toEqual([])
  })

  it('takes a snapshot of the instance, lists, gets and deletes it', async () => {
    const body = { name: 'clawops-0123456789ab', description: 'clawops archive' }
    expectValid(SPEC.snapshot_create_request, body, 'the request the adapter sends')
    const made = await api('POST', `/compute/instances/${id}/snapshots`, body)
    expect(made.status).toBe(201)
    expectValid(SPEC.snapshot_one, made.body, 'POST /compute/instances/{id}/snapshots')
    const snapId = (made.body.data as { snapshotId: string }[])[0]!.snapshotId
    const list = await api('GET', `/compute/instances/${id}/snapshots?name=clawops`)
    expectValid(SPEC.snapshot_list, list.body, 'GET /compute/instances/{id}/snapshots')
    expect((list.body.data as { snapshotId: string }[]).map((x) => x.snapshotId)).toEqual([snapId])
    const one = await api('GET', `/compute/instances/${id}/snapshots/${snapId}`)
    expectValid(SPEC.snapshot_one, one.body, 'GET /compute/instances/{id}/snapshots/{snapshotId}')
    expect((await api('DELETE', `/compute/instances/${id}/snapshots/${snapId}`)).status).toBe(204)
    expect((await api('GET', `/compute/instances/${id}/snapshots/${snapId}`)).status).toBe(404)
    const bad = await api('POST', `/compute/instances/${id}/snapshots`, { name: 'has spaces' })
    expect(bad.status).toBe(400)
  })

  it('reinstalls the instance from an image (its disk wiped), and it runs again', async () => {
    const body = { imageId: 'afecbb85-e2fc-46f0-9684-b46b1faf00bb', defaultUser: 'root' }
    expectValid(SPEC.instance_reinstall_request, body, 'the request the adapter sends')
    const r = await api('PUT', `/compute/instances/${id}`, body)
    expect(r.status).toBe(200)
    expectValid(SPEC.instance_reinstall_response, r.body, 'PUT /compute/instances/{id}')
    expect(fx.lab.servers('contabo').find((s) => s.id === String(id))?.userData).toBeNull()
    await until(async () => {
      const s = ((await api('GET', `/compute/instances/${id}`)).body.data as { status: string }[])[0]!
      return s.status === 'running'
    })
  })

  it('stops, starts, restarts and cancels (the instance runs to the end of its term)', async () => {
    for (const action of ['stop', 'start', 'restart']) {
      const r = await api('POST', `/compute/instances/${id}/actions/${action}`, {})
      expect(r.status).toBe(201)
      expect(r.body).toMatchObject({ data: [{ instanceId: id, action }] })
      await until(async () => {
        const s = ((await api('GET', `/compute/instances/${id}`)).body.data as { status: string }[])[0]!
        return s.status === (action === 'stop' ? 'stopped' : 'running')
      })
    }
    const cancel = await api('POST', `/compute/instances/${id}/cancel`, {})
    expectValid(SPEC.instance_cancel_response, cancel.body, 'POST /compute/instances/{id}/cancel')
    const after = await api('GET', `/compute/instances/${id}`)
    expectValid(SPEC.instance_get, after.body, 'GET after cancel')
    expect((after.body.data as { status: string; cancelDate: string }[])[0]).toMatchObject({
      status: 'running',
      cancelDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    })
  })

  it('answers 404 and 405 in its own shape', async () => {
    const missing = await api('GET', '/compute/instances/1')
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ statusCode: 404 })
    const wrong = await api('PATCH', '/compute/instances')
    expect(wrong.status).toBe(405)
    expect(wrong.body).toMatchObject({ statusCode: 405 })
  })
})
