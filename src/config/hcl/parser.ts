// dockwall's HCL parser: recursive descent over lexer.ts's tokens, the shape of
// HashiCorp's own hclsyntax parser (same grammar, same newline rules, the same error
// summaries and details, so messages read like Terraform's). It builds the syntax tree of
// ast.ts with the offsets of every node, and recovers after an error: the rest of the
// line is skipped (brackets balanced) and parsing goes on, so one run reports every
// syntax error of a file.
//
// Why not a library (measured on 20,000 rule blocks, see the commit that added this):
// hcl2-parser and @cdktf/hcl2json are Go compiled to JS or WASM (20-30 s, no positions or
// only error positions), tree-sitter's WASM build takes 2 s to parse and 0.8 s more to
// walk, the Lezer grammar 7.8 s.
import type {Attribute, Block, Body, Expr, Label, ObjectItem, Span, SyntaxError, TemplatePart} from './ast.js'
import {Lexer, T, type Tok} from './lexer.js'

/** Deeper nesting than this is an error, not a stack overflow (100,000 `[` in a row must give a message). */
export const MAX_NESTING = 64

export interface ParseResult {
  body: Body
  errors: SyntaxError[]
  /** Comments, for the formatter. */
  comments: Array<{start: number; end: number}>
}

/** Thrown to abandon the current body item after its error was recorded. */
class Recover extends Error {}

/** Thrown when a file has so many errors that it is not HCL at all (a binary file): stop reading it. */
class Stop extends Error {}

/** Errors collected from one file before the parser gives up on it. */
export const MAX_SYNTAX_ERRORS = 10_000

const BINARY_PREC: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
}

const MULTILINE_STRING_DETAIL =
  'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the "heredoc" multi-line template syntax.'

export interface ParseOptions {
  /**
   * Called with each top-level item instead of keeping it in the result's body: the
   * loader converts it and lets it go, so a large file never holds its whole tree
   * (a tree of a million nodes costs more in garbage collection than the parse itself).
   */
  onItem?: (item: Attribute | Block) => void
  /** Parse from this offset (one item of a file, re-read for positions). */
  start?: number
  /** Stop after the first item. */
  single?: boolean
}

export function parseHcl(src: string, opts: ParseOptions = {}): ParseResult {
  const p = new Parser(src, opts)
  const body = p.file()
  return {body, errors: p.errors, comments: p.lx.comments}
}

class Parser {
  readonly lx: Lexer
  readonly errors: SyntaxError[] = []
  private la: Tok | undefined
  /** > 0 inside brackets and parentheses, where newlines are just space. */
  private nlSkip = 0
  private depth = 0
  /** Recover to the end of the line without balancing brackets. */
  private flatRecovery = false

  constructor(
    private readonly src: string,
    private readonly opts: ParseOptions,
  ) {
    this.lx = new Lexer(src)
    if (opts.start !== undefined) this.lx.pos = opts.start
  }

  // ---- tokens ---------------------------------------------------------------------------

  private peek(): Tok {
    for (;;) {
      this.la ??= this.lx.lex()
      if (this.la.t === T.NL && this.nlSkip > 0) {
        this.la = undefined
        continue
      }
      return this.la
    }
  }

  private next(): Tok {
    const t = this.peek()
    this.la = undefined
    return t
  }

  private isPunct(t: Tok, p: string): boolean {
    return t.t === T.Punct && t.text === p
  }

  /** The token after the peeked one, without consuming either. */
  private peek2(): Tok {
    this.peek()
    const save = this.lx.pos
    let t = this.lx.lex()
    while (t.t === T.NL && this.nlSkip > 0) t = this.lx.lex()
    this.lx.pos = save
    return t
  }

  private error(span: Span, summary: string, detail?: string): void {
    this.errors.push({start: span.start, end: span.end, summary, ...(detail ? {detail} : {})})
    if (this.errors.length >= MAX_SYNTAX_ERRORS) {
      this.errors.push({
        start: span.end,
        end: span.end,
        summary: 'Too many errors',
        detail: `dockwall stopped reading this file after ${MAX_SYNTAX_ERRORS} errors; is it an HCL file?`,
      })
      throw new Stop()
    }
  }

  private fail(span: Span, summary: string, detail?: string): never {
    this.error(span, summary, detail)
    throw new Recover()
  }

