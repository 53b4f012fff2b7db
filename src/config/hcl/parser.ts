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
//
// It is written in layers, each a class extending the one below: tokens and errors
// (parse-tokens.ts), templates (parse-templates.ts), expressions
// (parse-expressions.ts), and here bodies: attributes and blocks.
import type {Attribute, Block, Body, Label, SyntaxError} from './ast.js'
import {T, type Tok} from './lexer.js'
import {ExpressionParser} from './parse-expressions.js'
import {literalOf} from './parse-templates.js'
import {Recover, Stop, type ParseOptions} from './parse-tokens.js'

export {closingMarker, literalOf, skipQuotedText} from './parse-templates.js'
export {MAX_NESTING, MAX_SYNTAX_ERRORS, type ParseOptions} from './parse-tokens.js'

export interface ParseResult {
  body: Body
  errors: SyntaxError[]
  /** Comments, for the formatter. */
  comments: Array<{start: number; end: number}>
}

export function parseHcl(src: string, opts: ParseOptions = {}): ParseResult {
  const p = new Parser(src, opts)
  const body = p.file()
  return {body, errors: p.errors, comments: p.lx.comments}
}

class Parser extends ExpressionParser {
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
}
