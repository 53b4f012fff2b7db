// `dockwall fmt`: the canonical layout of an HCL file. It works on tokens, as hclwrite
// (Terraform's formatter) does, and changes only the space between them: two spaces of
// indentation per open bracket, one space around operators and `=`, `=` aligned in a run
// of attribute lines, at most one blank line in a row, one blank line between top-level
// blocks, none just inside brackets. Strings, heredocs and comments are copied as they are (comments
// stay on their line), and a line is never split or joined, so the meaning cannot change;
// the caller checks it anyway (formatted text must parse to the same JSON).
import {Lexer, T, type Tok} from './lexer.js'
import {closingMarker, skipQuotedText} from './parser.js'

interface Atom {
  kind: 'token' | 'string' | 'heredoc' | 'comment'
  t: Tok['t']
  text: string
}

type Line = Atom[]

/** The file as lines of atoms; a string, heredoc or block comment is one atom. */
function lines(src: string): Line[] {
  const lx = new Lexer(src, true)
  const out: Line[] = []
  let line: Line = []
  for (;;) {
    const t = lx.lex()
    if (t.t === T.EOF) break
    if (t.t === T.NL) {
      out.push(line)
      line = []
      continue
    }
    if (t.t === T.OQuote) {
      const end = skipQuotedText(src, t.end)
      lx.pos = end
      line.push({kind: 'string', t: t.t, text: src.slice(t.start, end)})
      continue
    }
    if (t.t === T.OHeredoc) {
      let i = t.end
      for (;;) {
        const close = closingMarker(src, i, t.text)
        if (close !== undefined) {
          i = close
          break
        }
        const nl = src.indexOf('\n', i)
        if (nl < 0) {
          i = src.length
          break
        }
        i = nl + 1
      }
      lx.pos = i
      line.push({kind: 'heredoc', t: t.t, text: src.slice(t.start, i)})
      continue
    }
    line.push({kind: t.t === T.Comment ? 'comment' : 'token', t: t.t, text: t.text})
  }
  out.push(line)
  return out
}

const OPENERS = new Set(['{', '[', '('])
const CLOSERS = new Set(['}', ']', ')'])

const isPunct = (a: Atom | undefined, p: string): boolean =>
  a !== undefined && a.kind === 'token' && a.t === T.Punct && a.text === p

/** True when `-` or `!` at `i` is a unary operator (nothing it could be subtracted from comes before). */
function isUnary(line: Line, i: number): boolean {
  const prev = line[i - 1]
  if (!prev) return true
  if (prev.kind === 'string' || prev.kind === 'heredoc') return false
  if (prev.t === T.Ident || prev.t === T.Number) return false
  if (prev.t === T.Punct && CLOSERS.has(prev.text)) return false
  return true
}

/** Whether one space goes between line[i-1] and line[i]. */
function spaceBefore(line: Line, i: number, inCondOrFor: boolean): boolean {
  const a = line[i - 1]!
  const b = line[i]!
  if (b.kind === 'comment') return true
  const ap = a.kind === 'token' && a.t === T.Punct ? a.text : undefined
  const bp = b.kind === 'token' && b.t === T.Punct ? b.text : undefined
  if (bp === ',' || bp === '.' || bp === '...' || bp === '::' || ap === '.' || ap === '::') return false
  if (bp === ')' || bp === ']') return false
  if (ap === '(' || ap === '[') return false
  if (bp === '}') return ap !== '{'
  if (ap === '{') return true
  // `f(`, `a[0]`, `x[*]`: no space before an opening paren or index bracket after a value.
  if (bp === '(' && a.t === T.Ident) return false
  if (bp === '[' && (a.t === T.Ident || ap === ')' || ap === ']' || a.kind === 'string')) return false
  if (bp === '*' && (ap === '[' || ap === '.')) return false
  if (ap === '*' && (bp === ']' || isPunct(line[i - 2], '.') || isPunct(line[i - 2], '['))) return false
  if ((ap === '-' || ap === '!') && isUnary(line, i - 1)) return false
  if (bp === ':') return inCondOrFor
  return true
}

function join(line: Line): string {
  let out = ''
  let inCondOrFor = false
  line.forEach((a, i) => {
    if ((a.t === T.Punct && a.text === '?') || (a.t === T.Ident && a.text === 'for')) inCondOrFor = true
    out += i === 0 ? a.text : (spaceBefore(line, i, inCondOrFor) ? ' ' : '') + a.text
  })
  return out
}

