/** Builds small, valid Ogg streams (pages with real CRCs) so the parser and fakes have audio to hand out. */
import { oggCrc } from '../../../src/lib/brief/audio-info.js'

function page(o: { serial: number; seq: number; granule: bigint; flags: number; body: Buffer }): Buffer {
  const segs: number[] = []
  let left = o.body.length
  while (left >= 255) {
    segs.push(255)
    left -= 255
  }
  segs.push(left)
  const head = Buffer.alloc(27 + segs.length)
  head.write('OggS', 0, 'ascii')
  head[4] = 0
  head[5] = o.flags
  head.writeBigInt64LE(o.granule, 6)
  head.writeUInt32LE(o.serial, 14)
  head.writeUInt32LE(o.seq, 18)
  head.writeUInt32LE(0, 22)
  head[26] = segs.length
  Buffer.from(segs).copy(head, 27)
  const p = Buffer.concat([head, o.body])
  p.writeUInt32LE(oggCrc(p), 22)
  return p
}

/** An Ogg Opus stream that plays `seconds` (header, tags, one audio page whose granule says how long). */
export function oggOpus(seconds: number, preSkip = 312): Buffer {
  const head = Buffer.alloc(19)
  head.write('OpusHead', 0, 'ascii')
  head[8] = 1
  head[9] = 1
  head.writeUInt16LE(preSkip, 10)
  head.writeUInt32LE(48_000, 12)
  const tags = Buffer.concat([
    Buffer.from('OpusTags', 'ascii'),
    Buffer.from([4, 0, 0, 0]),
    Buffer.from('test'),
    Buffer.alloc(4),
  ])
  const serial = 0x1234
  return Buffer.concat([
    page({ serial, seq: 0, granule: 0n, flags: 2, body: head }),
    page({ serial, seq: 1, granule: 0n, flags: 0, body: tags }),
    page({
      serial,
      seq: 2,
      granule: BigInt(Math.round(seconds * 48_000) + preSkip),
      flags: 4,
      body: Buffer.alloc(300, 7),
    }),
  ])
}

/** An Ogg Vorbis identification header and one page of the given length. */
export function oggVorbis(seconds: number, rate = 22_050): Buffer {
  const id = Buffer.alloc(30)
  id[0] = 1
  id.write('vorbis', 1, 'ascii')
  id.writeUInt32LE(0, 7)
  id[11] = 1
  id.writeUInt32LE(rate, 12)
  const serial = 0x99
  return Buffer.concat([
    page({ serial, seq: 0, granule: 0n, flags: 2, body: id }),
    page({
      serial,
      seq: 1,
      granule: BigInt(Math.round(seconds * rate)),
      flags: 4,
      body: Buffer.alloc(100, 1),
    }),
  ])
}