  /** An invalid token's own message, or the caller's. */
  private unexpected(t: Tok, summary: string, detail: string): never {
    if (t.t === T.Invalid) this.fail(t, 'Invalid character', 'This character is not used within the language.')
    this.fail(t, summary, detail)
  }

  // ---- bodies ---------------------------------------------------------------------------

  file(): Body {
    let body: Body
    try {
      body = this.body(undefined)
    } catch (e) {
      if (!(e instanceof Stop)) throw e
      body = {items: [], start: 0, end: this.src.length}
    }
    if (this.lx.unclosedComment !== undefined)
      this.error(
        {start: this.lx.unclosedComment, end: this.lx.unclosedComment + 2},
        'Unterminated comment',
        'There is no closing marker for this comment before the end of the file.',
      )
    return body
  }

  /** Items until `}` (a block body, `open` being its brace) or the end of the file. */
  private body(open: Tok | undefined): Body {
    const items: Array<Attribute | Block> = []
    const seen = new Map<string, Attribute>()
    const start = open ? open.end : 0
    for (;;) {
      const t = this.peek()
      if (t.t === T.NL) {
        this.next()
        continue
      }
      if (t.t === T.EOF) {
        if (open)
          this.error(
            open,
            'Unclosed configuration block',
            'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
          )
        return {items, start, end: t.start}
      }
      if (this.isPunct(t, '}')) {
        if (open) {
          this.next()
          return {items, start, end: t.start}
        }
        this.next()
        this.error(t, 'Extraneous closing brace', 'This closing brace has no matching opening brace.')
        continue
      }
      try {
        const item = this.item(open !== undefined)
        if (item.kind === 'attribute') {
          const prev = seen.get(item.name)
          if (prev) {
            this.error(
              item.nameSpan,
              'Attribute redefined',
              `The argument "${item.name}" was already set at ${this.where(prev.nameSpan.start)}. Each argument may be set only once.`,
            )
            continue
          }
          seen.set(item.name, item)
        }
        if (open === undefined && this.opts.onItem) this.opts.onItem(item)
        else items.push(item)
        if (open === undefined && this.opts.single) return {items, start, end: item.end}
      } catch (e) {
        if (!(e instanceof Recover)) throw e
        this.recover()
      }
    }
  }

  private where(offset: number): string {
    let line = 1
    let col = 1
    for (let i = 0; i < offset; i++) {
      if (this.src.charCodeAt(i) === 10) {
        line++
        col = 1
      } else col++
    }
    return `line ${line}, column ${col}`
  }

  /** One attribute or block; the caller recovers when it throws. */
  private item(inBlock: boolean): Attribute | Block {
    const name = this.next()
    if (name.t !== T.Ident)
      this.unexpected(
        name,
        'Argument or block definition required',
        'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
      )
    const after = this.peek()
    if (this.isPunct(after, '=')) {
      this.next()
      const expr = this.expression()
      const attr: Attribute = {
        kind: 'attribute',
        name: name.text,
        nameSpan: {start: name.start, end: name.end},
        expr,
        start: name.start,
        end: expr.end,
      }
      this.endOfItem(inBlock, 'Missing newline after argument', 'An argument definition must end with a newline.')
      return attr
    }
    const labels: Label[] = []
    for (;;) {
      const t = this.peek()
      if (t.t === T.OQuote) {
        this.next()
        const tpl = this.quoted(t)
        const lit = literalOf(tpl)
        if (lit === undefined)
          this.fail(tpl, 'Invalid block label', 'A block label must be a literal string, without interpolation.')
        labels.push({value: lit, quoted: true, start: tpl.start, end: tpl.end})
      } else if (t.t === T.Ident) {
        this.next()
        labels.push({value: t.text, quoted: false, start: t.start, end: t.end})
      } else break
    }
    const open = this.next()
    if (!this.isPunct(open, '{')) {
      if (labels.length === 0 && open.t !== T.NL && open.t !== T.EOF && open.t !== T.Invalid)
        this.fail(
          open,
          'Argument or block definition required',
          'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
        )
      this.unexpected(
        open,
        'Invalid block definition',
        'Either a quoted string block label or an opening brace ("{") is expected here.',
      )
    }
    let body: Body
    const first = this.peek()
    if (this.isPunct(first, '}')) {
      this.next()
      body = {items: [], start: open.end, end: first.start}
    } else if (first.t === T.NL || first.t === T.EOF) {
      body = this.body(open)
    } else {
      // A single-line block: `name "x" { attr = value }`.
      const inner = this.item(true)
      const close = this.next()
      if (!this.isPunct(close, '}'))
        this.fail(
          close,
          'Invalid single-argument block definition',
          'A single-line block definition must end with a closing brace immediately after its single argument definition.',
        )
      body = {items: [inner], start: open.end, end: close.start}
    }
    const end = this.lx.pos
    this.endOfItem(inBlock, 'Missing newline after block definition', 'A block definition must end with a newline.')
    return {
      kind: 'block',
      type: name.text,
      typeSpan: {start: name.start, end: name.end},
      labels,
      body,
      start: name.start,
      end,
    }
  }

