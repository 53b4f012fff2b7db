// Expressions of dockwall's HCL parser: operators by precedence, terms (literals,
// references, calls, tuples, objects, `for` expressions) and their postfix parts
// (attributes, indexes, splats), as ast.ts's expressions.
import type {Expr, ObjectItem} from './ast.js'
import {T, type Tok} from './lexer.js'
import {TemplateReader} from './parse-templates.js'

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

export abstract class ExpressionParser extends TemplateReader {
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

  protected binary(minPrec: number): Expr {
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

  protected unary(): Expr {
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
  protected postfix(e: Expr): Expr {
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

  protected term(): Expr {
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

  protected identTerm(t: Tok): Expr {
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

  protected call(name: Tok, open: Tok): Expr {
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

  protected isFor(): boolean {
    const t = this.peek()
    return t.t === T.Ident && t.text === 'for' && this.peek2().t === T.Ident
  }

  protected tuple(open: Tok): Expr {
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

  protected object(open: Tok): Expr {
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
  protected objectKey(): Expr {
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
  protected forExpr(open: Tok, closer: ']' | '}'): Expr {
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
}
