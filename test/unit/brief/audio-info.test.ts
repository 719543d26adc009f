import { describe, expect, it } from 'vitest'
import { audioInfo, InvalidAudioError } from '../../../src/lib/brief/audio-info.js'
import { pcmToWav } from '../../../src/lib/brief/tts/wav.js'
import { oggOpus, oggVorbis } from './ogg-fixture.js'

describe('audioInfo', () => {
  it('reads a PCM WAVE file and its duration from the data size', () => {
    const wav = pcmToWav(Buffer.alloc(22_050 * 2 * 3), { sampleRate: 22_050 })
    expect(audioInfo(wav)).toEqual({
      container: 'wav',
      codec: 'pcm',
      sampleRate: 22_050,
      channels: 1,
      durationSec: 3,
      bytes: wav.length,
    })
  })

  it('reads Ogg Opus: 48 kHz granules minus the pre-skip', () => {
    const info = audioInfo(oggOpus(12.5))
    expect(info).toMatchObject({ container: 'ogg', codec: 'opus', channels: 1 })
    expect(info.durationSec).toBeCloseTo(12.5, 3)
  })

  it('reads Ogg Vorbis at its own rate', () => {
    expect(audioInfo(oggVorbis(4, 16_000))).toMatchObject({
      codec: 'vorbis',
      sampleRate: 16_000,
      durationSec: 4,
    })
  })

  it('refuses a damaged page, a truncated stream and something else', () => {
    const bad = oggOpus(2)
    bad[bad.length - 10]! ^= 0xff
    expect(() => audioInfo(bad)).toThrow(/bad CRC/)
    expect(() => audioInfo(oggOpus(2).subarray(0, 70))).toThrow(InvalidAudioError)
    expect(() => audioInfo(Buffer.from('ID3\u0004 not audio we read'))).toThrow(/neither/)
    const wav = pcmToWav(Buffer.alloc(100), { sampleRate: 8_000 })
    wav.writeUInt32LE(12_345, 28)
    expect(() => audioInfo(wav)).toThrow(/inconsistent/)
  })
})