  /** An item ends at a newline, the end of the file, or (in a block) before its closing brace. */
  private endOfItem(inBlock: boolean, summary: string, detail: string): void {
    const t = this.peek()
    if (t.t === T.NL) {
      this.next()
      return
    }
    if (t.t === T.EOF || (inBlock && this.isPunct(t, '}'))) return
    this.unexpected(t, summary, detail)
  }

  /** Skips to the end of the line, over balanced brackets; stops before a `}` that closes the enclosing block. */
  private recover(): void {
    this.nlSkip = 0
    this.depth = 0
    const flat = this.flatRecovery
    this.flatRecovery = false
    let depth = 0
    for (;;) {
      const t = this.peek()
      if (t.t === T.EOF) return
      if (t.t === T.NL && depth === 0) {
        this.next()
        return
      }
      if (t.t === T.Punct && !flat) {
        if (t.text === '{' || t.text === '[' || t.text === '(') depth++
        else if (t.text === '}' || t.text === ']' || t.text === ')') {
          if (depth === 0 && t.text === '}') return
          if (depth > 0) depth--
        }
      }
      this.next()
      if (t.t === T.OQuote) this.skipQuoted()
      else if (t.t === T.OHeredoc) this.skipHeredoc(t.text)
    }
  }

  // ---- expressions ----------------------------------------------------------------------

  private nest(at: Span): void {
    if (++this.depth > MAX_NESTING) {
      // The brackets themselves are the problem: recovery must not try to balance them.
      this.flatRecovery = true
      this.fail(at, 'Too deeply nested', `dockwall reads at most ${MAX_NESTING} levels of nested brackets and braces.`)
    }
  }

  expression(): Expr {
    const cond = this.binary(1)
    const q = this.peek()
    if (!this.isPunct(q, '?')) return cond
    this.next()
    this.expression()
    const colon = this.next()
    if (!this.isPunct(colon, ':'))
      this.unexpected(
        colon,
        'Missing false expression in conditional',
        'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
      )
    const f = this.expression()
    return {kind: 'other', start: cond.start, end: f.end}
  }

  private binary(minPrec: number): Expr {
    let left = this.unary()
    for (;;) {
      const t = this.peek()
      const prec = t.t === T.Punct ? BINARY_PREC[t.text] : undefined
      if (prec === undefined || prec < minPrec) return left
      this.next()
      const right = this.binary(prec + 1)
      left = {kind: 'other', start: left.start, end: right.end}
    }
  }

  private unary(): Expr {
    const t = this.peek()
    if (this.isPunct(t, '-') || this.isPunct(t, '!')) {
      this.next()
      this.nest(t)
      const operand = this.unary()
      this.depth--
      return {kind: 'unary', op: t.text as '-' | '!', operand, start: t.start, end: operand.end}
    }
    return this.postfix(this.term())
  }

  /** Attribute access, indexes and splats after a term. */
  private postfix(e: Expr): Expr {
    let cur = e
    for (;;) {
      const t = this.peek()
      if (this.isPunct(t, '.')) {
        this.next()
        const n = this.next()
        if (n.t === T.Ident) {
          cur =
            cur.kind === 'traversal'
              ? {kind: 'traversal', names: [...cur.names, n.text], start: cur.start, end: n.end}
              : {kind: 'other', start: cur.start, end: n.end}
          continue
        }
        if (n.t === T.Number || this.isPunct(n, '*')) {
          cur = {kind: 'other', start: cur.start, end: n.end}
          continue
        }
        this.unexpected(n, 'Invalid attribute name', 'An attribute name is required after a dot.')
      }
      if (this.isPunct(t, '[')) {
        this.next()
        this.nlSkip++
        this.nest(t)
        const star = this.peek()
        if (this.isPunct(star, '*')) this.next()
        else this.expression()
        const close = this.next()
        if (!this.isPunct(close, ']'))
          this.unexpected(
            close,
            'Missing close bracket on index',
            'The index operator must end with a closing bracket ("]").',
          )
        this.nlSkip--
        this.depth--
        cur = {kind: 'other', start: cur.start, end: close.end}
        continue
      }
      return cur
    }
  }

