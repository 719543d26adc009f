/**
 * Output mode from argv and environment, decided before oclif parses flags so that even a flag-parse
 * error or an unknown command is answered in the mode the caller asked for.
 */
/** How a command writes its result: JSON, a table, or a wide table. */
export type OutputFormat = 'json' | 'table' | 'wide'

export function requestedFormat(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): OutputFormat | undefined {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '--json') return 'json'
    if (a === '-o' || a === '--output') {
      const v = args[i + 1]
      if (v === 'json' || v === 'table' || v === 'wide') return v
    }
    const m = /^(?:-o=?|--output=)(json|table|wide)$/.exec(a)
    if (m) return m[1] as OutputFormat
  }
  if (env.CLAWOPS_CONTENT_TYPE?.toLowerCase() === 'json') return 'json'
  return undefined
}

export function jsonRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return requestedFormat(argv, env) === 'json'
}
