// Writes HCL text from a small typed tree: blocks with labels, attributes whose values
// are strings, numbers, bools, lists, maps and bare references (`container.lb`), and
// `#` comments above blocks and attributes. Import writes configuration a person will
// read and edit, so the layout follows `terraform fmt`: two-space indent, the `=` of
// consecutive attributes aligned, one blank line between top-level blocks,
// none inside a block.
//
// The writer is deliberately dumb about meaning: it never reorders anything (callers
// decide the order, so output is stable when input is), and it rejects names that
// are not identifiers instead of quietly mangling them.

/** A bare traversal written without quotes: `container.lb`, `network.frontend`, `rule.web`. */
export class HclRef {
  constructor(readonly path: string) {
    if (!TRAVERSAL_RE.test(path)) throw new Error(`not an HCL reference: ${JSON.stringify(path)}`)
  }
}

export const ref = (path: string): HclRef => new HclRef(path)

/** A map (`{ key = value }`); keys keep their insertion order. */
export interface HclObject {
  readonly [key: string]: HclValue
}

export type HclValue = string | number | boolean | HclRef | readonly HclValue[] | HclObject

export interface HclAttribute {
  kind: 'attribute'
  name: string
  value: HclValue
  /** Lines of a `#` comment written above the attribute. */
  comments?: readonly string[]
}

export interface HclBlock {
  kind: 'block'
  type: string
  labels: readonly string[]
  body: readonly HclItem[]
  /** Lines of a `#` comment written above the block. */
  comments?: readonly string[]
}

export type HclItem = HclAttribute | HclBlock

export interface HclDocument {
  /** Comment lines at the top of the file, followed by a blank line. */
  header?: readonly string[]
  items: readonly HclItem[]
}

export function attribute(name: string, value: HclValue, comments?: readonly string[]): HclAttribute {
  return comments && comments.length > 0 ? {kind: 'attribute', name, value, comments} : {kind: 'attribute', name, value}
}

export function block(
  type: string,
  labels: readonly string[],
  body: readonly HclItem[],
  comments?: readonly string[],
): HclBlock {
  return comments && comments.length > 0
    ? {kind: 'block', type, labels, body, comments}
    : {kind: 'block', type, labels, body}
}

const IDENT = '[A-Za-z_][A-Za-z0-9_-]*'
const IDENT_RE = new RegExp(`^${IDENT}$`)
const TRAVERSAL_RE = new RegExp(`^${IDENT}(?:\\.${IDENT})*$`)
const INDENT = '  '
/** A list longer than this on one line (indent included) is written one item a line. */
const MAX_LINE = 100

/**
 * An HCL quoted string. Besides `"` and `\`, a template sequence must be escaped:
 * `${` becomes `$${` and `%{` becomes `%%{`, or HCL would evaluate it.
 */
export function quoteHcl(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    const next = s[i + 1]
    if ((c === '$' || c === '%') && next === '{') {
      out += `${c}${c}{`
      i++
      continue
    }
    switch (c) {
      case '"':
        out += '\\"'
        break
      case '\\':
        out += '\\\\'
        break
      case '\n':
        out += '\\n'
        break
      case '\r':
        out += '\\r'
        break
      case '\t':
        out += '\\t'
        break
      default: {
        const code = c.charCodeAt(0)
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c
      }
    }
  }
  return `${out}"`
}

function checkIdent(name: string, what: string): void {
  if (!IDENT_RE.test(name)) throw new Error(`${what} must be an identifier, got ${JSON.stringify(name)}`)
}

function isObject(v: HclValue): v is HclObject {
  return typeof v === 'object' && !(v instanceof HclRef) && !Array.isArray(v)
}

function objectKey(key: string): string {
  return IDENT_RE.test(key) ? key : quoteHcl(key)
}

/** The value on one line, or undefined when it needs several (non-empty maps, long or nested lists). */
function inline(v: HclValue, room: number): string | undefined {
  if (typeof v === 'string') return quoteHcl(v)
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`HCL has no number ${v}`)
    return String(v)
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v instanceof HclRef) return v.path
  if (Array.isArray(v)) {
    const items: string[] = []
    for (const item of v as readonly HclValue[]) {
      const s = inline(item, room)
      if (s === undefined) return undefined
      items.push(s)
    }
    const text = `[${items.join(', ')}]`
    return text.length > room && items.length > 1 ? undefined : text
  }
  return Object.keys(v).length === 0 ? '{}' : undefined
}