  private term(): Expr {
    const t = this.next()
    switch (t.t) {
      case T.Number: {
        const value = Number(t.text)
        if (!Number.isFinite(value))
          this.fail(t, 'Invalid number', `${t.text} is too large for a number (at most about 1.8e308).`)
        return {kind: 'number', value, raw: t.text, start: t.start, end: t.end}
      }
      case T.Ident:
        return this.identTerm(t)
      case T.OQuote:
        return this.quoted(t)
      case T.OHeredoc:
        return this.heredoc(t)
      case T.Punct:
        if (t.text === '[') return this.tuple(t)
        if (t.text === '{') return this.object(t)
        if (t.text === '(') {
          this.nest(t)
          this.nlSkip++
          this.expression()
          const close = this.next()
          if (!this.isPunct(close, ')'))
            this.unexpected(
              close,
              'Unbalanced parentheses',
              'Expected a closing parenthesis to terminate the expression.',
            )
          this.nlSkip--
          this.depth--
          return {kind: 'other', start: t.start, end: close.end}
        }
    }
    this.unexpected(
      t,
      'Invalid expression',
      'Expected the start of an expression, but found an invalid expression token.',
    )
  }

  private identTerm(t: Tok): Expr {
    if (t.text === 'true' || t.text === 'false')
      return {kind: 'bool', value: t.text === 'true', start: t.start, end: t.end}
    if (t.text === 'null') return {kind: 'null', start: t.start, end: t.end}
    let nameEnd = t
    // provider::namespace::function(...)
    while (this.isPunct(this.peek(), '::')) {
      this.next()
      const n = this.next()
      if (n.t !== T.Ident) this.unexpected(n, 'Invalid function name', 'A function name is required after "::".')
      nameEnd = n
    }
    if (this.isPunct(this.peek(), '(')) return this.call(t, this.next())
    if (nameEnd !== t) this.fail(nameEnd, 'Missing function call', 'A namespaced name must be a function call.')
    return {kind: 'traversal', names: [t.text], start: t.start, end: t.end}
  }

  private call(name: Tok, open: Tok): Expr {
    this.nest(open)
    this.nlSkip++
    for (;;) {
      const t = this.peek()
      if (this.isPunct(t, ')')) break
      this.expression()
      const sep = this.peek()
      if (this.isPunct(sep, '...')) this.next()
      const s = this.peek()
      if (this.isPunct(s, ',')) {
        this.next()
        continue
      }
      if (!this.isPunct(s, ')'))
        this.unexpected(
          s,
          'Missing argument separator',
          'A comma is required to separate each function argument from the next.',
        )
    }
    const close = this.next()
    this.nlSkip--
    this.depth--
    return {kind: 'other', start: name.start, end: close.end}
  }

  private isFor(): boolean {
    const t = this.peek()
    return t.t === T.Ident && t.text === 'for' && this.peek2().t === T.Ident
  }

  private tuple(open: Tok): Expr {
    this.nest(open)
    this.nlSkip++
    if (this.isFor()) return this.forExpr(open, ']')
    const items: Expr[] = []
    for (;;) {
      const t = this.peek()
      if (this.isPunct(t, ']')) break
      items.push(this.expression())
      const sep = this.peek()
      if (this.isPunct(sep, ',')) {
        this.next()
        continue
      }
      if (!this.isPunct(sep, ']'))
        this.unexpected(sep, 'Missing item separator', 'Expected a comma to mark the beginning of the next item.')
    }
    const close = this.next()
    this.nlSkip--
    this.depth--
    return {kind: 'tuple', items, start: open.start, end: close.end}
  }

