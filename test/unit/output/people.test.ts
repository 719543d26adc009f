/**
 * The pieces of human output: outcomes in words, tables fitted to a terminal, list footers, the plan
 * question, when a spinner may draw, and what Ctrl-C does while an operation runs.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { guardInterrupts } from '../../../src/lib/cli/interrupt.js'
import { nearest } from '../../../src/lib/cli/suggest.js'
import { describe as words } from '../../../src/lib/output/outcome.js'
import { pageFooter, pageSize, takePage } from '../../../src/lib/output/page.js'
import { planQuestion } from '../../../src/lib/output/plan-question.js'
import { canAnimate } from '../../../src/lib/output/progress.js'
import { fitWidths, renderTable, wrap } from '../../../src/lib/output/table.js'

describe('outcomes in words', () => {
  it('reads a provisioned pair as its user and members, where they run and whether they are up', () => {
    const pair = {
      pairId: 'p-1',
      userId: 'u-1',
      members: [
        {
          instanceId: 'i-a',
          role: 'primary',
          provider: 'hetzner',
          region: 'nbg1',
          nodeId: 'f'.repeat(64),
          active: true,
        },
        { instanceId: 'i-b', role: 'standby', provider: 'vultr', region: 'fra', active: false },
      ],
      timings: { totalMs: 4200 },
    }
    const text = words(pair)
    expect(text).toBe(
      'user u-1, primary i-a hetzner/nbg1 up, standby i-b vultr/fra not healthy yet, in 4.2 s',
    )
    expect(text).not.toMatch(/[{}"[\]]/)
  })

  it('reads anything else as phrases: booleans, durations, lists, short hashes', () => {
    expect(words({ healthy: true, ms: 17 })).toBe('healthy, 17 ms')
    expect(words({ skipped: true, restarted: false, waitedMs: 90_000 })).toBe(
      'skipped, not restarted, waited 90.0 s',
    )
    expect(words({ nodeId: 'a'.repeat(64) })).toBe('node id aaaaaaaaaaaa…')
    expect(words({ instanceIds: ['i-1', 'i-2'], archiveFrom: 'i-1' })).toBe(
      'instance ids i-1, i-2, archive from i-1',
    )
    expect(
      words({
        userId: 'u',
        tier: 'pro',
        changes: [
          {
            instanceId: 'i-1',
            fromTier: 'nano',
            strategy: 'replace',
            provider: 'vultr',
            region: 'fra',
            newInstanceId: 'i-2',
          },
        ],
      }),
    ).toBe('user u, i-1 nano → pro on vultr/fra (replace, new i-2)')
    expect(words(null)).toBe('')
    expect(words(Array.from({ length: 8 }, (_, i) => `i-${i}`))).toMatch(/… \(8 in all\)$/)
  })
})

describe('tables on a terminal', () => {
  const cols = [
    { header: 'Id', get: (r: { id: string; text: string }) => r.id },
    { header: 'Text', get: (r: { id: string; text: string }) => r.text },
  ]
  const rows = [
    { id: 'i-0123456789', text: 'a long sentence that does not fit the terminal it is shown on at all' },
  ]

  it('wrap text columns to the width and never cut an id', () => {
    const out = renderTable(cols, rows, { tty: true, columns: 40 })
    for (const line of out.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(40)
    expect(out).toContain('i-0123456789')
    expect(out).toMatch(/^ID\s+TEXT/)
    expect(out).not.toMatch(/[┌│─]/)
  })

  it('give way only down to the longest word', () => {
    expect(fitWidths([10, 50], [10, 8], 30)).toEqual([10, 18])
    expect(fitWidths([10, 20], [10, 8], 80)).toBeUndefined()
    expect(fitWidths([30, 30], [30, 30], 40)).toEqual([30, 30])
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four'])
  })
})

describe('list pages', () => {
  it('take --all, --limit or the default, and say what is left out', () => {
    expect(pageSize({ all: true }, 50)).toBeUndefined()
    expect(pageSize({ limit: 3 }, 50)).toBe(3)
    expect(pageSize({}, 50)).toBe(50)
    expect(takePage([1, 2, 3], 2)).toEqual({ rows: [1, 2], total: 3, truncated: true })
    expect(pageFooter(50, 3403, 'instances')).toBe('showing 50 of 3,403 instances (use --limit N or --all)')
    expect(pageFooter(3, 3, 'instances')).toBe('')
  })
})

describe('the plan question', () => {
  it('says what will happen: counts, users, the monthly cost, the rules that ask', () => {
    const q = planQuestion(
      {
        summary: 'provision 11 nano pairs',
        targets: Array(11).fill('p'),
        steps: Array(12).fill({}),
        affectedUsers: 11,
        costDeltaMonthlyUsdCents: 17_820,
      },
      [{ message: 'the plan affects 11 users (more than 10)' }],
    )
    expect(q).toBe(
      'Plan: provision 11 nano pairs\n  11 targets · 12 steps · 11 users affected · +$178.20/month\n  ! the plan affects 11 users (more than 10)\nProceed?',
    )
  })
})

describe('a spinner', () => {
  it('draws only on a terminal with a size that can move the cursor', () => {
    expect(canAnimate({ isTTY: true, columns: 80 }, {})).toBe(true)
    expect(canAnimate({ isTTY: true, columns: 0 }, {})).toBe(false)
    expect(canAnimate({ isTTY: true, columns: undefined as unknown as number }, {})).toBe(false)
    expect(canAnimate({ isTTY: false, columns: 80 }, {})).toBe(false)
    expect(canAnimate({ isTTY: true, columns: 80 }, { TERM: 'dumb' })).toBe(false)
  })
})

describe('did you mean', () => {
  it('suggests a near word and nothing for a far one', () => {
    expect(nearest('fleet staus', ['fleet status', 'instance list'])).toBe('fleet status')
    expect(nearest('stat', ['state', 'provider'])).toBe('state')
    expect(nearest('NANO', ['nano', 'pro'])).toBe('nano')
    expect(nearest('xyzzy', ['fleet status', 'instance list'])).toBeUndefined()
  })
})

describe('Ctrl-C during an operation', () => {
  function press(times: number, executorListening: boolean, json = false) {
    const out: string[] = []
    const exits: number[] = []
    const signals = new EventEmitter()
    const guard = guardInterrupts({ json, signals, write: (t) => out.push(t), exit: (c) => exits.push(c) })
    // The executor's own listener, as it installs it for the operation it runs.
    if (executorListening) signals.once('SIGINT', () => {})
    for (let i = 0; i < times; i++) signals.emit('SIGINT')
    guard.dispose()
    expect(signals.listenerCount('SIGINT')).toBe(0)
    return { out: out.join(''), exits }
  }

  it('first explains (the executor stops the operation), a second stops at once with INTERRUPTED', () => {
    const once = press(1, true)
    expect(once.exits).toEqual([])
    expect(once.out).toMatch(/no new step starts.*Press Ctrl-C again/s)
    const twice = press(2, true)
    expect(twice.exits).toEqual([130])
    expect(twice.out).toMatch(/INTERRUPTED.*stopped at once/s)
    expect(twice.out).toMatch(/clawops ops resume/)
  })

  it('stops at once when nothing else handles it (no operation running yet)', () => {
    expect(press(1, false).exits).toEqual([130])
  })
})
