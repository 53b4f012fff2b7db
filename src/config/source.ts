// Source positions. Neither hcl2-parser nor the merged JSON carries positions, so each
// file gets a PositionIndex: a map from a *path* to the line and column where that
// block or attribute was written. HCL files fill it with the scanner (scan-hcl.ts),
// .hcl.json files from jsonc-parser's tree (json-file.ts).
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
  return occurrence === 0 ? [...parent, type, label] : [...parent, type, label, occurrence]
}

export class PositionIndex {
  constructor(
    readonly file: string,
    private readonly entries: Map<string, LineCol>,
  ) {}

  /** Where `path` was written; falls back to its nearest recorded ancestor, then to the file's first line. */
  locate(path: Path): SourcePos {
    const keys: string[] = []
    let key = ''
    for (const seg of path) keys.push((key = childKey(key, seg)))
    // Most lookups hit exactly; the fallback walks up from the deepest prefix.
    for (let i = keys.length - 1; i >= 0; i--) {
      const hit = this.entries.get(keys[i]!)
      if (hit) return {file: this.file, line: hit.line, column: hit.column}
    }
    return {file: this.file, line: 1, column: 1}
  }

  /** True when exactly this path was recorded (no fallback). */
  has(path: Path): boolean {
    return this.entries.has(pathKey(path))
  }

  /** The recorded entries, for the parse cache and for tests. */
  toEntries(): Array<[string, number, number]> {
    return [...this.entries].map(([k, p]) => [k, p.line, p.column])
  }

  static fromEntries(file: string, entries: Array<[string, number, number]>): PositionIndex {
    return new PositionIndex(file, new Map(entries.map(([k, line, column]) => [k, {line, column}])))
  }
}

/** Converts offsets to 1-based line and column (in UTF-16 code units) with a table of line starts. */
export class LineMap {
  private readonly starts: number[] = [0]

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1)
  }

  at(offset: number): LineCol {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return {line: lo + 1, column: offset - this.starts[lo]! + 1}
  }
}