  private object(open: Tok): Expr {
    this.nest(open)
    const outer = this.nlSkip
    this.nlSkip = 1
    if (this.isFor()) {
      const e = this.forExpr(open, '}')
      this.nlSkip = outer
      return e
    }
    // Newlines separate items here.
    this.nlSkip = 0
    const items: ObjectItem[] = []
    for (;;) {
      let t = this.peek()
      while (t.t === T.NL) {
        this.next()
        t = this.peek()
      }
      if (this.isPunct(t, '}')) break
      const key = this.objectKey()
      const eq = this.next()
      if (!this.isPunct(eq, '=') && !this.isPunct(eq, ':'))
        this.unexpected(
          eq,
          'Missing key/value separator',
          'Expected an equals sign ("=") to mark the beginning of the attribute value.',
        )
      const value = this.expression()
      items.push({key, value, start: key.start, end: value.end})
      const sep = this.peek()
      if (this.isPunct(sep, ',') || sep.t === T.NL) {
        this.next()
        continue
      }
      if (!this.isPunct(sep, '}'))
        this.unexpected(
          sep,
          'Missing attribute separator',
          'Expected a newline or comma to mark the beginning of the next attribute.',
        )
    }
    const close = this.next()
    this.nlSkip = outer
    this.depth--
    return {kind: 'object', items, start: open.start, end: close.end}
  }

  /** An object key: a bare name (its text), or any expression. */
  private objectKey(): Expr {
    const t = this.peek()
    if (t.t === T.Ident) {
      const after = this.peek2()
      if (after.t === T.Punct && (after.text === '=' || after.text === ':')) {
        this.next()
        return {kind: 'traversal', names: [t.text], start: t.start, end: t.end}
      }
    }
    return this.expression()
  }

  /** `[for k, v in coll : expr if cond]` or `{for k, v in coll : k => v... if cond}`; the opener is consumed. */
  private forExpr(open: Tok, closer: ']' | '}'): Expr {
    this.next() // for
    const v1 = this.next()
    if (v1.t !== T.Ident)
      this.unexpected(v1, 'Invalid for expression', 'For expression requires a variable name after "for".')
    if (this.isPunct(this.peek(), ',')) {
      this.next()
      const v2 = this.next()
      if (v2.t !== T.Ident)
        this.unexpected(v2, 'Invalid for expression', 'For expression requires a value variable name after the comma.')
    }
    const kwIn = this.next()
    if (kwIn.t !== T.Ident || kwIn.text !== 'in')
      this.unexpected(
        kwIn,
        'Invalid for expression',
        'For expression requires the "in" keyword after its name declarations.',
      )
    this.expression()
    const colon = this.next()
    if (!this.isPunct(colon, ':'))
      this.unexpected(
        colon,
        'Invalid for expression',
        'For expression requires a colon after the collection expression.',
      )
    this.expression()
    if (closer === '}') {
      const arrow = this.next()
      if (!this.isPunct(arrow, '=>'))
        this.unexpected(
          arrow,
          'Invalid for expression',
          'Key expression in an object for expression must be followed by "=>".',
        )
      this.expression()
      if (this.isPunct(this.peek(), '...')) this.next()
    }
    const maybeIf = this.peek()
    if (maybeIf.t === T.Ident && maybeIf.text === 'if') {
      this.next()
      this.expression()
    }
    const close = this.next()
    if (!this.isPunct(close, closer))
      this.unexpected(
        close,
        'Invalid for expression',
        `Extra characters after the end of the for expression; expected "${closer}".`,
      )
    if (closer === ']') this.nlSkip--
    this.depth--
    return {kind: 'other', start: open.start, end: close.end}
  }

  // ---- templates ------------------------------------------------------------------------

