// The offline engine for real: espeak-ng, sox and opusenc on this machine (CI installs them: .ci/run).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { audioInfo } from '../../../src/lib/brief/audio-info.js'
import { LocalTts } from '../../../src/lib/brief/tts/local.js'
import { UserError } from '../../../src/lib/errors.js'
import { voiceToolsPresent } from '../../support/voice-tools.js'

const TEXT =
  'Good morning Omar. Fleet status: 847 active pairs across 3 providers. 2 degraded, auto-healing in progress. ' +
  'Cost this week: 1,247 dollars, 4.8 percent above the projected 1,190 dollars. No SLA breaches.'
const WORDS = TEXT.split(/\s+/).length
const WPM = 165
// At 165 words a minute this text takes about WORDS / 165 minutes; espeak-ng reads numbers as several
// words, so allow from 0.7x to 2.5x of that, plus the half second of padding.
const expected = (WORDS / WPM) * 60
const tts = new LocalTts({ voice: 'en-us', wordsPerMinute: WPM })
const dir = () => mkdtempSync(join(tmpdir(), 'clawops-tts-test-'))

describe('the local TTS engine (espeak-ng + sox)', () => {
  it.runIf(voiceToolsPresent)('writes a valid WAV of the expected length that soxi agrees with', async () => {
    const out = join(dir(), 'brief.wav')
    const r = await tts.synthesize(TEXT, { outPath: out, format: 'wav' })
    expect(r).toMatchObject({ path: out, format: 'wav', engine: 'espeak-ng+sox', notes: [] })
    const info = audioInfo(readFileSync(out))
    expect(info).toMatchObject({ container: 'wav', codec: 'pcm', channels: 1, sampleRate: 22_050 })
    expect(info.durationSec).toBeGreaterThan(expected * 0.7)
    expect(info.durationSec).toBeLessThan(expected * 2.5 + 0.5)
    const soxi = spawnSync('soxi', ['-D', out], { encoding: 'utf8' })
    expect(soxi.status, soxi.stderr).toBe(0)
    expect(Number(soxi.stdout)).toBeCloseTo(info.durationSec, 2)
  })

  it.runIf(voiceToolsPresent)('writes an Ogg/Opus voice note of the same length', async () => {
    const d = dir()
    const out = join(d, 'brief.ogg')
    const r = await tts.synthesize(TEXT, { outPath: out, format: 'ogg' })
    expect(r.engine).toBe('espeak-ng+sox+opusenc')
    const info = audioInfo(readFileSync(out))
    expect(info).toMatchObject({ container: 'ogg', codec: 'opus', channels: 1 })
    expect(info.durationSec).toBeGreaterThan(expected * 0.7)
    expect(info.durationSec).toBeLessThan(expected * 2.5 + 0.5)
    // Only the finished file is left behind.
    expect(readdirSync(d)).toEqual(['brief.ogg'])
  })

  it.runIf(voiceToolsPresent)(
    'falls back to Ogg Vorbis through sox without opusenc, and says so',
    async () => {
      const out = join(dir(), 'brief.ogg')
      const r = await new LocalTts({
        voice: 'en-us',
        wordsPerMinute: WPM,
        bins: { opusenc: '/nonexistent/opusenc' },
      }).synthesize('Short test.', { outPath: out, format: 'ogg' })
      expect(r.notes[0]).toMatch(/Ogg Vorbis/)
      expect(audioInfo(readFileSync(out)).codec).toBe('vorbis')
    },
  )

  it('says what to install when espeak-ng is missing, and leaves no file', async () => {
    const out = join(dir(), 'brief.wav')
    const err = await new LocalTts({
      voice: 'en-us',
      wordsPerMinute: WPM,
      bins: { espeak: '/nonexistent/espeak-ng' },
    })
      .synthesize(TEXT, { outPath: out, format: 'wav' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', details: { reason: 'TTS_ENGINE_MISSING' } })
    expect((err as UserError).hint).toMatch(/apt-get install -y espeak-ng sox/)
    expect(existsSync(out)).toBe(false)
  })
})
