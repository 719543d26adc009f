/**
 * Reads what an audio file is and how long it plays, from its bytes: RIFF/WAVE (PCM) and Ogg (Opus or
 * Vorbis, every page's CRC checked). A voice note is only reported, attached or sent once this says
 * it is valid audio; `soxi` cannot read Ogg Opus, so clawops does not depend on it.
 */

export interface AudioInfo {
  container: 'wav' | 'ogg'
  codec: 'pcm' | 'opus' | 'vorbis'
  sampleRate: number
  channels: number
  durationSec: number
  bytes: number
}

export class InvalidAudioError extends Error {
  override name = 'InvalidAudioError'
}

function wavInfo(buf: Buffer): AudioInfo {
  if (buf.length < 44 || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new InvalidAudioError('not a WAVE file')
  let off = 12
  let fmt: { format: number; channels: number; rate: number; byteRate: number; bits: number } | null = null
  let dataBytes: number | null = null
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4)
    const size = buf.readUInt32LE(off + 4)
    const body = off + 8
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new InvalidAudioError('truncated fmt chunk')
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        bits: buf.readUInt16LE(body + 14),
      }
    } else if (id === 'data') {
      // Streams written to a pipe leave the size at its maximum: the data runs to the end of the file.
      dataBytes = Math.min(size, buf.length - body)
      break
    }
    off = body + size + (size % 2)
  }
  if (!fmt) throw new InvalidAudioError('no fmt chunk')
  if (dataBytes === null) throw new InvalidAudioError('no data chunk')
  // 1: PCM; 0xFFFE: WAVE_FORMAT_EXTENSIBLE (sox writes it for some layouts).
  if (fmt.format !== 1 && fmt.format !== 0xfffe)
    throw new InvalidAudioError(`unsupported WAVE format ${fmt.format}`)
  if (fmt.channels < 1 || fmt.rate < 1000 || fmt.byteRate !== (fmt.rate * fmt.channels * fmt.bits) / 8) {
    throw new InvalidAudioError('inconsistent fmt chunk')
  }
  return {
    container: 'wav',
    codec: 'pcm',
    sampleRate: fmt.rate,
    channels: fmt.channels,
    durationSec: dataBytes / fmt.byteRate,
    bytes: buf.length,
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let r = i << 24
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1
    t[i] = r >>> 0
  }
  return t
})()

/** The Ogg page checksum: CRC-32 with polynomial 0x04c11db7, no reflection, computed with the field zeroed. */
export function oggCrc(page: Uint8Array): number {
  let crc = 0
  for (let i = 0; i < page.length; i++) {
    const b = i >= 22 && i < 26 ? 0 : page[i]!
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0
  }
  return crc
}

function oggInfo(buf: Buffer): AudioInfo {
  let off = 0
  let first: Buffer | null = null
  let serial: number | null = null
  let lastGranule = -1n
  let pages = 0
  while (off < buf.length) {
    if (off + 27 > buf.length || buf.toString('ascii', off, off + 4) !== 'OggS') {
      throw new InvalidAudioError(`no Ogg page at byte ${off}`)
    }
    const nseg = buf[off + 26]!
    const table = buf.subarray(off + 27, off + 27 + nseg)
    const bodyLen = table.reduce((s, x) => s + x, 0)
    const end = off + 27 + nseg + bodyLen
    if (end > buf.length) throw new InvalidAudioError(`truncated Ogg page at byte ${off}`)
    const page = buf.subarray(off, end)
    if (oggCrc(page) !== page.readUInt32LE(22))
      throw new InvalidAudioError(`bad CRC in the Ogg page at byte ${off}`)
    const pageSerial = page.readUInt32LE(14)
    serial ??= pageSerial
    if (pageSerial === serial) {
      if (pages === 0) first = page.subarray(27 + nseg)
      const granule = page.readBigInt64LE(6)
      if (granule >= 0n) lastGranule = granule
      pages++
    }
    off = end
  }
  if (!first) throw new InvalidAudioError('empty Ogg stream')
  if (first.toString('ascii', 0, 8) === 'OpusHead') {
    const channels = first[9]!
    const preSkip = first.readUInt16LE(10)
    const inputRate = first.readUInt32LE(12)
    if (lastGranule < 0n) throw new InvalidAudioError('Ogg Opus stream without a granule position')
    return {
      container: 'ogg',
      codec: 'opus',
      // Opus always decodes at 48 kHz; the header's rate is the original input's.
      sampleRate: inputRate || 48_000,
      channels,
      durationSec: Math.max(0, Number(lastGranule) - preSkip) / 48_000,
      bytes: buf.length,
    }
  }
  if (first[0] === 1 && first.toString('ascii', 1, 7) === 'vorbis') {
    const channels = first[11]!
    const rate = first.readUInt32LE(12)
    if (lastGranule < 0n || rate === 0)
      throw new InvalidAudioError('Ogg Vorbis stream without a granule position')
    return {
      container: 'ogg',
      codec: 'vorbis',
      sampleRate: rate,
      channels,
      durationSec: Number(lastGranule) / rate,
      bytes: buf.length,
    }
  }
  throw new InvalidAudioError('the Ogg stream is neither Opus nor Vorbis')
}

export function audioInfo(buf: Buffer): AudioInfo {
  if (buf.length >= 4 && buf.toString('ascii', 0, 4) === 'RIFF') return wavInfo(buf)
  if (buf.length >= 4 && buf.toString('ascii', 0, 4) === 'OggS') return oggInfo(buf)
  throw new InvalidAudioError('neither a WAVE nor an Ogg file')
}