  /** A quoted template; the lexer is just after its opening quote. */
  quoted(open: Tok): Expr & {kind: 'template'} {
    const s = this.src
    const parts: TemplatePart[] = []
    let lit = ''
    let litStart = open.end
    let i = open.end
    let segStart = i
    const flush = (end: number): void => {
      lit += s.slice(segStart, end)
      if (lit !== '') parts.push({kind: 'literal', value: lit, start: litStart, end})
      lit = ''
    }
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 34) {
        flush(i)
        this.lx.pos = i + 1
        return {kind: 'template', parts, heredoc: false, start: open.start, end: i + 1}
      }
      if (Number.isNaN(c) || c === 10 || (c === 13 && s.charCodeAt(i + 1) === 10)) {
        flush(i)
        this.lx.pos = i
        if (Number.isNaN(c))
          this.fail(
            {start: open.start, end: open.end},
            'Unterminated template string',
            'No closing marker was found for the string.',
          )
        this.fail({start: i, end: i + 1}, 'Invalid multi-line string', MULTILINE_STRING_DETAIL)
      }
      if (c === 92) {
        lit += s.slice(segStart, i)
        const esc = this.escape(i)
        lit += esc.text
        i = esc.end
        segStart = i
        continue
      }
      if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === 123) {
        flush(i)
        i = this.templatePart(i, parts)
        litStart = segStart = i
        continue
      }
      if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === 123) {
        // $${ and %%{ are a literal ${ and %{.
        lit += s.slice(segStart, i + 1)
        i += 2
        segStart = i
        continue
      }
      i++
    }
  }

  /** One `\` escape at `i` (a bad one is reported and kept as written). */
  private escape(i: number): {text: string; end: number} {
    const s = this.src
    const c = s[i + 1]
    switch (c) {
      case 'n':
        return {text: '\n', end: i + 2}
      case 'r':
        return {text: '\r', end: i + 2}
      case 't':
        return {text: '\t', end: i + 2}
      case '"':
        return {text: '"', end: i + 2}
      case '\\':
        return {text: '\\', end: i + 2}
      case 'u':
      case 'U': {
        const len = c === 'u' ? 4 : 8
        const hex = s.slice(i + 2, i + 2 + len)
        const cp = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === len ? Number.parseInt(hex, 16) : NaN
        if (Number.isNaN(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          this.error(
            {start: i, end: i + 2},
            'Invalid escape sequence',
            `The \\${c} escape sequence needs ${len} hexadecimal digits of a valid Unicode code point.`,
          )
          return {text: '', end: i + 2}
        }
        return {text: String.fromCodePoint(cp), end: i + 2 + len}
      }
      default:
        this.error(
          {start: i, end: i + 2},
          'Invalid escape sequence',
          `The symbol ${JSON.stringify(c ?? '')} is not a valid escape sequence selector.`,
        )
        return {text: c === undefined || c === '\n' ? '' : c, end: c === undefined || c === '\n' ? i + 1 : i + 2}
    }
  }

  /** `${expr}` or `%{directive}` at `i`; returns the offset after its closing brace. */
  private templatePart(i: number, parts: TemplatePart[]): number {
    const s = this.src
    if (s.charCodeAt(i) === 37) {
      const end = skipInterpolation(s, i + 2)
      if (end < 0)
        this.fail(
          {start: i, end: i + 2},
          'Unclosed template directive',
          'There is no closing brace for this directive.',
        )
      parts.push({kind: 'directive', source: s.slice(i, end), start: i, end})
      return end
    }
    this.la = undefined
    this.lx.pos = i + 2
    const savedSkip = this.nlSkip
    this.nlSkip = 1
    if (this.isPunct(this.peek(), '~')) this.next()
    this.nest({start: i, end: i + 2})
    const expr = this.expression()
    this.depth--
    if (this.isPunct(this.peek(), '~')) this.next()
    const close = this.next()
    if (!this.isPunct(close, '}'))
      this.unexpected(
        close,
        'Extra characters after interpolation expression',
        'Expected a closing brace to end the interpolation expression, but found extra characters.',
      )
    this.nlSkip = savedSkip
    parts.push({kind: 'interp', expr, start: i, end: close.end})
    return close.end
  }

  /** A heredoc; the lexer is just after the newline of `<<EOT`. */
  private heredoc(open: Tok): Expr {
    const s = this.src
    const marker = open.text
    const parts: TemplatePart[] = []
    let i = open.end
    let lineStart = true
    let lit = ''
    let litStart = i
    let segStart = i
    const flushLit = (end: number): void => {
      lit += s.slice(segStart, end)
      if (lit !== '') parts.push({kind: 'literal', value: lit, start: litStart, end})
      lit = ''
    }
    for (;;) {
      if (lineStart) {
        const close = closingMarker(s, i, marker)
        if (close !== undefined) {
          flushLit(i)
          this.lx.pos = close
          const tpl = {kind: 'template' as const, parts, heredoc: true, start: open.start, end: close}
          if (open.flush) stripIndent(tpl)
          return tpl
        }
        lineStart = false
      }
      const c = s.charCodeAt(i)
      if (Number.isNaN(c)) {
        this.lx.pos = i
        this.fail(
          {start: open.start, end: open.end - 1},
          'Unterminated template string',
          `There is no line "${marker}" to close this heredoc before the end of the file.`,
        )
      }
      if (c === 10) {
        lineStart = true
        i++
        continue
      }
      if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === 123) {
        flushLit(i)
        i = this.templatePart(i, parts)
        litStart = segStart = i
        continue
      }
      if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === 123) {
        lit += s.slice(segStart, i + 1)
        i += 2
        segStart = i
        continue
      }
      i++
    }
  }

  /** Skips a quoted string after its opening quote, without errors (recovery). */
  private skipQuoted(): void {
    const end = skipQuotedText(this.src, this.lx.pos)
    this.la = undefined
    this.lx.pos = end
  }

  private skipHeredoc(marker: string): void {
    const s = this.src
    let i = this.lx.pos
    while (i < s.length) {
      const close = closingMarker(s, i, marker)
      if (close !== undefined) {
        i = close
        break
      }
      const nl = s.indexOf('\n', i)
      i = nl < 0 ? s.length : nl + 1
    }
    this.la = undefined
    this.lx.pos = i
  }
}

