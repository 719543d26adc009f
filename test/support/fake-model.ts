/**
 * A scripted stand-in for an LLM: an OpenAI-compatible chat-completions server on loopback (the
 * gateway's `models.providers.fake`, api `openai-completions`, streamed SSE). Tests register scripts;
 * each model request is matched to one by the conversation it belongs to, and the script decides the
 * next step from what the agent has seen so far: call a tool (exec with a command, sessions_send …)
 * or reply with text built from the tool results. Every request is logged with the agent, the tools
 * it was offered, the tool calls and the results, so tests can check what really ran.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// biome-ignore lint/suspicious/noExplicitAny: OpenAI wire messages, read defensively below
type Wire = any

export interface ToolCall {
  name: string
  args: Record<string, unknown>
}

export interface Turn {
  /** The gateway agent answering (from the prompt's Runtime line). */
  agentId: string | null
  sessionKey: string | null
  /** The latest user message, without the Runtime line the gateway appends. */
  user: string
  /** Every user message of the session, oldest first. */
  users: string[]
  /** Tool calls and results since the latest user message, in order. */
  calls: ToolCall[]
  results: string[]
  /** Every tool result of the session (earlier turns included), oldest first. */
  allResults: string[]
  /** Tool names the gateway offered the model. */
  tools: string[]
  system: string
}

export type Step = { exec: string } | { tool: string; args: Record<string, unknown> } | { reply: string }

export interface Script {
  name: string
  match(t: Turn): boolean
  next(t: Turn): Step
}

export interface LoggedTurn extends Turn {
  script: string | null
  step: Step
}

const text = (c: Wire): string =>
  typeof c === 'string'
    ? c
    : Array.isArray(c)
      ? c.map((p: Wire) => (typeof p === 'string' ? p : (p?.text ?? ''))).join('')
      : ''

// The gateway appends `Runtime: name=… | agent=<id> | session=<key> | …` to the user's message.
const RUNTIME = /Runtime:[^\n]*?\bagent=(\S+) \| session=(\S+)/
// Context the gateway adds as a user message of its own (active subagents and the like).
const INTERNAL = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>'

export function parseTurn(body: Wire): Turn {
  const msgs: Wire[] = Array.isArray(body?.messages) ? body.messages : []
  const system = text(msgs.find((m) => m.role === 'system')?.content)
  const userIdx = msgs
    .map((m, i) => (m.role === 'user' && !text(m.content).startsWith(INTERNAL) ? i : -1))
    .filter((i) => i >= 0)
  const lastUser = userIdx.length ? userIdx[userIdx.length - 1]! : -1
  const runtime = [...msgs]
    .reverse()
    .map((m) => RUNTIME.exec(text(m.content)))
    .find(Boolean)
  // The message as the sender wrote it: no timestamp prefix, no Runtime line.
  const strip = (s: string) =>
    s
      .replace(/\n*Runtime:[^\n]*\bagent=[\s\S]*$/, '')
      .replace(/^\[[^\]\n]{6,40}\] /, '')
      .trim()
  const calls: ToolCall[] = []
  const results: string[] = []
  const allResults: string[] = []
  for (const [i, m] of msgs.entries()) {
    if (m.role === 'tool') {
      allResults.push(text(m.content))
      if (i > lastUser) results.push(text(m.content))
    }
    if (m.role === 'assistant' && i > lastUser) {
      for (const c of m.tool_calls ?? []) {
        let args: Record<string, unknown> = {}
        try {
          args = JSON.parse(c.function?.arguments ?? '{}')
        } catch {
          // keep empty
        }
        calls.push({ name: c.function?.name, args })
      }
    }
  }
  return {
    agentId: runtime?.[1] ?? null,
    sessionKey: runtime?.[2] ?? null,
    user: lastUser >= 0 ? strip(text(msgs[lastUser].content)) : '',
    users: userIdx.map((i) => strip(text(msgs[i].content))),
    calls,
    results,
    allResults,
    tools: (body?.tools ?? []).map((t: Wire) => t?.function?.name).filter(Boolean),
    system,
  }
}

