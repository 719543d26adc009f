/**
 * The agent team on a real OpenClaw gateway, for the conversation and adversarial tests:
 * - a gateway whose own PATH holds `clawops` (so the skills are eligible), either the lab's (`clawops
 *   lab up`: provider APIs and gf-clawnodes) or a bare one for a seeded store;
 * - the scripted fake model as provider `fake/scripted`;
 * - `clawops agents install` run for real (the agents use fake/scripted);
 * - `talk()`: one agent turn through the gateway's `agent` and `agent.wait` RPCs, as an operator's
 *   message would start it, returning the visible reply;
 * - an approval client standing in for the operator's approval surface (the Control UI, or `/approve`
 *   in the operator's chat): a backend operator connection advertising `exec-approvals`, so the
 *   gateway delivers exec approval requests to it; a test decides each one.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { GatewayClient, OPERATOR_SCOPES } from '../../../src/lib/gateway/client.js'
import { BIN, clawops } from '../../support/cli.js'
import { FakeModel, fakeProviderConfig } from '../../support/fake-model.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON from the gateway and clawops, checked by the assertions
export type Json = any

export interface ApprovalRequest {
  id: string
  command: string
  agentId: string | null
  sessionKey: string | null
  decision: 'allow-once' | 'deny'
}

/** Decides each exec approval the gateway asks for; every request is recorded. */
export class Approver {
  readonly requests: ApprovalRequest[] = []
  decide: (command: string, agentId: string | null) => 'allow-once' | 'deny' = () => 'deny'

  private constructor(readonly client: GatewayClient) {}

  static async connect(url: string, token: string): Promise<Approver> {
    const client = await GatewayClient.connect({
      url,
      auth: { kind: 'backend', token },
      scopes: [...OPERATOR_SCOPES, 'operator.approvals'],
      caps: ['exec-approvals'],
    })
    const a = new Approver(client)
    client.on('exec.approval.requested', (payload) => {
      const p = payload as { id: string; request: { command: string; agentId?: string; sessionKey?: string } }
      const decision = a.decide(p.request.command, p.request.agentId ?? null)
      a.requests.push({
        id: p.id,
        command: p.request.command,
        agentId: p.request.agentId ?? null,
        sessionKey: p.request.sessionKey ?? null,
        decision,
      })
      void client.request('exec.approval.resolve', { id: p.id, decision }).catch(() => undefined)
    })
    return a
  }
}

export interface Team {
  home: string
  env: Record<string, string>
  model: FakeModel
  admin: GatewayClient
  approver: Approver
  /** `clawops … --json` as the operator in a terminal: the parsed envelope. */
  cli(...args: string[]): Json
  talk(
    agentId: string,
    sessionKey: string,
    message: string,
    timeoutMs?: number,
  ): Promise<{ reply: string; runId: string; status: string }>
  history(sessionKey: string): Promise<Json[]>
  close(): Promise<void>
}

let seq = 0

/** A directory holding only `clawops`, for the gateway's PATH (skills require the binary). */
export function clawopsPathDir(home: string): string {
  const dir = join(home, 'path-bin')
  mkdirSync(dir, { recursive: true })
  try {
    symlinkSync(BIN, join(dir, 'clawops'))
  } catch {
    // already there
  }
  return dir
}

export function writeConfig(home: string, config: Record<string, unknown>): void {
  writeFileSync(join(home, 'config.json'), JSON.stringify(config, null, 2))
}

/** Connects to the home's gateway, adds the fake model, installs the team. */
export async function installTeam(
  home: string,
  env: Record<string, string>,
  gateway: { url: string; token: string },
): Promise<Team & { install: Json }> {
  const model = await FakeModel.start()
  const admin = await GatewayClient.connect({
    url: gateway.url,
    auth: { kind: 'backend', token: gateway.token },
    scopes: OPERATOR_SCOPES,
    requestTimeoutMs: 300_000,
  })
  const snap = await admin.request<{ hash?: string }>('config.get', {})
  await admin.request('config.patch', {
    raw: JSON.stringify(fakeProviderConfig(model)),
    ...(snap.hash ? { baseHash: snap.hash } : {}),
    note: 'test: scripted fake model',
  })
  const cli = (...args: string[]): Json => {
    const r = clawops([...args, '--json'], env)
    if (r.json === undefined) throw new Error(`clawops ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return r.json
  }
  const install = cli('agents', 'install')
  expect(install.ok, JSON.stringify(install)).toBe(true)
  const approver = await Approver.connect(gateway.url, gateway.token)
  const talk = async (agentId: string, sessionKey: string, message: string, timeoutMs = 240_000) => {
    const idempotencyKey = `t-${Date.now()}-${++seq}`
    const started = await admin.request<{ runId: string }>('agent', {
      agentId,
      sessionKey,
      message,
      idempotencyKey,
    })
    const done = await admin.request<{ status: string; terminalReply?: { text?: string } }>(
      'agent.wait',
      { runId: started.runId, timeoutMs },
      { timeoutMs: timeoutMs + 10_000 },
    )
    return { reply: done.terminalReply?.text ?? '', runId: started.runId, status: done.status }
  }
  // chat.history trims long text for display (8,000 characters by default); the tests read whole
  // tool results, such as a fleet status envelope.
  const history = async (sessionKey: string) =>
    (await admin.request<{ messages: Json[] }>('chat.history', { sessionKey, maxChars: 500_000 })).messages
  return {
    home,
    env,
    model,
    admin,
    approver,
    cli,
    talk,
    history,
    install,
    async close() {
      await approver.client.close()
      await admin.close()
      await model.close()
    },
  }
}

/** The gateway of a lab home (`clawops lab up` wrote where and with which token). */
export function labGateway(home: string): { url: string; token: string; httpUrl: string; control: string } {
  const state = JSON.parse(readFileSync(join(home, 'lab', 'lab.json'), 'utf8'))
  return {
    url: state.gateway.url,
    httpUrl: state.gateway.httpUrl,
    token: readFileSync(join(home, 'lab', 'secrets', 'gateway.token'), 'utf8').trim(),
    control: state.cloud.endpoints.control,
  }
}

/** Text of every exec tool result in a transcript, with the command that produced it. */
export function execResults(messages: Json[]): { command: string; result: string }[] {
  const calls = new Map<string, string>()
  const out: { command: string; result: string }[] = []
  for (const m of messages) {
    if (m.role === 'assistant' && Array.isArray(m.content)) {
      for (const c of m.content)
        if (c.type === 'toolCall' && c.name === 'exec') calls.set(c.id, c.arguments?.command)
    }
    if (m.role === 'toolResult' && m.toolName === 'exec') {
      const result = (m.content ?? []).map((c: Json) => c.text ?? '').join('')
      out.push({ command: calls.get(m.toolCallId) ?? '', result })
    }
  }
  return out
}
