import { describe, expect, it } from 'vitest'
import { requestedFormat } from '../../../src/lib/output/mode.js'
import { formatUsd } from '../../../src/lib/output/money.js'
import { renderTable } from '../../../src/lib/output/table.js'

describe('output mode', () => {
  it.each([
    [['fleet', 'status', '--json'], 'json'],
    [['-o', 'json'], 'json'],
    [['-ojson'], 'json'],
    [['--output=wide'], 'wide'],
    [['--output', 'table'], 'table'],
    [['instance', 'exec', 'i-1', '--', '--json'], undefined],
    [[], undefined],
  ])('%j → %s', (argv, want) => {
    expect(requestedFormat(argv as string[], {})).toBe(want)
  })

  it('honours CLAWOPS_CONTENT_TYPE=json', () => {
    expect(requestedFormat([], { CLAWOPS_CONTENT_TYPE: 'JSON' })).toBe('json')
  })
})

describe('tables and money', () => {
  it('writes TSV without borders when stdout is not a terminal, and hides wide columns', () => {
    const out = renderTable(
      [
        { header: 'Id', get: (r: { id: string; x: number }) => r.id },
        { header: 'X', get: (r) => r.x, wide: true },
      ],
      [{ id: 'a\tb', x: 1 }],
      { tty: false },
    )
    expect(out).toBe('ID\na b\n')
  })

  it('formats cents exactly', () => {
    expect(formatUsd(124_700)).toBe('$1,247.00')
    expect(formatUsd(-5)).toBe('-$0.05')
  })
})
