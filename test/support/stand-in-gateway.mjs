#!/usr/bin/env node
// A stand-in for a user's OpenClaw gateway, for tests and the lab: a real process with the real
// probe endpoints (/healthz, /readyz) that gf-clawnode's process manager starts, stops and restarts.
// It reads the config file at OPENCLAW_CONFIG_PATH on start and exits 1 when that file is not JSON
// or sets {"standIn":{"crashOnStart":true}}, so a bad config push shows up as a gateway that does
// not come back, as it would with the real thing.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const port = Number(process.argv[process.argv.indexOf('--port') + 1])
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: stand-in-gateway.mjs --port <port>\n')
  process.exit(2)
}
const configPath = process.env.OPENCLAW_CONFIG_PATH
if (configPath) {
  let config
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'))
  } catch (err) {
    process.stderr.write(`stand-in: cannot load ${configPath}: ${err.message}\n`)
    process.exit(1)
  }
  if (config?.standIn?.crashOnStart) {
    process.stderr.write('stand-in: config says crashOnStart\n')
    process.exit(1)
  }
}
const startedAt = Date.now()
const server = createServer((req, res) => {
  process.stdout.write(`${new Date().toISOString()} ${req.method} ${req.url}\n`)
  const body = (code, obj) => {
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(obj))
  }
  if (req.url === '/healthz') return body(200, { ok: true, status: 'live', pid: process.pid, startedAt })
  if (req.url === '/readyz') return body(200, { ready: true, failing: [], pid: process.pid })
  return body(404, { error: 'not found' })
})
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`stand-in gateway listening on ${port} pid ${process.pid}\n`),
)
process.on('SIGTERM', () => server.close(() => process.exit(0)))