/** The offset after a heredoc's closing marker line starting at `i` (spaces before the marker allowed), if it is one. */
export function closingMarker(s: string, i: number, marker: string): number | undefined {
  let j = i
  while (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++
  if (!s.startsWith(marker, j)) return undefined
  let k = j + marker.length
  if (s.charCodeAt(k) === 13) k++
  const c = s.charCodeAt(k)
  return Number.isNaN(c) || c === 10 ? j + marker.length : undefined
}

/**
 * `<<-`: removes the smallest indentation of the lines from every line, as HCL does:
 * a line holding only spaces neither counts nor changes; a line that starts with an
 * interpolation counts with the spaces before it.
 */
function stripIndent(tpl: Expr & {kind: 'template'}): void {
  // Each line start: [part index, segment index]; its indentation; whether it holds only spaces.
  const starts: Array<{part: number; seg: number; indent: number; blank: boolean}> = []
  let atLineStart = true
  tpl.parts.forEach((p, pi) => {
    if (p.kind !== 'literal') {
      atLineStart = false
      return
    }
    const segs = p.value.split('\n')
    segs.forEach((seg, si) => {
      if (si > 0 || atLineStart) {
        const lastOfPart = si === segs.length - 1
        const followedByInterp = lastOfPart && pi + 1 < tpl.parts.length
        const indent = seg.length - seg.trimStart().length
        const blank = seg.trim() === '' && !followedByInterp
        starts.push({part: pi, seg: si, indent, blank})
      }
    })
    atLineStart = p.value.endsWith('\n')
  })
  let min = Infinity
  for (const st of starts) if (!st.blank && st.indent < min) min = st.indent
  if (min === Infinity || min === 0) return
  const strip = new Set(starts.filter((st) => !st.blank).map((st) => `${st.part}:${st.seg}`))
  tpl.parts.forEach((p, pi) => {
    if (p.kind !== 'literal') return
    p.value = p.value
      .split('\n')
      .map((seg, si) => (strip.has(`${pi}:${si}`) ? seg.slice(min) : seg))
      .join('\n')
  })
}

/** The literal text of a template with no interpolation, else undefined. */
export function literalOf(e: Expr): string | undefined {
  if (e.kind !== 'template') return undefined
  let out = ''
  for (const p of e.parts) {
    if (p.kind !== 'literal') return undefined
    out += p.value
  }
  return out
}

/** End of a quoted string whose text starts at `i` (after the quote): after the closing quote, or at the newline. */
export function skipQuotedText(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c === 92) i += 2
    else if (c === 34) return i + 1
    else if (c === 10) return i
    else if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === 123) i += 3
    else if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === 123) {
      const end = skipInterpolation(s, i + 2)
      if (end < 0) return s.length
      i = end
    } else i++
  }
  return i
}

/** Offset after the `}` closing an interpolation whose body starts at `i`, skipping nested strings; -1 if none. */
function skipInterpolation(s: string, i: number): number {
  let depth = 1
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c === 34) {
      i = skipQuotedText(s, i + 1)
      continue
    }
    if (c === 10 && depth === 1) {
      // An interpolation may span lines; a directive rarely does. Keep going.
    }
    if (c === 123) depth++
    else if (c === 125 && --depth === 0) return i + 1
    i++
  }
  return -1
}
