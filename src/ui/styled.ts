// Styled lines: the one intermediate form every human view renders from. The plain
// text renderer turns them into ANSI strings, the Ink views map each segment to a
// <Text>. Keeping layout here (padding, truncation, wrapping) means the terminal
// and the text output cannot drift apart, and it keeps Ink out of anything that
// only prints.

export type Color = 'green' | 'yellow' | 'red' | 'cyan' | 'gray'

export interface Style {
  color?: Color
  bold?: boolean
  dim?: boolean
}

export interface Segment {
  text: string
  style?: Style
}

export type StyledLine = Segment[]

export function seg(text: string, style?: Style): Segment {
  return style ? {text, style} : {text}
}

export function plainText(line: StyledLine): string {
  return line.map((s) => s.text).join('')
}

/** Display width. dockwall's output is ASCII plus a few single-width symbols (…, ─, ›), so code points are columns. */
export function textWidth(text: string): number {
  return [...text].length
}

const ANSI_COLOR: Record<Color, number> = {red: 31, green: 32, yellow: 33, cyan: 36, gray: 90}

function ansiOpen(style: Style): string {
  const codes: number[] = []
  if (style.bold) codes.push(1)
  if (style.dim) codes.push(2)
  if (style.color) codes.push(ANSI_COLOR[style.color])
  return codes.length > 0 ? `\u001B[${codes.join(';')}m` : ''
}

/** A styled line as a string; escape codes only when `color` is true. */
export function toAnsi(line: StyledLine, color: boolean): string {
  return line
    .map((s) => {
      const open = color && s.style ? ansiOpen(s.style) : ''
      return open ? `${open}${s.text}\u001B[0m` : s.text
    })
    .join('')
}

/** Merge adjacent segments with the same style, so tests and Ink see fewer nodes. */
function compact(line: StyledLine): StyledLine {
  const out: StyledLine = []
  for (const s of line) {
    if (s.text === '') continue
    const prev = out.at(-1)
    if (prev && sameStyle(prev.style, s.style)) out[out.length - 1] = {...prev, text: prev.text + s.text}
    else out.push(s)
  }
  return out
}

function sameStyle(a: Style | undefined, b: Style | undefined): boolean {
  return a?.color === b?.color && Boolean(a?.bold) === Boolean(b?.bold) && Boolean(a?.dim) === Boolean(b?.dim)
}

/** Cut a line to `width` columns, ending with `…` when something was cut. */
export function truncateLine(line: StyledLine, width: number): StyledLine {
  if (width <= 0) return []
  let total = 0
  for (const s of line) total += textWidth(s.text)
  if (total <= width) return line
  const out: StyledLine = []
  let room = width - 1
  for (const s of line) {
    if (room <= 0) break
    const chars = [...s.text]
    const taken = chars.slice(0, room).join('')
    out.push({...s, text: taken})
    room -= Math.min(chars.length, room)
  }
  const last = out.at(-1)
  out.push(last?.style ? {text: '…', style: last.style} : {text: '…'})
  return compact(out)
}

/**
 * Break a line into pieces of at most `width` columns, continuation pieces
 * starting with `indent` spaces. Breaks at spaces where it can (an iptables
 * spec breaks between options), mid-word only when a word is longer than a line.
 * Used where the content is the point (an expanded change's exact iptables
 * lines), so nothing is cut away.
 */
export function wrapLine(line: StyledLine, width: number, indent = 4): StyledLine[] {
  const safeIndent = Math.min(indent, Math.max(0, width - 10))
  // Tokens keep their style; whitespace runs are tokens too so spacing survives.
  const tokens: Segment[] = []
  for (const s of line) {
    for (const part of s.text.split(/( +)/)) if (part !== '') tokens.push({...s, text: part})
  }
  const rows: StyledLine[] = []
  let current: StyledLine = []
  let used = 0
  const limit = () => (rows.length === 0 ? width : width - safeIndent)
  const flush = () => {
    while (current.length > 0 && current.at(-1)?.text.trim() === '') current.pop()
    rows.push(compact(rows.length === 0 ? current : [seg(' '.repeat(safeIndent)), ...current]))
    current = []
    used = 0
  }
  for (const token of tokens) {
    const isSpace = token.text.trim() === ''
    let w = textWidth(token.text)
    if (used + w <= limit()) {
      current.push(token)
      used += w
      continue
    }
    if (isSpace) {
      // A break replaces the spaces at the end of a row.
      if (used > 0) flush()
      continue
    }
    if (used > 0 && w <= limit()) flush()
    // A word longer than the room left: hard-split it.
    let chars = [...token.text]
    while (chars.length > 0) {
      const room = limit() - used
      if (room <= 0) {
        flush()
        continue
      }
      const piece = chars.slice(0, room)
      current.push({...token, text: piece.join('')})
      used += piece.length
      chars = chars.slice(room)
      w -= piece.length
      if (chars.length > 0) flush()
    }
  }
  if (current.length > 0 || rows.length === 0) flush()
  return rows
}

/** Right-pad plain text to `width` columns. */
export function padEnd(text: string, width: number): string {
  const w = textWidth(text)
  return w >= width ? text : text + ' '.repeat(width - w)
}
