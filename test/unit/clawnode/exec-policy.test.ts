import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ExecEntrySchema } from '../../../clawnode/config.js'
import { checkExec } from '../../../clawnode/exec-policy.js'

const allow = [
  ExecEntrySchema.parse({ name: 'df', path: '/usr/bin/df', maxArgs: 4 }),
  ExecEntrySchema.parse({ name: 'uptime', path: '/usr/bin/uptime', maxArgs: 0 }),
  ExecEntrySchema.parse({ name: 'ls', path: '/usr/bin/ls', argPattern: '[A-Za-z0-9._/-]+', maxArgs: 3 }),
  ExecEntrySchema.parse({ name: 'systemctl', path: '/usr/bin/systemctl', args: [['status', 'openclaw']] }),
]

const SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:=@+,-'.split('')
const safeWord = fc
  .tuple(
    fc.constantFrom(...SAFE.filter((c) => /[A-Za-z0-9]/.test(c))),
    fc.array(fc.constantFrom(...SAFE), { maxLength: 20 }),
  )
  .map(([first, rest]) => first + rest.join(''))
  // A double dot is refused anywhere (see hasPathTrick), so it is not a "safe" word.
  .filter((w) => !w.includes('..'))
const safeArg = fc.tuple(fc.constantFrom('', '-', '--'), safeWord).map(([dash, w]) => dash + w)

const METACHARS = [
  ';',
  '&',
  '|',
  '`',
  '$',
  '<',
  '>',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '*',
  '?',
  '!',
  '~',
  "'",
  '"',
  '\\',
  '#',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
]
const HOSTILE_TOKENS = [
  ...METACHARS,
  '$(id)',
  '`id`',
  '; rm -rf /',
  '&& curl evil',
  '| sh',
  '../',
  '/..',
  '..',
  '%2e%2e',
  '%2F',
  '//',
  '\u202e',
  '\uff1b', // fullwidth semicolon
  'é',
  '\x1b[2J',
  '\x7f',
]

/** A safe word with a hostile token spliced in at a random position. */
const hostileArg = fc.tuple(safeWord, fc.constantFrom(...HOSTILE_TOKENS), fc.nat()).map(([w, bad, at]) => {
  const i = at % (w.length + 1)
  return w.slice(0, i) + bad + w.slice(i)
})

describe('exec.run allowlist (checkExec)', () => {
  it('accepts plain words and flags for an allowlisted name, and runs the configured path', () => {
    fc.assert(
      fc.property(fc.array(safeArg, { maxLength: 4 }), (args) => {
        const d = checkExec(['df', ...args], allow)
        expect(d).toMatchObject({ ok: true, path: '/usr/bin/df', args })
      }),
    )
  })

  it('refuses any argument carrying a metacharacter, control, non-ASCII or path trick', () => {
    fc.assert(
      fc.property(fc.array(safeArg, { maxLength: 2 }), hostileArg, fc.nat(), (prefix, bad, pos) => {
        const args = [...prefix]
        args.splice(pos % (args.length + 1), 0, bad)
        for (const name of ['df', 'ls']) expect(checkExec([name, ...args], allow).ok).toBe(false)
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses names that are not on the allowlist, including paths and look-alikes', () => {
    const names = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '/usr/bin/df',
        './df',
        'df ',
        ' df',
        'DF',
        'df;',
        'sh',
        'bash',
        '/bin/sh',
        'env',
        'df\0',
        '../df',
      ),
    )
    fc.assert(
      fc.property(names, fc.array(safeArg, { maxLength: 2 }), (name, args) => {
        fc.pre(!['df', 'uptime', 'ls', 'systemctl'].includes(name))
        expect(checkExec([name, ...args], allow).ok).toBe(false)
      }),
    )
  })

  it('refuses anything that is not a non-empty array of strings', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        fc.pre(!(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')))
        expect(checkExec(v, allow).ok).toBe(false)
      }),
    )
    expect(checkExec(['df', 1], allow).ok).toBe(false)
    expect(checkExec(['df', ['-h']], allow).ok).toBe(false)
  })

  it('lets the pattern allow paths but still refuses traversal and encoded separators', () => {
    expect(checkExec(['ls', '/var/log'], allow).ok).toBe(true)
    for (const bad of [
      '/var/../etc',
      '../etc',
      '/var/log/..',
      '..',
      '/var//log',
      '%2e%2e/etc',
      '/etc/%2Fshadow',
    ]) {
      expect(checkExec(['ls', bad], allow)).toMatchObject({ ok: false })
    }
    // The default pattern has no slash at all.
    expect(checkExec(['df', '/'], allow).ok).toBe(false)
  })

  it('enforces argument counts, lengths and exact forms', () => {
    expect(checkExec(['uptime'], allow).ok).toBe(true)
    expect(checkExec(['uptime', '-p'], allow).ok).toBe(false)
    expect(checkExec(['df', 'a', 'b', 'c', 'd', 'e'], allow).ok).toBe(false)
    expect(checkExec(['df', 'a'.repeat(257)], allow).ok).toBe(false)
    expect(checkExec(['df', ''], allow).ok).toBe(false)
    expect(checkExec(['systemctl', 'status', 'openclaw'], allow).ok).toBe(true)
    expect(checkExec(['systemctl', 'stop', 'openclaw'], allow).ok).toBe(false)
    expect(checkExec(['systemctl', 'status', 'openclaw', '--now'], allow).ok).toBe(false)
  })

  it('never returns a path that did not come from the allowlist', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), (argv) => {
        const d = checkExec(argv, allow)
        if (d.ok) expect(allow.map((e) => e.path)).toContain(d.path)
      }),
      { numRuns: 2_000 },
    )
  })

  it('rejects allowlist entries that would make the gate itself unsafe', () => {
    expect(() => ExecEntrySchema.parse({ name: 'df', path: 'df' })).toThrow()
    expect(() => ExecEntrySchema.parse({ name: 'df', path: '/usr/bin/../bin/sh' })).toThrow()
    expect(() => ExecEntrySchema.parse({ name: '/bin/df', path: '/bin/df' })).toThrow()
    expect(() => ExecEntrySchema.parse({ name: 'df', path: '/bin/df', argPattern: '(' })).toThrow()
  })
})
