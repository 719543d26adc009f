import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { archiveUserState } from '../../../src/lib/archive/archive.js'
import archivePrune from '../../../src/lib/archive/prune.js'
import type { Context } from '../../../src/lib/context.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { engine } from '../../support/engine.js'

/** What watch's housekeeping does: the prune operation, as Guardian; how many archives it deleted. */
async function pruneArchives(ctx: Context): Promise<number> {
  const r = await engine.mutate(ctx.as('guardian'), archivePrune, {}).catch((err: unknown) => {
    if ((err as UserError).code === 'CONFLICT') return null
    throw err
  })
  if (!r || r.status === 'dry-run') return 0
  return r.operation.steps.filter((s) => (s.result as { deleted?: boolean } | null)?.deleted).length
}

import type { Instance } from '../../../src/lib/domain/instance.js'
import type { UserError } from '../../../src/lib/errors.js'
import type { NodeInvoker } from '../../../src/lib/gateway/link.js'
import { manualClock, testContext } from '../../support/context.js'

const bytes = Buffer.from('a tarball of user state '.repeat(30_000))
const CHUNK = 256 * 1024

/** A node that serves `openclaw.archive` the way gf-clawnode does (chunks, size, SHA-256). */
function archivingNode(data: Buffer, corrupt = false): NodeInvoker & { calls: number } {
  const sha256 = createHash('sha256').update(data).digest('hex')
  const node = {
    calls: 0,
    async invoke<T>(_t: unknown, command: string, params: Record<string, unknown>): Promise<T> {
      node.calls++
      expect(command).toBe('openclaw.archive')
      const offset = (params.offset as number) ?? 0
      const chunk = data.subarray(offset, offset + CHUNK)
      const sent = corrupt && offset === 0 ? Buffer.from(chunk).fill(0, 0, 10) : chunk
      return {
        archiveId: 'a'.repeat(16),
        size: data.length,
        sha256,
        offset,
        chunk: sent.toString('base64'),
        done: offset + chunk.length >= data.length,
      } as T
    },
  }
  return node
}

const instance = { id: 'i-1', pairId: 'p-1', userId: 'u-1', nodeId: 'n-1' } as Instance

describe('archives of user state', () => {
  it('fetches the archive in chunks, checks it and keeps it in the archive directory', async () => {
    const ctx = testContext()
    const node = archivingNode(bytes)
    const r = await archiveUserState(ctx, node, instance)
    expect(node.calls).toBe(Math.ceil(bytes.length / CHUNK))
    expect(readFileSync(r.location).equals(bytes)).toBe(true)
    expect(r.location.startsWith(ctx.home)).toBe(true)
  })

  it('refuses an archive that arrives damaged, and stores nothing', async () => {
    const ctx = testContext()
    const err = await archiveUserState(ctx, archivingNode(bytes, true), instance).catch((e: unknown) => e)
    expect((err as UserError).code).toBe('NODE_ERROR')
    expect(ctx.store().db.prepare('SELECT count(*) AS n FROM archives').get()).toEqual({ n: 0 })
  })

  it('drops archives after their retention', async () => {
    const clock = manualClock()
    const ctx = testContext({ clock })
    const r = await archiveUserState(ctx, archivingNode(bytes), instance)
    expect(await pruneArchives(ctx)).toBe(0)
    clock.advance(31 * 86_400_000)
    expect(await pruneArchives(ctx)).toBe(1)
    expect(existsSync(r.location)).toBe(false)
    // Audited before the bytes went, as Guardian, inside the operation.
    const trail = ctx.store().repo(AuditTrail).query({ action: 'archive', limit: 100 })
    const del = trail.find((e) => e.action === 'archive.delete')!
    expect(del).toMatchObject({ actor: 'guardian', target: r.id, outcome: 'intent' })
    const done = trail.find((e) => e.action === 'archive.prune.delete' && e.outcome === 'ok')!
    expect(del.seq).toBeLessThan(done.seq)
  })

  it("waits for a confirmation before deleting more than 10 users' archives, and is refused to Triage", async () => {
    const clock = manualClock()
    const ctx = testContext({ clock })
    for (let i = 0; i < 11; i++)
      await archiveUserState(ctx, archivingNode(bytes), { ...instance, userId: `u-${i}`, pairId: `p-${i}` })
    clock.advance(31 * 86_400_000)
    const err = (await engine
      .mutate(ctx.as('guardian'), archivePrune, {})
      .catch((e: unknown) => e)) as UserError
    expect(err.code).toBe('CONFIRMATION_REQUIRED')
    expect(await pruneArchives(ctx).catch((e: UserError) => e.code)).toBe('CONFIRMATION_REQUIRED')
    const denied = (await engine
      .mutate(ctx.as('triage'), archivePrune, {})
      .catch((e: unknown) => e)) as UserError
    expect(denied.code).toBe('POLICY_DENIED')
    const planId = (err.details as { planId: string }).planId
    const r = await engine.mutate(ctx, archivePrune, {}, { confirm: planId })
    expect(r.status).toBe('done')
  })
})

describe('archives in an S3-compatible bucket', () => {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[] = []
  let endpoint: string
  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (c) => parts.push(c))
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts) })
      res.writeHead(req.method === 'PUT' ? 200 : 204).end()
    })
  })
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => server.close())

  it('PUTs the archive signed with SigV4 and DELETEs it when it expires', async () => {
    const clock = manualClock()
    const ctx = testContext({
      clock,
      env: { S3_KEY: 'AKIDEXAMPLE', S3_SECRET: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      config: {
        currency: { rates: { USD: 1, EUR: 1.08 } },
        policy: { planTtlMinutes: 60, confirmationTtlMinutes: 60, lockWaitSeconds: 30 },
        archive: {
          s3: {
            endpoint,
            bucket: 'claw-archives',
            region: 'eu-central-1',
            prefix: 'a/',
            accessKeyIdEnv: 'S3_KEY',
            secretAccessKeyEnv: 'S3_SECRET',
          },
        },
      },
    })
    const r = await archiveUserState(ctx, archivingNode(bytes), instance)
    expect(r.location).toMatch(/^s3:\/\/claw-archives\/a\/u-1\/p-1-.*\.tar\.gz$/)
    const put = requests.find((q) => q.method === 'PUT')!
    expect(put.url).toMatch(/^\/claw-archives\/a\/u-1\/p-1-/)
    expect(put.body.equals(bytes)).toBe(true)
    expect(put.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(put.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    )
    expect(JSON.stringify(put.headers)).not.toContain('wJalrXUtnFEMI')
    clock.advance(31 * 86_400_000)
    expect(await pruneArchives(ctx)).toBe(1)
    expect(requests.at(-1)).toMatchObject({ method: 'DELETE', url: put.url })
  })
})
