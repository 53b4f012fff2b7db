// Tokens of HCL's native syntax outside templates. The parser drives it one token at a
// time; inside quoted strings and heredocs it reads characters itself (template.ts),
// because what a character means there depends on where it is.
//
// Hand-written over charCodeAt, without regular expressions on the hot path: a file of
// 20,000 blocks is about 600,000 tokens.

export const T = {
  EOF: 0,
  NL: 1,
  Ident: 2,
  Number: 3,
  /** `"`: a quoted template starts after it. */
  OQuote: 4,
  /** `<<EOT` or `<<-EOT` and its newline: a heredoc body starts after it. */
  OHeredoc: 5,
  Punct: 6,
  /** A character the language does not use. */
  Invalid: 7,
  /** A line or block comment, only when the lexer is asked for comments (the formatter). */
  Comment: 8,
} as const
export type TokKind = (typeof T)[keyof typeof T]

export interface Tok {
  t: TokKind
  start: number
  end: number
  /** Identifier name, punctuation, heredoc marker or the invalid character. */
  text: string
  /** Heredoc: `<<-` (indented) rather than `<<`. */
  flush?: boolean
}

const TWO_CHAR = new Set(['==', '!=', '<=', '>=', '&&', '||', '=>', '::'])
const ONE_CHAR = new Set([
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  '=',
  ':',
  '.',
  '?',
  '!',
  '*',
  '/',
  '%',
  '+',
  '-',
  '<',
  '>',
  '~',
])

export function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c > 127 && isUnicodeIdent(c, true))
}

export function isIdentPart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 95 ||
    c === 45 ||
    (c > 127 && isUnicodeIdent(c, false))
  )
}

const ID_START = /\p{ID_Start}/u
const ID_CONTINUE = /\p{ID_Continue}/u

function isUnicodeIdent(c: number, start: boolean): boolean {
  // Surrogate halves are letters of astral identifiers; the pair is checked as a whole rarely enough.
  if (c >= 0xd800 && c <= 0xdfff) return true
  return (start ? ID_START : ID_CONTINUE).test(String.fromCharCode(c))
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

export interface Comment {
  start: number
  end: number
}

export class Lexer {
  pos = 0
  /** Comments seen, in order (the formatter keeps them; the parser ignores them). */
  readonly comments: Comment[] = []
  /** Offset of an unclosed block comment, if any. */
  unclosedComment: number | undefined

  constructor(
    readonly src: string,
    /** Return comments as tokens instead of skipping them. */
    private readonly emitComments = false,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1
  }

  /** Reads the next token from `pos`. */
  lex(): Tok {
    const s = this.src
    const n = s.length
    let i = this.pos
    for (;;) {
      if (i >= n) {
        this.pos = i
        return {t: T.EOF, start: i, end: i, text: ''}
      }
      const c = s.charCodeAt(i)
      if (c === 32 || c === 9 || c === 13) {
        i++
        continue
      }
      if (c === 35 || (c === 47 && s.charCodeAt(i + 1) === 47)) {
        const start = i
        while (i < n && s.charCodeAt(i) !== 10) i++
        // A comment ends before its line's \r\n.
        const end = s.charCodeAt(i - 1) === 13 ? i - 1 : i
        if (this.emitComments) {
          this.pos = end
          return {t: T.Comment, start, end, text: s.slice(start, end)}
        }
        this.comment(start, end)
        continue
      }
      if (c === 47 && s.charCodeAt(i + 1) === 42) {
        const start = i
        const end = s.indexOf('*/', i + 2)
        if (end < 0) {
          this.unclosedComment ??= start
          i = n
        } else i = end + 2
        if (this.emitComments) {
          this.pos = i
          return {t: T.Comment, start, end: i, text: s.slice(start, i)}
        }
        this.comment(start, i)
        continue
      }
      const start = i
      if (c === 10) {
        this.pos = i + 1
        return {t: T.NL, start, end: i + 1, text: '\n'}
      }
      if (isIdentStart(c)) {
        i++
        while (i < n && isIdentPart(s.charCodeAt(i))) i++
        this.pos = i
        return {t: T.Ident, start, end: i, text: s.slice(start, i)}
      }
      if (isDigit(c)) {
        i = scanNumber(s, i)
        this.pos = i
        return {t: T.Number, start, end: i, text: s.slice(start, i)}
      }
      if (c === 34) {
        this.pos = i + 1
        return {t: T.OQuote, start, end: i + 1, text: '"'}
      }
      if (c === 60 && s.charCodeAt(i + 1) === 60) {
        const h = scanHeredocStart(s, i)
        if (h) {
          this.pos = h.end
          return {t: T.OHeredoc, start, end: h.end, text: h.marker, flush: h.flush}
        }
      }
      if (c === 46 && s.charCodeAt(i + 1) === 46 && s.charCodeAt(i + 2) === 46) {
        this.pos = i + 3
        return {t: T.Punct, start, end: i + 3, text: '...'}
      }
      const two = s.slice(i, i + 2)
      if (TWO_CHAR.has(two)) {
        this.pos = i + 2
        return {t: T.Punct, start, end: i + 2, text: two}
      }
      const one = s[i]!
      if (ONE_CHAR.has(one)) {
        this.pos = i + 1
        return {t: T.Punct, start, end: i + 1, text: one}
      }
      // One whole code point, so an emoji is one invalid character, not two halves.
      const cp = s.codePointAt(i)!
      const len = cp > 0xffff ? 2 : 1
      this.pos = i + len
      return {t: T.Invalid, start, end: i + len, text: s.slice(i, i + len)}
    }
  }

  private comment(start: number, end: number): void {
    // Lookahead may read the same comment twice.
    const last = this.comments[this.comments.length - 1]
    if (last === undefined || last.start < start) this.comments.push({start, end})
  }
}

/** End of a number literal starting at `i`: digits, an optional fraction and exponent. */
function scanNumber(s: string, i: number): number {
  const n = s.length
  while (i < n && isDigit(s.charCodeAt(i))) i++
  if (s.charCodeAt(i) === 46 && isDigit(s.charCodeAt(i + 1))) {
    i += 2
    while (i < n && isDigit(s.charCodeAt(i))) i++
  }
  const e = s.charCodeAt(i)
  if (e === 101 || e === 69) {
    let j = i + 1
    const sign = s.charCodeAt(j)
    if (sign === 43 || sign === 45) j++
    if (isDigit(s.charCodeAt(j))) {
      i = j + 1
      while (i < n && isDigit(s.charCodeAt(i))) i++
    }
  }
  return i
}

/** `<<EOT\n` or `<<-EOT\n` at `i`: the marker, and the offset just after the newline. */
function scanHeredocStart(s: string, i: number): {marker: string; flush: boolean; end: number} | undefined {
  let j = i + 2
  const flush = s.charCodeAt(j) === 45
  if (flush) j++
  const start = j
  if (!isIdentStart(s.charCodeAt(j))) return undefined
  j++
  while (j < s.length && isIdentPart(s.charCodeAt(j))) j++
  const marker = s.slice(start, j)
  if (s.charCodeAt(j) === 13) j++
  if (s.charCodeAt(j) !== 10) return undefined
  return {marker, flush, end: j + 1}
}
