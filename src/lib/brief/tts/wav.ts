/** A RIFF/WAVE header around raw 16-bit little-endian PCM (what ElevenLabs' pcm_* formats return). */
export function pcmToWav(pcm: Buffer, o: { sampleRate: number; channels?: number }): Buffer {
  const channels = o.channels ?? 1
  const bits = 16
  const blockAlign = (channels * bits) / 8
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'ascii')
  header.writeUInt32LE(36 + pcm.length, 4)
  header.write('WAVE', 8, 'ascii')
  header.write('fmt ', 12, 'ascii')
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20)
  header.writeUInt16LE(channels, 22)
  header.writeUInt32LE(o.sampleRate, 24)
  header.writeUInt32LE(o.sampleRate * blockAlign, 28)
  header.writeUInt16LE(blockAlign, 32)
  header.writeUInt16LE(bits, 34)
  header.write('data', 36, 'ascii')
  header.writeUInt32LE(pcm.length, 40)
  return Buffer.concat([header, pcm])
}
