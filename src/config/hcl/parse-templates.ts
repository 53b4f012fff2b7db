// Templates of dockwall's HCL parser: quoted strings with their escapes, heredocs
// (`<<EOT`, and `<<-EOT` with its indentation stripped), and the `${...}`
// interpolations and `%{...}` directives inside them, as ast.ts's template parts.
import type {Expr, TemplatePart} from './ast.js'
import type {Tok} from './lexer.js'
import {TokenReader} from './parse-tokens.js'

const MULTILINE_STRING_DETAIL =
  'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the "heredoc" multi-line template syntax.'

export abstract class TemplateReader extends TokenReader {
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
  protected escape(i: number): {text: string; end: number} {
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
  protected templatePart(i: number, parts: TemplatePart[]): number {
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
  protected heredoc(open: Tok): Expr {
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
  protected skipQuoted(): void {
    const end = skipQuotedText(this.src, this.lx.pos)
    this.la = undefined
    this.lx.pos = end
  }

  protected skipHeredoc(marker: string): void {
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
