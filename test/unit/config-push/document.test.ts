import { describe, expect, it } from 'vitest'
import {
  applyDocument,
  DocumentMismatch,
  describeDocument,
  formatDocChange,
  parseDocument,
} from '../../../src/lib/config-push/document.js'
import { UserError } from '../../../src/lib/errors.js'
import { REDACTED } from '../../../src/lib/gateway/config-diff.js'

const current = {
  gateway: { mode: 'local', auth: { mode: 'token', token: REDACTED } },
  agents: { defaults: { model: { primary: 'openai/gpt-5.2', fallbacks: ['anthropic/claude-sonnet-4-6'] } } },
}

const kimi = {
  agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5', fallbacks: ['openai/gpt-5.2'] } } },
}

function refused(format: string, body: unknown): UserError {
  try {
    parseDocument(format, body)
  } catch (err) {
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('INVALID_INPUT')
    return err as UserError
  }
  throw new Error(`${JSON.stringify(body)} was accepted`)
}

describe('config documents', () => {
  it('applies a merge document (RFC 7386): replaces leaves and arrays, null removes, the rest stays', () => {
    const doc = parseDocument('merge', { ...kimi, gateway: { mode: null } })
    const next = applyDocument(doc, current)
    expect(next).toEqual({
      gateway: { auth: { mode: 'token', token: REDACTED } },
      agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5', fallbacks: ['openai/gpt-5.2'] } } },
    })
    expect(current.gateway.mode).toBe('local')
  })

  it('applies a JSON patch (RFC 6902), and a patch that does not fit is a mismatch, not a crash', () => {
    const doc = parseDocument('patch', [
      { op: 'test', path: '/agents/defaults/model/primary', value: 'openai/gpt-5.2' },
      { op: 'replace', path: '/agents/defaults/model/primary', value: 'moonshot/kimi-k2.5' },
      { op: 'add', path: '/agents/defaults/model/fallbacks/0', value: 'openai/gpt-5.2' },
    ])
    expect(applyDocument(doc, current).agents).toEqual({
      defaults: {
        model: {
          primary: 'moonshot/kimi-k2.5',
          fallbacks: ['openai/gpt-5.2', 'anthropic/claude-sonnet-4-6'],
        },
      },
    })
    const other = { ...current, agents: { defaults: { model: { primary: 'x/y' } } } }
    expect(() => applyDocument(doc, other)).toThrow(DocumentMismatch)
    expect(() => applyDocument(parseDocument('patch', [{ op: 'remove', path: '/nope/x' }]), current)).toThrow(
      /patch operation 0 does not apply/,
    )
  })

  it('a full config replaces the file; a redacted placeholder keeps the instance value', () => {
    const full = { gateway: { mode: 'local', auth: { mode: 'token', token: REDACTED } }, agents: {} }
    expect(applyDocument(parseDocument('full', full), current)).toEqual(full)
  })

  it('refuses documents that carry a secret, wherever it sits, and says how to do it instead', () => {
    const e = refused('merge', { gateway: { auth: { token: 'hunter2-real-token' } } })
    expect(e.message).toContain('gateway.auth.token')
    expect(e.message).not.toContain('hunter2')
    expect(e.hint).toContain('[redacted]')
    refused('merge', { models: { providers: { moonshot: { apiKey: 'sk-123' } } } })
    refused('merge', { env: { vars: { MOONSHOT_API_KEY: 'sk-123' } } })
    refused('full', { hooks: { token: 'abc' } })
    refused('patch', [{ op: 'add', path: '/models/providers/moonshot/apiKey', value: 'sk-123' }])
    refused('patch', [{ op: 'add', path: '/models/providers/moonshot', value: { apiKey: 'sk-123' } }])
    // Allowed: the placeholder, an env reference resolved on the host, an empty value, OpenClaw's placeholder.
    expect(() => parseDocument('merge', { gateway: { auth: { token: REDACTED } } })).not.toThrow()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an OpenClaw env reference, not a template
    const envRef = '${MOONSHOT_API_KEY}'
    expect(() =>
      parseDocument('merge', { models: { providers: { moonshot: { apiKey: envRef } } } }),
    ).not.toThrow()
    const oc = parseDocument('merge', { hooks: { token: '__OPENCLAW_REDACTED__' } })
    expect(oc.body).toEqual({ hooks: { token: REDACTED } })
  })

  it('refuses malformed documents and prototype keys', () => {
    refused('merge', [])
    refused('merge', {})
    refused('merge', 'x')
    refused('patch', {})
    refused('patch', [])
    refused('patch', [{ op: 'frobnicate', path: '/a' }])
    refused('patch', [{ op: 'add', path: 'no-slash', value: 1 }])
    refused('patch', [{ op: 'add', path: '/__proto__/polluted', value: 1 }])
    refused('merge', JSON.parse('{"__proto__": {"polluted": 1}}'))
    refused('xml', {})
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('describes the change once, from the document, values redacted', () => {
    const merge = describeDocument(parseDocument('merge', { ...kimi, hooks: { token: REDACTED }, old: null }))
    expect(merge.map(formatDocChange)).toEqual([
      'agents.defaults.model.primary = "moonshot/kimi-k2.5"',
      'agents.defaults.model.fallbacks = ["openai/gpt-5.2"]',
      `hooks.token = "${REDACTED}"`,
      'remove old',
    ])
    const patch = describeDocument(
      parseDocument('patch', [
        { op: 'replace', path: '/agents/defaults/model/primary', value: 'moonshot/kimi-k2.5' },
        { op: 'move', from: '/a/b', path: '/a/c' },
      ]),
    )
    expect(patch.map(formatDocChange)).toEqual([
      'agents.defaults.model.primary = "moonshot/kimi-k2.5"',
      'move a.b → a.c',
    ])
    expect(describeDocument(parseDocument('full', { b: 1, a: {} }))[0]!.value).toBe(
      'the whole config (top-level keys: a, b)',
    )
  })
})
