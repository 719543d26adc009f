/**
 * The two S3 calls archives need (PUT and DELETE an object) against any S3-compatible endpoint,
 * path-style, signed with AWS Signature V4 (aws4 does the signing).
 */
import { createHash } from 'node:crypto'
import aws4 from 'aws4'
import { request } from 'undici'
import { UserError } from '../errors.js'

export interface S3Target {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

async function send(t: S3Target, method: 'PUT' | 'DELETE', key: string, body?: Buffer): Promise<void> {
  const url = new URL(t.endpoint)
  const path = `/${t.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
  const payloadHash = createHash('sha256')
    .update(body ?? Buffer.alloc(0))
    .digest('hex')
  const signed = aws4.sign(
    {
      host: url.host,
      method,
      path,
      service: 's3',
      region: t.region,
      headers: {
        'x-amz-content-sha256': payloadHash,
        ...(body ? { 'content-type': 'application/gzip', 'content-length': String(body.length) } : {}),
      },
      ...(body ? { body } : {}),
    },
    { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
  )
  const res = await request(`${url.protocol}//${url.host}${path}`, {
    method,
    headers: signed.headers as Record<string, string>,
    ...(body ? { body } : {}),
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  })
  const text = await res.body.text()
  if (res.statusCode >= 300 && !(method === 'DELETE' && res.statusCode === 404)) {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? String(res.statusCode)
    throw new UserError('PROVIDER_ERROR', `S3 ${method} ${t.bucket}/${key} failed: ${code}`, {
      details: { provider: 's3', status: res.statusCode, providerCode: code },
    })
  }
}

export function s3Put(t: S3Target, key: string, body: Buffer): Promise<void> {
  return send(t, 'PUT', key, body)
}

export function s3Delete(t: S3Target, key: string): Promise<void> {
  return send(t, 'DELETE', key)
}
