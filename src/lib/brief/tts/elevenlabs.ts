/**
 * ElevenLabs text to speech over its HTTP API (undici):
 * `POST {baseUrl}/v1/text-to-speech/{voice_id}?output_format=...` with the key in `xi-api-key` and a
 * JSON body `{text, model_id, voice_settings}`; the answer is the audio itself. An .ogg voice note asks
 * for `opus_48000_64` (Ogg/Opus, what OpenClaw's own ElevenLabs voice notes use); a .wav asks for
 * `pcm_22050` (raw 16-bit little-endian mono) and gets a WAVE header here, since PCM works on every
 * plan. Errors come as `{"detail": {"status", "message"}}` (or a validation list for 422): a refused key
 * is CONFIG_INVALID, everything else PROVIDER_ERROR with ElevenLabs' status in details. Busy answers
 * (429 system_busy / too_many_concurrent_requests, 5xx) are retried with backoff; a spent quota is not.
 * The key never appears in a message, a log line or the result.
 */
import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Dispatcher, request } from 'undici'
import { UserError } from '../../errors.js'
import type { SynthesisResult, TtsProvider, VoiceFormat } from './provider.js'
import { pcmToWav } from './wav.js'

export interface ElevenLabsOptions {
  apiKey: string
  voiceId: string
  modelId: string
  baseUrl: string
  timeoutMs?: number
  maxAttempts?: number
  dispatcher?: Dispatcher
}

const OUTPUT: Record<VoiceFormat, string> = { ogg: 'opus_48000_64', wav: 'pcm_22050' }
const PCM_RATE = 22_050
const MAX_AUDIO_BYTES = 50 * 1024 * 1024
const RETRYABLE_STATUS = new Set(['system_busy', 'too_many_concurrent_requests', 'rate_limit_exceeded'])

interface ErrorDetail {
  status: string | null
  message: string
}

function readDetail(text: string): ErrorDetail {
  try {
    const body = JSON.parse(text) as { detail?: unknown }
    const d = body.detail
    if (typeof d === 'string') return { status: null, message: d }
    if (Array.isArray(d)) {
      const first = d[0] as { loc?: unknown[]; msg?: string } | undefined
      return {
        status: 'validation_error',
        message: first ? `${(first.loc ?? []).join('.')}: ${first.msg ?? ''}` : 'invalid request',
      }
    }
    if (d && typeof d === 'object') {
      const o = d as { status?: unknown; message?: unknown }
      return {
        status: typeof o.status === 'string' ? o.status : null,
        message: typeof o.message === 'string' ? o.message : JSON.stringify(d).slice(0, 300),
      }
    }
  } catch {
    // not JSON
  }
  return { status: null, message: text.slice(0, 300) || 'no body' }
}

export class ElevenLabsTts implements TtsProvider {
  readonly name = 'elevenlabs' as const
  constructor(private readonly o: ElevenLabsOptions) {}

  private async once(
    text: string,
    format: VoiceFormat,
    signal: AbortSignal | undefined,
  ): Promise<
    | { ok: true; audio: Buffer }
    | { ok: false; status: number; detail: ErrorDetail; retryAfterMs: number | null }
  > {
    const url = new URL(
      `${this.o.baseUrl.replace(/\/+$/, '')}/v1/text-to-speech/${encodeURIComponent(this.o.voiceId)}`,
    )
    url.searchParams.set('output_format', OUTPUT[format])
    const timeout = this.o.timeoutMs ?? 60_000
    const res = await request(url, {
      method: 'POST',
      headers: { 'xi-api-key': this.o.apiKey, 'content-type': 'application/json', accept: '*/*' },
      body: JSON.stringify({
        text,
        model_id: this.o.modelId,
        voice_settings: {
          stability: 0.5,
          similarity_boost: 0.75,
          style: 0,
          use_speaker_boost: true,
          speed: 1,
        },
      }),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(signal ? { signal } : {}),
      ...(this.o.dispatcher ? { dispatcher: this.o.dispatcher } : {}),
    })
    if (res.statusCode !== 200) {
      const body = await res.body.text()
      const ra = Number(res.headers['retry-after'])
      return {
        ok: false,
        status: res.statusCode,
        detail: readDetail(body),
        retryAfterMs: Number.isFinite(ra) && ra >= 0 ? Math.min(ra * 1000, 30_000) : null,
      }
    }
    const chunks: Buffer[] = []
    let n = 0
    for await (const c of res.body) {
      n += (c as Buffer).length
      if (n > MAX_AUDIO_BYTES) {
        res.body.destroy()
        throw new UserError('PROVIDER_ERROR', `ElevenLabs sent more than ${MAX_AUDIO_BYTES} bytes of audio`, {
          details: { provider: 'elevenlabs' },
        })
      }
      chunks.push(c as Buffer)
    }
    return { ok: true, audio: Buffer.concat(chunks) }
  }

