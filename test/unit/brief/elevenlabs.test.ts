// ElevenLabs over real HTTP (undici) against a local fake that follows their documented API:
// POST /v1/text-to-speech/{voice_id}?output_format=..., xi-api-key, JSON {text, model_id, voice_settings};
// audio bytes back, or {"detail": {...}} errors.

import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { audioInfo } from '../../../src/lib/brief/audio-info.js'
import { ElevenLabsTts } from '../../../src/lib/brief/tts/elevenlabs.js'
import { UserError } from '../../../src/lib/errors.js'
import { oggOpus } from './ogg-fixture.js'

const KEY = 'sk_test_0123456789abcdef'
const VOICE = 'pMsXgVXv3BLzUgSXRplE'
interface Seen {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: Record<string, unknown>
}
let seen: Seen[] = []
let answers: ((s: Seen) => { status: number; body: Buffer | string; headers?: Record<string, string> })[] = []
let server: Server
let baseUrl: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const s: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
      }
      seen.push(s)
      const answer = answers.shift()?.(s) ?? { status: 500, body: '{"detail":"no answer scripted"}' }
      res.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' })
      res.end(answer.body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  seen = []
  answers = []
})

const tts = () =>
  new ElevenLabsTts({ apiKey: KEY, voiceId: VOICE, modelId: 'eleven_multilingual_v2', baseUrl })
const out = (name: string) => join(mkdtempSync(join(tmpdir(), 'clawops-el-')), name)
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () => ({
    status,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  })

describe('ElevenLabs TTS', () => {
  it('asks for Ogg/Opus with the documented request and writes the audio it gets', async () => {
    answers.push(() => ({ status: 200, body: oggOpus(7.25), headers: { 'content-type': 'audio/ogg' } }))
    const path = out('v.ogg')
    const r = await tts().synthesize('Good morning Omar.', { outPath: path, format: 'ogg' })
    expect(r).toMatchObject({ path, format: 'ogg', engine: 'elevenlabs:eleven_multilingual_v2' })
    const [s] = seen
    expect(s).toMatchObject({ method: 'POST', path: `/v1/text-to-speech/${VOICE}` })
    expect(s!.query.get('output_format')).toBe('opus_48000_64')
    expect(s!.headers['xi-api-key']).toBe(KEY)
    expect(s!.headers['content-type']).toBe('application/json')
    expect(s!.body).toMatchObject({
      text: 'Good morning Omar.',
      model_id: 'eleven_multilingual_v2',
      voice_settings: { stability: 0.5, similarity_boost: 0.75 },
    })
    expect(audioInfo(readFileSync(path)).durationSec).toBeCloseTo(7.25, 3)
  })

  it('asks for PCM for a .wav and wraps it in a WAVE header', async () => {
    answers.push(() => ({
      status: 200,
      body: Buffer.alloc(22_050 * 2 * 2, 1),
      headers: { 'content-type': 'audio/pcm' },
    }))
    const path = out('v.wav')
    await tts().synthesize('Hello.', { outPath: path, format: 'wav' })
    expect(seen[0]!.query.get('output_format')).toBe('pcm_22050')
    expect(audioInfo(readFileSync(path))).toMatchObject({ codec: 'pcm', sampleRate: 22_050, durationSec: 2 })
  })

  it('retries a busy answer and succeeds', async () => {
    answers.push(json(429, { detail: { status: 'system_busy', message: 'busy' } }, { 'retry-after': '0' }))
    answers.push(json(503, { detail: 'down' }, { 'retry-after': '0' }))
    answers.push(() => ({ status: 200, body: oggOpus(1), headers: { 'content-type': 'audio/ogg' } }))
    await tts().synthesize('Hi.', { outPath: out('v.ogg'), format: 'ogg' })
    expect(seen).toHaveLength(3)
  })

  it('maps a refused key to CONFIG_INVALID without repeating the key', async () => {
    answers.push(json(401, { detail: { status: 'invalid_api_key', message: `Invalid API key ${KEY}` } }))
    const err = (await tts()
      .synthesize('Hi.', { outPath: out('v.ogg'), format: 'ogg' })
      .catch((e: unknown) => e)) as UserError
    expect(err).toBeInstanceOf(UserError)
    expect(err.code).toBe('CONFIG_INVALID')
    expect(JSON.stringify(err.toBody())).not.toContain(KEY)
    expect(err.details).toMatchObject({
      provider: 'elevenlabs',
      status: 401,
      providerCode: 'invalid_api_key',
    })
    expect(seen).toHaveLength(1)
  })

  it('does not retry a spent quota or a validation error, and names them', async () => {
    answers.push(
      json(429, { detail: { status: 'quota_exceeded', message: 'This request exceeds your quota.' } }),
    )
    const quota = (await tts()
      .synthesize('Hi.', { outPath: out('v.ogg'), format: 'ogg' })
      .catch((e: unknown) => e)) as UserError
    expect(quota).toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { providerCode: 'quota_exceeded', attempts: 1 },
    })
    expect(quota.hint).toMatch(/--tts local/)
    answers.push(json(422, { detail: [{ loc: ['body', 'text'], msg: 'field required', type: 'missing' }] }))
    const invalid = (await tts()
      .synthesize('Hi.', { outPath: out('v.ogg'), format: 'ogg' })
      .catch((e: unknown) => e)) as UserError
    expect(invalid.message).toMatch(/422: body.text: field required/)
  })

  it('refuses an answer that is not the audio asked for', async () => {
    answers.push(() => ({ status: 200, body: 'ID3 mp3 bytes', headers: { 'content-type': 'audio/mpeg' } }))
    await expect(tts().synthesize('Hi.', { outPath: out('v.ogg'), format: 'ogg' })).rejects.toThrow(
      /not Ogg audio/,
    )
  })
})
