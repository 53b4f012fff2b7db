// Finds where each block and attribute of an HCL file was written. hcl2-parser gives
// JSON without positions, so this small scanner walks the text once and records the
// position of every block header (`container "lb" {`, `route {`), attribute name
// (`subnet =`), list item and object key, under the path rules of source.ts.
//
// It is not a parser: it runs only on text hcl2-parser has already accepted, so it
// can be lenient. What it must get right is what it skips: quoted strings with `${}`
// interpolations (which may nest strings), heredocs, and the three comment forms.
import {type LineCol, LineMap, type Path, type PathSeg, pathKey} from './source.js'

type TokKind = 'ident' | 'string' | 'number' | 'heredoc' | 'nl' | 'punct' | 'eof'

interface Tok {
  kind: TokKind
  /** Identifier name, unquoted string text (labels only need simple strings), or the punctuation. */
  text: string
  offset: number
}

const IDENT_START = /[A-Za-z_]/
const IDENT_PART = /[A-Za-z0-9_-]/
const MULTI_OPS = ['==', '!=', '<=', '>=', '=>', '&&', '||', '...', '::']

class Lexer {
  private i = 0
  private peeked: Tok | undefined

  constructor(private readonly src: string) {}

  peek(): Tok {
    this.peeked ??= this.read()
    return this.peeked
  }

  next(): Tok {
    const t = this.peek()
    this.peeked = undefined
    return t
  }

  private read(): Tok {
    const s = this.src
    for (;;) {
      const c = s[this.i]
      if (c === undefined) return {kind: 'eof', text: '', offset: this.i}
      if (c === ' ' || c === '\t' || c === '\r' || c === '\ufeff') {
        this.i++
        continue
      }
      if (c === '#' || (c === '/' && s[this.i + 1] === '/')) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++
        continue
      }
      if (c === '/' && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2)
        this.i = end < 0 ? s.length : end + 2
        continue
      }
      const start = this.i
      if (c === '\n') {
        this.i++
        return {kind: 'nl', text: '\n', offset: start}
      }
      if (c === '"') {
        this.i = skipQuoted(s, start)
        return {kind: 'string', text: unquote(s.slice(start, this.i)), offset: start}
      }
      if (c === '<' && s[this.i + 1] === '<') {
        const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(s.slice(this.i, this.i + 200))
        if (m) {
          this.i = skipHeredoc(s, this.i + m[0].length, m[1]!)
          return {kind: 'heredoc', text: '', offset: start}
        }
      }
      if (IDENT_START.test(c)) {
        while (this.i < s.length && IDENT_PART.test(s[this.i]!)) this.i++
        return {kind: 'ident', text: s.slice(start, this.i), offset: start}
      }
      if (c >= '0' && c <= '9') {
        while (this.i < s.length && /[0-9.eE]/.test(s[this.i]!)) {
          // An exponent sign belongs to the number: 1e-3.
          if ((s[this.i] === 'e' || s[this.i] === 'E') && (s[this.i + 1] === '-' || s[this.i + 1] === '+')) this.i++
          this.i++
        }
        return {kind: 'number', text: s.slice(start, this.i), offset: start}
      }
      const op = MULTI_OPS.find((o) => s.startsWith(o, start))
      this.i += op ? op.length : 1
      return {kind: 'punct', text: op ?? c, offset: start}
    }
  }
}

/** Index just after the closing quote of the string starting at `start` (or at the end of its line if unclosed). */
function skipQuoted(s: string, start: number): number {
  let i = start + 1
  while (i < s.length) {
    const c = s[i]
    if (c === '\\') i += 2
    else if (c === '"') return i + 1
    else if (c === '\n') return i
    else if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{')
      i += 3 // $${ and %%{ are literal
    else if ((c === '$' || c === '%') && s[i + 1] === '{') i = skipTemplateExpr(s, i + 2)
    else i++
  }
  return i
}

/** Index just after the `}` that closes an interpolation whose body starts at `i`. */
function skipTemplateExpr(s: string, i: number): number {
  let depth = 1
  while (i < s.length) {
    const c = s[i]
    if (c === '"') {
      i = skipQuoted(s, i)
      continue
    }
    if (c === '{') depth++
    else if (c === '}' && --depth === 0) return i + 1
    i++
  }
  return i
}

/** Index of the newline (or end) after the heredoc's closing marker line. */
function skipHeredoc(s: string, bodyStart: number, marker: string): number {
  let i = bodyStart
  while (i < s.length) {
    const nl = s.indexOf('\n', i)
    const end = nl < 0 ? s.length : nl
    if (s.slice(i, end).trim() === marker) return end
    i = end + 1
  }
  return s.length
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw.endsWith('"') && raw.length > 1 ? raw : `${raw}"`) as string
  } catch {
    return raw.slice(1, raw.endsWith('"') ? -1 : undefined)
  }
}

class Scanner {
  readonly found = new Map<string, number>()

  constructor(private readonly lx: Lexer) {}

