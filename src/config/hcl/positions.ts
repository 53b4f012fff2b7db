// Positions in an HCL file, found lazily. The loader keeps one record per top-level item
// (its name, labels and offsets); the first time a message needs a place inside an item,
// that item alone is parsed again into a full syntax tree, and the path is followed in it.
import type {SourcePos} from '../../model/types.js'
import {LineMap, type OffsetSpan, type Path, type PositionIndex} from '../source.js'
import type {Attribute, Block, Body, Expr} from './ast.js'
import {literalOf, parseHcl} from './parser.js'

/** A top-level attribute or block, as the loader saw it go by. */
export interface TopItem {
  kind: 'attribute' | 'block'
  name: string
  labels: string[]
  start: number
  end: number
  /** End of a block's header (its last label, or its type). */
  headerEnd: number
}

interface Group {
  attr?: TopItem
  blocks: TopItem[]
  /** Blocks by first label. */
  byLabel: Map<string, TopItem[]>
}

type Want = 'value' | 'name'

interface Found {
  span: OffsetSpan
  /** An attribute value or expression: the caret spans it. */
  ranged: boolean
  exact: boolean
}

export class HclPositions implements PositionIndex {
  private byName: Map<string, Group> | undefined
  private readonly trees = new Map<number, Attribute | Block>()
  private readonly lines: LineMap

  constructor(
    readonly file: string,
    private readonly src: string,
    private readonly tops: readonly TopItem[],
    lines?: LineMap,
  ) {
    this.lines = lines ?? new LineMap(src)
  }

  locate(path: Path): SourcePos {
    return this.pos(this.find(path, 'value'))
  }

  locateName(path: Path): SourcePos {
    return this.pos(this.find(path, 'name'))
  }

  has(path: Path): boolean {
    return this.find(path, 'value').exact
  }

  private pos(f: Found): SourcePos {
    return this.lines.pos(this.file, f.span, f.ranged)
  }

  private tree(top: TopItem): Attribute | Block | undefined {
    let t = this.trees.get(top.start)
    if (!t) {
      const r = parseHcl(this.src, {start: top.start, single: true})
      t = r.body.items[0]
      if (t) this.trees.set(top.start, t)
    }
    return t
  }

  private find(path: Path, want: Want): Found {
    const none: Found = {span: {start: 0, end: 0}, ranged: false, exact: path.length === 0}
    const first = path[0]
    if (typeof first !== 'string') return none
    this.byName ??= groupTops(this.tops)
    const group = this.byName.get(first)
    if (!group) return none
    if (group.attr) {
      const t = this.tree(group.attr)
      return t?.kind === 'attribute' ? attrFound(t, path.slice(1), want) : none
    }
    // A label picks its blocks from the index: every block's own position is asked for once.
    const label = path[1]
    const labeled = (group.blocks[0]?.labels.length ?? 0) > 0
    const candidates = labeled && typeof label === 'string' ? (group.byLabel.get(label) ?? group.blocks) : group.blocks
    const chosen = chooseBlock(candidates, path, 1, (t) => t.labels)
    if (!chosen) return none
    const rest = path.slice(chosen.used)
    // The header is in the record: only a path into the body reads the block again.
    if (rest.length === 0)
      return {span: {start: chosen.item.start, end: chosen.item.headerEnd}, ranged: false, exact: true}
    const t = this.tree(chosen.item)
    if (t?.kind !== 'block') return none
    return blockFound(t, rest, want)
  }
}

function groupTops(tops: readonly TopItem[]): Map<string, Group> {
  const m = new Map<string, Group>()
  for (const t of tops) {
    let g = m.get(t.name)
    if (!g) m.set(t.name, (g = {blocks: [], byLabel: new Map()}))
    if (t.kind === 'attribute') {
      g.attr ??= t
      continue
    }
    g.blocks.push(t)
    const l = t.labels[0]
    if (l === undefined) continue
    const same = g.byLabel.get(l)
    if (same) same.push(t)
    else g.byLabel.set(l, [t])
  }
  return m
}