function depthChange(line: Line): {closesFirst: number; net: number} {
  let closesFirst = 0
  let depth = 0
  let leading = true
  for (const a of line) {
    if (a.kind !== 'token' || a.t !== T.Punct) {
      leading = false
      continue
    }
    if (OPENERS.has(a.text)) {
      depth++
      leading = false
    } else if (CLOSERS.has(a.text)) {
      depth--
      if (leading) closesFirst++
    } else leading = false
  }
  return {closesFirst, net: depth}
}

/** `name = ...` (an attribute or object item): the index of its `=`. */
function attrEquals(line: Line): number {
  const [first, second] = line
  if (!first || !second) return -1
  if ((first.t === T.Ident || first.kind === 'string') && isPunct(second, '=')) return 1
  return -1
}

/** `type "label" {` (or a whole one-line block). */
const isBlockStart = (line: Line): boolean =>
  line.length >= 2 && line[0]!.t === T.Ident && !isPunct(line[1], '=') && line.some((a) => isPunct(a, '{'))

/** A line that ends a block: `}`, or a one-line block. */
const isBlockEnd = (line: Line): boolean =>
  isPunct(line[0], '}') || (isBlockStart(line) && isPunct(line.filter((a) => a.kind !== 'comment').at(-1), '}'))

const isCommentOnly = (line: Line): boolean => line.length > 0 && line.every((a) => a.kind === 'comment')

/** Formats HCL source text (which must parse). */
export function formatHcl(src: string): string {
  const input = lines(src)
  type Out = {text: string; depth: number; line: Line; blank: boolean}
  const out: Out[] = []
  let depth = 0
  for (const line of input) {
    if (line.length === 0) {
      out.push({text: '', depth, line, blank: true})
      continue
    }
    const {closesFirst, net} = depthChange(line)
    const indent = Math.max(0, depth - closesFirst)
    out.push({text: join(line), depth: indent, line, blank: false})
    depth = Math.max(0, depth + net)
  }

  // Blank lines: none at the start or end, none right after an opener or before a closer,
  // one at most in a row, and one between two blocks (before the comments above the second).
  const kept: Out[] = []
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!
    if (!o.blank) {
      // Top-level blocks only: nested blocks keep the spacing they were written with.
      if (o.depth === 0 && isBlockStart(o.line)) {
        let j = kept.length
        while (j > 0 && isCommentOnly(kept[j - 1]!.line) && kept[j - 1]!.depth === o.depth) j--
        const before = kept[j - 1]
        if (before && !before.blank && isBlockEnd(before.line) && before.depth === o.depth)
          kept.splice(j, 0, {text: '', depth: o.depth, line: [], blank: true})
      }
      kept.push(o)
      continue
    }
    const prev = kept.at(-1)
    if (!prev || prev.blank) continue
    const last = prev.line.filter((a) => a.kind !== 'comment').at(-1)
    if (last && last.t === T.Punct && OPENERS.has(last.text)) continue
    const next = out.slice(i + 1).find((x) => !x.blank)
    if (!next) continue
    if (next.line[0]?.t === T.Punct && CLOSERS.has(next.line[0].text)) continue
    kept.push(o)
  }

  // `=` aligned in runs of attribute lines at one depth (a blank line, a comment line or
  // any other line ends a run; a multi-line value ends it after its first line).
  const width = new Map<Out, number>()
  let run: Out[] = []
  const flush = (): void => {
    const w = Math.max(...run.map((o) => o.line[0]!.text.length))
    for (const o of run) width.set(o, w)
    run = []
  }
  for (const o of kept) {
    const eq = o.blank ? -1 : attrEquals(o.line)
    if (eq < 0 || (run.length > 0 && run[0]!.depth !== o.depth)) {
      if (run.length > 0) flush()
      if (eq < 0) continue
    }
    run.push(o)
    const {net} = depthChange(o.line)
    if (net > 0) flush()
  }
  if (run.length > 0) flush()

  const text = kept.map((o) => {
    if (o.blank) return ''
    const pad = '  '.repeat(o.depth)
    const w = width.get(o)
    if (w === undefined) return pad + o.text
    const name = o.line[0]!.text
    return `${pad}${name}${' '.repeat(w - name.length)} ${join(o.line.slice(1))}`
  })
  return `${text.join('\n')}\n`.replace(/^\n+/, '')
}
