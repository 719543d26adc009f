/**
 * Text to speech behind one small interface, so a briefing's voice note comes from ElevenLabs when an
 * operator has a key and from the local engine (espeak-ng and sox) offline. A provider writes the
 * requested format to `outPath`; the caller checks the file with audioInfo before using it.
 */
import { extname } from 'node:path'
import { UserError } from '../../errors.js'

export type VoiceFormat = 'ogg' | 'wav'

export interface SynthesisResult {
  path: string
  format: VoiceFormat
  /** The engine that made it ("espeak-ng", "elevenlabs:eleven_multilingual_v2"). */
  engine: string
  /** Notes for the operator (a fallback taken), surfaced as warnings. */
  notes: string[]
}

export interface TtsProvider {
  readonly name: 'local' | 'elevenlabs'
  synthesize(
    text: string,
    o: { outPath: string; format: VoiceFormat; signal?: AbortSignal },
  ): Promise<SynthesisResult>
}

/** The format a --voice path asks for, from its extension. */
export function voiceFormatOf(path: string): VoiceFormat {
  const ext = extname(path).toLowerCase()
  if (ext === '.ogg' || ext === '.opus' || ext === '.oga') return 'ogg'
  if (ext === '.wav') return 'wav'
  throw new UserError('INVALID_INPUT', `--voice ${path}: the file must end in .ogg or .wav`, {
    hint: '.ogg gives an Ogg/Opus voice note (WhatsApp and Telegram play it as a voice message); .wav gives PCM.',
  })
}