/** The JSON envelope clawops printed, from an exec tool result (which may carry a trailer). */
export function envelope(result: string): Wire {
  const start = result.indexOf('{')
  if (start < 0) return null
  for (let end = result.lastIndexOf('}'); end > start; end = result.lastIndexOf('}', end - 1)) {
    try {
      return JSON.parse(result.slice(start, end + 1))
    } catch {
      // a trailer after the JSON ("(Command exited with code 8)"); try a shorter slice
    }
  }
  return null
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = ''
    req.on('data', (d) => {
      b += d
    })
    req.on('end', () => resolve(b))
  })
}

export class FakeModel {
  readonly log: LoggedTurn[] = []
  private scripts: Script[] = []
  private seq = 0

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeModel> {
    let self: FakeModel | undefined
    const server = createServer(async (req, res) => {
      const raw = await readBody(req)
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }))
        return
      }
      let body: Wire = {}
      try {
        body = JSON.parse(raw || '{}')
      } catch {
        // answered with a reply below
      }
      if (process.env.FAKE_MODEL_DUMP) {
        const { appendFileSync } = await import('node:fs')
        appendFileSync(process.env.FAKE_MODEL_DUMP, `${raw}\n`)
      }
      self!.answer(body, res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    self = new FakeModel(server, (server.address() as AddressInfo).port)
    return self
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`
  }

  /** Adds a script; later scripts win over earlier ones that match the same turn. */
  use(script: Script): () => void {
    this.scripts.unshift(script)
    return () => {
      this.scripts = this.scripts.filter((s) => s !== script)
    }
  }

  /** The turns a script handled (or every turn), for assertions. */
  turns(script?: string): LoggedTurn[] {
    return script ? this.log.filter((t) => t.script === script) : this.log
  }

  /** Every exec command the model asked for, with the agent that asked. */
  execs(): { agentId: string | null; command: string }[] {
    return this.log.flatMap((t) => ('exec' in t.step ? [{ agentId: t.agentId, command: t.step.exec }] : []))
  }

  private answer(body: Wire, res: import('node:http').ServerResponse): void {
    const turn = parseTurn(body)
    const script = this.scripts.find((s) => s.match(turn)) ?? null
    let step: Step
    try {
      step = script
        ? script.next(turn)
        : {
            reply: `UNSCRIPTED agent=${turn.agentId} session=${turn.sessionKey} user=${turn.user.slice(0, 80)}`,
          }
    } catch (err) {
      step = { reply: `SCRIPT_ERROR ${(err as Error).message}` }
    }
    this.log.push({ ...turn, script: script?.name ?? null, step })
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`)
    const id = `chatcmpl-${++this.seq}`
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
    if ('reply' in step) {
      send({
        id,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: step.reply }, finish_reason: null }],
      })
      send({
        id,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
        usage,
      })
    } else {
      const name = 'exec' in step ? 'exec' : step.tool
      const args = 'exec' in step ? { command: step.exec } : step.args
      send({
        id,
        object: 'chat.completion.chunk',
        choices: [
          {
            index: 0,
            delta: {
              role: 'assistant',
              tool_calls: [
                {
                  index: 0,
                  id: `call_${this.seq}`,
                  type: 'function',
                  function: { name, arguments: JSON.stringify(args) },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      })
      send({
        id,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
        usage,
      })
    }
    res.end('data: [DONE]\n\n')
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}

/** The provider section a gateway needs to use this model as `fake/scripted`. */
export function fakeProviderConfig(model: FakeModel) {
  return {
    models: {
      mode: 'merge',
      providers: {
        fake: {
          baseUrl: model.baseUrl,
          apiKey: 'fake-local',
          api: 'openai-completions',
          models: [
            {
              id: 'scripted',
              name: 'Scripted fake',
              reasoning: false,
              input: ['text'],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    // A scripted model must see tool schemas directly, not through tool_search.
    tools: { toolSearch: false },
  }
}
