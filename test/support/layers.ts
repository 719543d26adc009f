/**
 * The layers of src/lib as the README's architecture section draws them, and the imports that break
 * them: an import from a lower layer into a higher one, and cycles among value imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/** Higher numbers sit higher: a file may import its own layer and those below. */
const LAYER_OF_FOLDER: Record<string, number> = {
  domain: 0,
  store: 1,
  providers: 1,
  tailscale: 1,
  gateway: 1,
  config: 1,
  policy: 1,
  output: 1,
  engine: 2,
  events: 2,
  cli: 4,
}
const LAYER_OF_FILE: Record<string, number> = { 'context.ts': 2, 'kinds.ts': 4 }
/** Features (every other folder) sit between the engine and the command layer. */
const FEATURE = 3

export function layerOf(rel: string): number {
  const [top, ...rest] = rel.split('/')
  if (rest.length === 0) return LAYER_OF_FILE[top!] ?? 0
  return LAYER_OF_FOLDER[top!] ?? FEATURE
}

export interface Import {
  from: string
  to: string
  typeOnly: boolean
}

export function importsOf(text: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = []
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm))
    out.push({ spec: m[3]!, typeOnly: Boolean(m[2]) })
  for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false })
  return out
}

export function libImports(libRoot: string): Import[] {
  const files: string[] = []
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f)
      if (statSync(p).isDirectory()) walk(p)
      else if (p.endsWith('.ts')) files.push(p)
    }
  }
  walk(libRoot)
  const out: Import[] = []
  for (const f of files) {
    for (const { spec, typeOnly } of importsOf(readFileSync(f, 'utf8'))) {
      const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts')
      if (!target.startsWith(libRoot)) continue
      out.push({ from: relative(libRoot, f), to: relative(libRoot, target), typeOnly })
    }
  }
  return out
}

export function upwardImports(imports: Import[]): string[] {
  return imports
    .filter((i) => layerOf(i.to) > layerOf(i.from))
    .map((i) => `${i.from} (layer ${layerOf(i.from)}) imports ${i.to} (layer ${layerOf(i.to)})`)
}

/** Cycles among imports that load code (a type-only import is erased and loads nothing). */
export function valueCycles(imports: Import[]): string[][] {
  const edges = new Map<string, string[]>()
  for (const i of imports.filter((x) => !x.typeOnly)) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to])
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (n: string) => {
    state.set(n, 'open')
    stack.push(n)
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m])
      else if (!state.has(m)) visit(m)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of edges.keys()) if (!state.has(n)) visit(n)
  return cycles
}