  private record(path: Path, offset: number): void {
    const key = pathKey(path)
    if (!this.found.has(key)) this.found.set(key, offset)
  }

  /** A block body (or the whole file): attributes and nested blocks until `}` or the end. */
  body(prefix: Path, nested: boolean): void {
    const seen = new Map<string, number>() // occurrences per block type (unlabeled) or type+labels
    for (;;) {
      const t = this.lx.next()
      if (t.kind === 'eof') return
      if (t.kind === 'nl') continue
      if (t.kind === 'punct' && t.text === '}') {
        if (nested) return
        continue
      }
      if (t.kind !== 'ident') continue
      const after = this.lx.peek()
      if (after.kind === 'punct' && after.text === '=') {
        this.lx.next()
        const path = [...prefix, t.text]
        this.record(path, t.offset)
        this.expr(path, 'attr')
        continue
      }
      const labels: string[] = []
      while (this.lx.peek().kind === 'string' || this.lx.peek().kind === 'ident') labels.push(this.lx.next().text)
      const open = this.lx.next()
      if (open.kind !== 'punct' || open.text !== '{') continue
      const sig = JSON.stringify([t.text, ...labels])
      const n = seen.get(sig) ?? 0
      seen.set(sig, n + 1)
      const path: Path = labels.length === 0 ? [...prefix, t.text, n] : blockPath(prefix, t.text, labels, n)
      // The type and each label prefix too (`rule`, `rule.a` for `rule "a" "b"`), so a
      // message about a block with the wrong number of labels can point at it.
      for (let i = prefix.length + 1; i < path.length; i++) this.record(path.slice(0, i), t.offset)
      this.record(path, t.offset)
      this.body(path, true)
    }
  }

  /**
   * Skips one expression, recording list items and object keys. `ctx` says what ends it:
   * a newline ends an attribute or object item; inside a list, newlines do not matter.
   */
  private expr(path: Path, ctx: 'attr' | 'list' | 'object'): void {
    for (;;) {
      const t = this.lx.peek()
      if (t.kind === 'eof') return
      if (t.kind === 'nl') {
        if (ctx !== 'list') return
        this.lx.next()
        continue
      }
      if (t.kind === 'punct') {
        if (t.text === ',' && ctx !== 'attr') return
        if (t.text === '}' || t.text === ']' || t.text === ')') return
        this.lx.next()
        if (t.text === '[') this.list(path)
        else if (t.text === '{') this.object(path)
        else if (t.text === '(') this.group(path)
        continue
      }
      this.lx.next()
    }
  }

  private list(path: Path): void {
    let index = 0
    for (;;) {
      this.skipNewlines()
      const t = this.lx.peek()
      if (t.kind === 'eof') return
      if (t.kind === 'punct' && t.text === ']') {
        this.lx.next()
        return
      }
      if (t.kind === 'punct' && t.text === ',') {
        this.lx.next()
        index++
        continue
      }
      if (t.kind === 'punct' && (t.text === '}' || t.text === ')')) {
        this.lx.next() // unbalanced: leave the list, hcl2-parser accepted the file anyway
        return
      }
      const item = [...path, index]
      this.record(item, t.offset)
      this.expr(item, 'list')
    }
  }

  private object(path: Path): void {
    for (;;) {
      this.skipNewlines()
      const t = this.lx.next()
      if (t.kind === 'eof' || (t.kind === 'punct' && (t.text === '}' || t.text === ']' || t.text === ')'))) return
      if (t.kind === 'punct' && t.text === ',') continue
      let item: Path = path
      if (t.kind === 'ident' || t.kind === 'string' || t.kind === 'number') {
        item = [...path, t.text]
        this.record(item, t.offset)
      } else if (t.kind === 'punct' && t.text === '(') {
        this.group(path)
      }
      const sep = this.lx.peek()
      if (sep.kind === 'punct' && (sep.text === '=' || sep.text === ':')) this.lx.next()
      this.expr(item, 'object')
    }
  }

  private group(path: Path): void {
    this.expr(path, 'list')
    const t = this.lx.peek()
    if (t.kind === 'punct' && t.text === ')') this.lx.next()
  }

  private skipNewlines(): void {
    while (this.lx.peek().kind === 'nl') this.lx.next()
  }
}

/** `type "a"` → type.a; a second `type "a"` → type.a[1]; extra labels (invalid for dockwall) nest: type.a.b. */
function blockPath(prefix: Path, type: string, labels: string[], occurrence: number): Path {
  const segs: PathSeg[] = [...prefix, type, ...labels]
  return occurrence === 0 ? segs : [...segs, occurrence]
}

/** Positions of every block, attribute, list item and object key of an HCL text, by path key. */
export function scanHcl(src: string): Map<string, LineCol> {
  const scanner = new Scanner(new Lexer(src))
  scanner.body([], false)
  const lines = new LineMap(src)
  const out = new Map<string, LineCol>()
  for (const [k, off] of scanner.found) out.set(k, lines.at(off))
  return out
}
