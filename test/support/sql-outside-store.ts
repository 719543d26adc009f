/**
 * Finds SQL outside src/lib/store: the rule "SQL lives in the store" checked on the syntax tree
 * (TypeScript's parser), so a file name like 'fleet.db', a RegExp's .exec or a method called
 * prepare are not mistaken for database access, while SQL in any string or template literal is.
 * SQL in this code base is written in upper case; the patterns rely on that, which keeps English
 * prose ("select a region from the list") out of the findings.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

export interface Finding {
  file: string
  line: number
  reason: string
}

/** Where code lives; test/ may read the store directly to check what it holds. */
export const CODE_DIRS = ['src', 'bench', 'bin', 'clawnode', 'scripts']
/** The one place SQL and the database handle belong. */
export const STORE_DIR = 'src/lib/store/'

const SQL =
  /\bSELECT\b[\s\S]+?\bFROM\b|\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\b(?:CREATE|ALTER|DROP)\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\s+\w+|\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b|\bSAVEPOINT\s+\w+/
const DATABASE_MODULES = [
  /^node:sqlite$/,
  /^sqlite3?$/,
  /^better-sqlite3$/,
  /(?:^|\/)store\/statement-cache(?:\.js)?$/,
]
const EXTENSIONS = /\.(?:ts|mts|cts|js|mjs|cjs)$/

function scriptKind(path: string): ts.ScriptKind {
  return /\.[mc]?ts$/.test(path) ? ts.ScriptKind.TS : ts.ScriptKind.JS
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+\./g, '.').replace(/\s+/g, ' ').trim()
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat
}

/**
 * Text without any of these cannot hold a finding (every finding needs one in its source text), so
 * it is not parsed: most files are skipped this way.
 */
const CANDIDATE =
  /\bdb\b|sqlite|statement-cache|SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|SAVEPOINT/

/** The findings of one source text; `file` is only used to label them. */
export function scanSource(file: string, text: string): Finding[] {
  if (!CANDIDATE.test(text)) return []
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file))
  const out: Finding[] = []
  const add = (node: ts.Node, reason: string) =>
    out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, reason })
  const moduleCheck = (node: ts.Node, spec: ts.Expression | undefined) => {
    if (spec && ts.isStringLiteralLike(spec) && DATABASE_MODULES.some((m) => m.test(spec.text)))
      add(node, `imports ${spec.text}`)
  }
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (SQL.test(node.text)) add(node, `SQL in a string: ${oneLine(node.text)}`)
    } else if (ts.isTemplateExpression(node)) {
      // The literal parts with a stand-in for each substitution, so `SELECT ${cols} FROM t` is seen.
      const text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('?')
      if (SQL.test(text)) add(node, `SQL in a template: ${oneLine(text)}`)
      for (const s of node.templateSpans) visit(s.expression)
      return
    } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'db') {
      add(node, `reaches the database handle: ${oneLine(node.getText(sf))}`)
    } else if (
      ts.isElementAccessExpression(node) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === 'db'
    ) {
      add(node, `reaches the database handle: ${oneLine(node.getText(sf))}`)
    } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const key = node.propertyName ?? node.name
      if ((ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === 'db')
        add(node, `destructures the database handle: ${oneLine(node.parent.getText(sf))}`)
    } else if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      moduleCheck(node, node.moduleSpecifier)
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression
      if (
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === 'require')
      )
        moduleCheck(node, node.arguments[0])
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

function* codeFiles(root: string, dir: string): Generator<string> {
  let entries: Dirent[]
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') yield* codeFiles(root, path)
    } else if (e.isFile() && EXTENSIONS.test(e.name)) {
      yield path
    }
  }
}

/** Every finding in the code of the checkout at `root`, outside src/lib/store. */
export function sqlOutsideStore(root: string): { scanned: number; findings: Finding[] } {
  let scanned = 0
  const findings: Finding[] = []
  for (const dir of CODE_DIRS) {
    for (const file of codeFiles(root, dir)) {
      if (file.startsWith(STORE_DIR)) continue
      scanned++
      findings.push(...scanSource(file, readFileSync(join(root, file), 'utf8')))
    }
  }
  return { scanned, findings }
}