/**
 * Picks the block a path names among blocks of one type: by label (and occurrence) for
 * labeled blocks, by index for unlabeled ones. `i` is where the label or index starts.
 */
function chooseBlock<B>(
  blocks: readonly B[],
  path: Path,
  i: number,
  labelsOf: (b: B) => readonly string[],
): {item: B; used: number} | undefined {
  const [b0] = blocks
  if (b0 === undefined) return undefined
  if (labelsOf(b0).length === 0) {
    const idx = path[i]
    if (typeof idx === 'number') {
      const b = blocks[idx]
      return b === undefined ? {item: b0, used: i} : {item: b, used: i + 1}
    }
    return {item: b0, used: i}
  }
  const label = path[i]
  if (typeof label !== 'string') return {item: b0, used: i}
  let matching = blocks.filter((b) => labelsOf(b)[0] === label)
  if (matching.length === 0) return {item: b0, used: i}
  let used = i + 1
  // Extra labels (only in invalid configurations): follow them while they match.
  for (let k = 1; typeof path[used] === 'string'; k++) {
    const more = matching.filter((b) => labelsOf(b)[k] === path[used])
    if (more.length === 0) break
    matching = more
    used++
  }
  const occ = path[used]
  if (typeof occ === 'number' && matching[occ] !== undefined) return {item: matching[occ], used: used + 1}
  return {item: matching[0]!, used}
}

function header(b: Block): OffsetSpan {
  const last = b.labels[b.labels.length - 1]
  return {start: b.start, end: last ? last.end : b.typeSpan.end}
}

function blockFound(b: Block, rest: Path, want: Want): Found {
  if (rest.length === 0) return {span: header(b), ranged: false, exact: true}
  const r = bodyFound(b.body, rest, want)
  return r ?? {span: header(b), ranged: false, exact: false}
}

function bodyFound(body: Body, rest: Path, want: Want): Found | undefined {
  const name = rest[0]
  if (typeof name !== 'string') return undefined
  for (const item of body.items)
    if (item.kind === 'attribute' && item.name === name) return attrFound(item, rest.slice(1), want)
  const blocks = body.items.filter((i): i is Block => i.kind === 'block' && i.type === name)
  const chosen = chooseBlock(blocks, rest, 1, (b) => b.labels.map((l) => l.value))
  return chosen ? blockFound(chosen.item, rest.slice(chosen.used), want) : undefined
}

function attrFound(a: Attribute, rest: Path, want: Want): Found {
  if (rest.length === 0)
    return want === 'name' ? {span: a.nameSpan, ranged: true, exact: true} : {span: a.expr, ranged: true, exact: true}
  return exprFound(a.expr, rest, want) ?? {span: a.expr, ranged: true, exact: false}
}

function exprFound(e: Expr, rest: Path, want: Want): Found | undefined {
  const seg = rest[0]
  if (seg === undefined) return {span: e, ranged: true, exact: true}
  let next: Expr | undefined
  let keySpan: OffsetSpan | undefined
  if (typeof seg === 'number' && e.kind === 'tuple') next = e.items[seg]
  else if (typeof seg === 'string' && e.kind === 'object') {
    const item = e.items.find((it) => keyText(it.key) === seg)
    if (item) {
      next = item.value
      keySpan = item.key
    }
  } else if (e.kind === 'template' && e.parts.length === 1 && e.parts[0]?.kind === 'interp') {
    // "${[...]}" is its expression.
    return exprFound(e.parts[0].expr, rest, want)
  }
  if (!next) return undefined
  if (rest.length === 1 && want === 'name' && keySpan) return {span: keySpan, ranged: true, exact: true}
  return exprFound(next, rest.slice(1), want) ?? {span: next, ranged: true, exact: false}
}

function keyText(k: Expr): string | undefined {
  if (k.kind === 'traversal') return k.names.join('.')
  if (k.kind === 'number') return String(k.value)
  return literalOf(k)
}
