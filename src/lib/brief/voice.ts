/**
 * The voice note of a briefing: the spoken rendering through the configured TTS provider (local
 * espeak-ng by default, ElevenLabs with a key), written to the --voice path and checked to be valid
 * audio of a plausible length before anyone sends it.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { audioInfo, InvalidAudioError } from './audio-info.js'
import { brieferSettings } from './settings.js'
import { ElevenLabsTts } from './tts/elevenlabs.js'
import { LocalTts } from './tts/local.js'
import { type TtsProvider, voiceFormatOf } from './tts/provider.js'

export interface VoiceNote {
  path: string
  format: 'ogg' | 'wav'
  codec: 'pcm' | 'opus' | 'vorbis'
  engine: string
  provider: 'local' | 'elevenlabs'
  durationSec: number
  sampleRate: number
  bytes: number
}

export function ttsProvider(ctx: Context, override?: 'local' | 'elevenlabs'): TtsProvider {
  const s = brieferSettings(ctx.config()).voice
  const which = override ?? s.provider
  if (which === 'local') return new LocalTts(s.local)
  const key = ctx.env[s.elevenlabs.apiKeyEnv]
  if (!key) {
    throw new UserError('CONFIG_INVALID', `no ElevenLabs API key: ${s.elevenlabs.apiKeyEnv} is not set`, {
      hint: `Export ${s.elevenlabs.apiKeyEnv}, or use the offline engine with --tts local.`,
      details: { reason: 'TTS_KEY_MISSING', env: s.elevenlabs.apiKeyEnv },
    })
  }
  return new ElevenLabsTts({
    apiKey: key,
    voiceId: s.elevenlabs.voiceId,
    modelId: s.elevenlabs.modelId,
    baseUrl: s.elevenlabs.baseUrl,
  })
}

export async function makeVoiceNote(
  ctx: Context,
  spoken: string,
  outPath: string,
  o: { provider?: 'local' | 'elevenlabs'; tts?: TtsProvider } = {},
): Promise<VoiceNote> {
  const path = resolve(outPath)
  const format = voiceFormatOf(path)
  mkdirSync(dirname(path), { recursive: true })
  const tts = o.tts ?? ttsProvider(ctx, o.provider)
  const r = await tts.synthesize(spoken, { outPath: path, format })
  for (const n of r.notes) ctx.warn(n)
  let info: ReturnType<typeof audioInfo>
  try {
    info = audioInfo(readFileSync(path))
  } catch (err) {
    if (err instanceof InvalidAudioError) {
      throw new UserError('INTERNAL', `the voice note ${path} is not valid audio: ${err.message}`, {
        details: { engine: r.engine },
      })
    }
    throw err
  }
  if (info.container !== format) {
    throw new UserError('INTERNAL', `asked for ${format}, ${r.engine} wrote ${info.container}`)
  }
  if (info.durationSec < 0.5) {
    throw new UserError(
      'INTERNAL',
      `the voice note ${path} is ${info.durationSec.toFixed(2)} s long: no speech`,
      {
        details: { engine: r.engine },
      },
    )
  }
  return {
    path,
    format,
    codec: info.codec,
    engine: r.engine,
    provider: tts.name,
    durationSec: Math.round(info.durationSec * 100) / 100,
    sampleRate: info.sampleRate,
    bytes: info.bytes,
  }
}