  async synthesize(
    text: string,
    req: { outPath: string; format: VoiceFormat; signal?: AbortSignal },
  ): Promise<SynthesisResult> {
    const maxAttempts = this.o.maxAttempts ?? 3
    for (let attempt = 1; ; attempt++) {
      let r: Awaited<ReturnType<ElevenLabsTts['once']>>
      try {
        r = await this.once(text, req.format, req.signal)
      } catch (err) {
        if (err instanceof UserError) throw err
        if (attempt < maxAttempts && !req.signal?.aborted) {
          await sleep(500 * 2 ** (attempt - 1))
          continue
        }
        throw new UserError('PROVIDER_ERROR', `ElevenLabs could not be reached: ${(err as Error).message}`, {
          hint: 'Check the network, or use the offline engine (--tts local).',
          details: { provider: 'elevenlabs', attempts: attempt },
        })
      }
      if (r.ok) {
        const audio = r.audio
        if (req.format === 'ogg' && audio.toString('ascii', 0, 4) !== 'OggS') {
          throw new UserError('PROVIDER_ERROR', 'ElevenLabs answered with something that is not Ogg audio', {
            details: { provider: 'elevenlabs', bytes: audio.length },
          })
        }
        if (req.format === 'wav' && (audio.length === 0 || audio.length % 2 !== 0)) {
          throw new UserError('PROVIDER_ERROR', 'ElevenLabs answered with PCM of an odd length', {
            details: { provider: 'elevenlabs', bytes: audio.length },
          })
        }
        writeFileSync(req.outPath, req.format === 'wav' ? pcmToWav(audio, { sampleRate: PCM_RATE }) : audio)
        return { path: req.outPath, format: req.format, engine: `elevenlabs:${this.o.modelId}`, notes: [] }
      }
      const retryable = r.status >= 500 || (r.status === 429 && RETRYABLE_STATUS.has(r.detail.status ?? ''))
      if (retryable && attempt < maxAttempts) {
        await sleep(r.retryAfterMs ?? 500 * 2 ** (attempt - 1))
        continue
      }
      const details = {
        provider: 'elevenlabs',
        status: r.status,
        providerCode: r.detail.status,
        attempts: attempt,
      }
      // ElevenLabs does not echo keys, but a proxy in between might: never let one reach a message.
      const message = r.detail.message.split(this.o.apiKey).join('[redacted]')
      if (r.status === 401 || r.status === 403) {
        throw new UserError('CONFIG_INVALID', `ElevenLabs refused the API key: ${message}`, {
          hint: 'Set a valid key in the variable named by briefer.voice.elevenlabs.apiKeyEnv (ELEVENLABS_API_KEY).',
          details,
        })
      }
      throw new UserError('PROVIDER_ERROR', `ElevenLabs answered ${r.status}: ${message}`, {
        hint:
          r.detail.status === 'quota_exceeded'
            ? 'The ElevenLabs quota is spent; use --tts local until it renews.'
            : 'Use the offline engine (--tts local) meanwhile.',
        details,
      })
    }
  }
}