/** Lines of a value that does not fit on one line; the first line continues `name = `. */
function multiline(v: HclValue, depth: number): string[] {
  const pad = INDENT.repeat(depth + 1)
  const close = INDENT.repeat(depth)
  if (Array.isArray(v)) {
    const lines = ['[']
    for (const item of v as readonly HclValue[]) {
      const one = inline(item, MAX_LINE - pad.length)
      if (one !== undefined) lines.push(`${pad}${one},`)
      else {
        const inner = multiline(item, depth + 1)
        lines.push(`${pad}${inner[0]}`, ...inner.slice(1, -1), `${inner[inner.length - 1]},`)
      }
    }
    lines.push(`${close}]`)
    return lines
  }
  if (isObject(v)) {
    const lines = ['{']
    lines.push(
      ...bodyLines(
        Object.entries(v).map(([k, val]) => ({key: objectKey(k), value: val})),
        depth + 1,
      ),
    )
    lines.push(`${close}}`)
    return lines
  }
  throw new Error('only lists and maps span several lines')
}

interface Entry {
  key: string
  value: HclValue
  comments?: readonly string[]
}

function commentLines(comments: readonly string[] | undefined, pad: string): string[] {
  if (!comments) return []
  return comments.flatMap((c) => c.split('\n')).map((line) => (line === '' ? `${pad}#` : `${pad}# ${line}`))
}

/**
 * Attribute lines of one body. Consecutive attributes form a run whose `=` are aligned
 * (as `dockwall fmt` and terraform fmt align them); a comment ends the run before it, a
 * multi-line value after its first line.
 */
function bodyLines(entries: readonly Entry[], depth: number): string[] {
  const pad = INDENT.repeat(depth)
  const out: string[] = []
  let run: Array<{key: string; text: string; rest?: string[]}> = []
  const flush = (): void => {
    const width = Math.max(0, ...run.map((r) => r.key.length))
    for (const r of run) out.push(`${pad}${r.key.padEnd(width)} = ${r.text}`, ...(r.rest ?? []))
    run = []
  }
  for (const e of entries) {
    if (e.comments && e.comments.length > 0) {
      flush()
      out.push(...commentLines(e.comments, pad))
    }
    const text = inline(e.value, MAX_LINE - pad.length - e.key.length - 3)
    if (text !== undefined) {
      run.push({key: e.key, text})
      continue
    }
    const lines = multiline(e.value, depth)
    run.push({key: e.key, text: lines[0]!, rest: lines.slice(1)})
    flush()
  }
  flush()
  return out
}

function itemLines(items: readonly HclItem[], depth: number, blankBetweenBlocks: boolean): string[] {
  const pad = INDENT.repeat(depth)
  const out: string[] = []
  let attrs: Entry[] = []
  let previous: 'none' | 'attribute' | 'block' = 'none'
  const flushAttrs = (): void => {
    if (attrs.length === 0) return
    if (blankBetweenBlocks && previous === 'block') out.push('')
    out.push(...bodyLines(attrs, depth))
    attrs = []
    previous = 'attribute'
  }
  for (const item of items) {
    if (item.kind === 'attribute') {
      checkIdent(item.name, 'an attribute name')
      attrs.push({key: item.name, value: item.value, ...(item.comments ? {comments: item.comments} : {})})
      continue
    }
    flushAttrs()
    if (blankBetweenBlocks && previous !== 'none') out.push('')
    checkIdent(item.type, 'a block type')
    out.push(...commentLines(item.comments, pad))
    const head = [item.type, ...item.labels.map(quoteHcl)].join(' ')
    const inner = itemLines(item.body, depth + 1, false)
    if (inner.length === 0) out.push(`${pad}${head} {}`)
    else out.push(`${pad}${head} {`, ...inner, `${pad}}`)
    previous = 'block'
  }
  flushAttrs()
  return out
}

/** The document as HCL text, ending with one newline. */
export function writeHcl(doc: HclDocument): string {
  const lines: string[] = []
  if (doc.header && doc.header.length > 0) lines.push(...commentLines(doc.header, ''), '')
  // Not push(...): a host of 20,000 rules gives more lines than a call can take as arguments.
  for (const l of itemLines(doc.items, 0, true)) lines.push(l)
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return `${lines.join('\n')}\n`
}
