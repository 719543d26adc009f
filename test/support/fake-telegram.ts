/**
 * A local Telegram Bot API for the gateway's Telegram channel (`channels.telegram.apiRoot`): enough of
 * the documented API for the channel to start (getMe, deleteWebhook, commands, long polling that
 * never has updates) and for outbound sends (sendMessage, sendVoice, sendAudio, sendDocument), which
 * it records, multipart files included, so tests see exactly what a real bot would have sent.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TelegramSend {
  method: string
  chatId: string
  text: string | null
  caption: string | null
  /** The uploaded file of a media send. */
  file: { field: string; filename: string | null; contentType: string | null; bytes: Buffer } | null
}

export interface FakeTelegram {
  url: string
  token: string
  sends: TelegramSend[]
  close(): Promise<void>
}

interface Part {
  name: string
  filename: string | null
  contentType: string | null
  body: Buffer
}

function multipart(body: Buffer, boundary: string): Part[] {
  const parts: Part[] = []
  const delim = Buffer.from(`--${boundary}`)
  let pos = body.indexOf(delim)
  while (pos !== -1) {
    const start = pos + delim.length
    if (body.subarray(start, start + 2).toString() === '--') break
    const next = body.indexOf(delim, start)
    if (next === -1) break
    const chunk = body.subarray(start + 2, next - 2) // skip CRLF after the boundary and before the next
    const sep = chunk.indexOf('\r\n\r\n')
    const head = chunk.subarray(0, sep).toString()
    const name = /name="([^"]*)"/i.exec(head)?.[1] ?? ''
    parts.push({
      name,
      filename: /filename="([^"]*)"/i.exec(head)?.[1] ?? null,
      contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? null,
      body: chunk.subarray(sep + 4),
    })
    pos = next
  }
  return parts
}

export async function startFakeTelegram(): Promise<FakeTelegram> {
  const token = '123456:clawops-test-token'
  const sends: TelegramSend[] = []
  let messageId = 100
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const method = /^\/bot[^/]+\/(\w+)/.exec(req.url ?? '')?.[1] ?? ''
      const ok = (result: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ ok: true, result }))
      }
      if (method === 'getUpdates') return void setTimeout(() => ok([]), 500)
      if (method === 'getMe') {
        return ok({
          id: 4242,
          is_bot: true,
          first_name: 'clawops test',
          username: 'clawops_test_bot',
          can_join_groups: false,
        })
      }
      if (!/^send(Message|Voice|Audio|Document)$/.test(method)) return ok(true)
      const type = req.headers['content-type'] ?? ''
      let fields: Record<string, string> = {}
      let file: TelegramSend['file'] = null
      if (type.startsWith('multipart/form-data')) {
        const boundary = /boundary=(.+)$/.exec(type)?.[1] ?? ''
        for (const p of multipart(body, boundary)) {
          if (
            p.filename !== null ||
            p.contentType?.startsWith('audio/') ||
            p.contentType === 'application/octet-stream'
          ) {
            file = { field: p.name, filename: p.filename, contentType: p.contentType, bytes: p.body }
          } else fields[p.name] = p.body.toString()
        }
      } else fields = JSON.parse(body.toString() || '{}')
      const chatId = String(fields.chat_id ?? '')
      sends.push({ method, chatId, text: fields.text ?? null, caption: fields.caption ?? null, file })
      ok({
        message_id: ++messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: Number(chatId), type: 'private' },
      })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    sends,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
