// The bottom of dockwall's HCL parser (parser.ts): tokens with one token of lookahead,
// the newline rule inside brackets, nesting depth, and syntax errors with the
// exceptions that drive recovery. The parser's layers extend it: templates
// (parse-templates.ts), expressions (parse-expressions.ts), bodies (parser.ts).
import type {Attribute, Block, Expr, Span, SyntaxError} from './ast.js'
import {Lexer, T, type Tok} from './lexer.js'

/** Deeper nesting than this is an error, not a stack overflow (100,000 `[` in a row must give a message). */
export const MAX_NESTING = 64

/** Thrown to abandon the current body item after its error was recorded. */
export class Recover extends Error {}

/** Thrown when a file has so many errors that it is not HCL at all (a binary file): stop reading it. */
export class Stop extends Error {}

/** Errors collected from one file before the parser gives up on it. */
export const MAX_SYNTAX_ERRORS = 10_000

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

export abstract class TokenReader {
  readonly lx: Lexer
  readonly errors: SyntaxError[] = []
  protected la: Tok | undefined
  /** > 0 inside brackets and parentheses, where newlines are just space. */
  protected nlSkip = 0
  protected depth = 0
  /** Recover to the end of the line without balancing brackets. */
  protected flatRecovery = false

  constructor(
    protected readonly src: string,
    protected readonly opts: ParseOptions,
  ) {
    this.lx = new Lexer(src)
    if (opts.start !== undefined) this.lx.pos = opts.start
  }

  // ---- tokens ---------------------------------------------------------------------------

  protected peek(): Tok {
    for (;;) {
      this.la ??= this.lx.lex()
      if (this.la.t === T.NL && this.nlSkip > 0) {
        this.la = undefined
        continue
      }
      return this.la
    }
  }

  protected next(): Tok {
    const t = this.peek()
    this.la = undefined
    return t
  }

  protected isPunct(t: Tok, p: string): boolean {
    return t.t === T.Punct && t.text === p
  }

  /** The token after the peeked one, without consuming either. */
  protected peek2(): Tok {
    this.peek()
    const save = this.lx.pos
    let t = this.lx.lex()
    while (t.t === T.NL && this.nlSkip > 0) t = this.lx.lex()
    this.lx.pos = save
    return t
  }

  protected error(span: Span, summary: string, detail?: string): void {
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

  protected fail(span: Span, summary: string, detail?: string): never {
    this.error(span, summary, detail)
    throw new Recover()
  }

  /** An invalid token's own message, or the caller's. */
  protected unexpected(t: Tok, summary: string, detail: string): never {
    if (t.t === T.Invalid) this.fail(t, 'Invalid character', 'This character is not used within the language.')
    this.fail(t, summary, detail)
  }

  protected nest(at: Span): void {
    if (++this.depth > MAX_NESTING) {
      // The brackets themselves are the problem: recovery must not try to balance them.
      this.flatRecovery = true
      this.fail(at, 'Too deeply nested', `dockwall reads at most ${MAX_NESTING} levels of nested brackets and braces.`)
    }
  }

  /** One expression (parse-expressions.ts); templates need it for their interpolations. */
  abstract expression(): Expr
}
