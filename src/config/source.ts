// Source positions. The merged JSON the loader works on carries none, so each parsed file
// comes with a PositionIndex: given a *path*, it says where that block, attribute, list
// item or object key was written. Both parsers find positions lazily: a 20,000-block file
// keeps one small record per top-level block, and only a block a message is about is read
// again in full (hcl/positions.ts, json-positions.ts).
//
// A path names a place in the configuration, with the same rules for both formats:
//   labeled block      container.lb            (a second block with the same label: container.lb[1])
//   unlabeled block    firewall[0], container.lb.route[1]
//   attribute          container.lb.network.frontend.ipv4_address
//   list item          rule.web.ports[2]
//   map key            network.app.options["com.docker.network.bridge.name"]
import type {SourcePos} from '../model/types.js'

export type PathSeg = string | number
export type Path = readonly PathSeg[]

export interface LineCol {
  line: number
  column: number
}

export interface PositionIndex {
  readonly file: string
  /**
   * Where the thing at `path` was written: an attribute's or list item's value (with its
   * end, for the caret line under it), a block's header. A path that is not there (a
   * missing attribute) falls back to its nearest ancestor, then to the file's first line.
   */
  locate(path: Path): SourcePos
  /** Like locate, but an attribute or map key gives its name rather than its value. */
  locateName(path: Path): SourcePos
  /** True when exactly this path is in the file (no fallback). */
  has(path: Path): boolean
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** Appends one segment to a path key. */
export function childKey(parent: string, seg: PathSeg): string {
  if (typeof seg === 'number') return `${parent}[${seg}]`
  if (!IDENT_RE.test(seg)) return `${parent}[${JSON.stringify(seg)}]`
  return parent === '' ? seg : `${parent}.${seg}`
}

export function pathKey(path: Path): string {
  let key = ''
  for (const seg of path) key = childKey(key, seg)
  return key
}

/** The segments of a block path: a label's occurrence index shows only when it is not the first. */
export function labeledBlockPath(parent: Path, type: string, label: string, occurrence: number): Path {
  // A literal or concat sizes the array exactly; a spread into [] leaves room for 17 items,
  // and every block keeps its path (about 2.5 MB for 20,000 blocks).
  if (parent.length === 0) return occurrence === 0 ? [type, label] : [type, label, occurrence]
  return occurrence === 0 ? parent.concat(type, label) : parent.concat(type, label, occurrence)
}

/** A span of source text, as offsets. */
export interface OffsetSpan {
  start: number
  end: number
}

/** Converts offsets to 1-based line and column (in UTF-16 code units) with a table of line starts, built on first use. */
export class LineMap {
  private starts: Uint32Array | undefined

  constructor(private readonly text: string) {}

  private table(): Uint32Array {
    if (this.starts) return this.starts
    let n = 1
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) n++
    const starts = new Uint32Array(n)
    let k = 1
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts[k++] = i + 1
    this.starts = starts
    return starts
  }

  at(offset: number): LineCol {
    const starts = this.table()
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return {line: lo + 1, column: offset - starts[lo]! + 1}
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string | undefined {
    const starts = this.table()
    const start = starts[line - 1]
    if (start === undefined) return undefined
    const next = starts[line]
    let end = next === undefined ? this.text.length : next - 1
    if (this.text.charCodeAt(end - 1) === 13) end--
    return this.text.slice(start, end)
  }

  /** A position with the end of the span (when it has one) for the caret line. */
  pos(file: string, span: OffsetSpan, withEnd: boolean): SourcePos {
    const at = this.at(span.start)
    // Fields named, not spread: one position per block of a 20,000-block file.
    if (!withEnd || span.end <= span.start) return {file, line: at.line, column: at.column}
    return {file, line: at.line, column: at.column, end: this.at(span.end)}
  }
}
