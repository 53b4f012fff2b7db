// Positions in a .hcl.json file, on the outline json-scan.ts recorded; a level below the
// outline is scanned on first use. Paths follow the same rules as HCL's (source.ts): the
// block tables say which keys are blocks, so `container.lb.route[1]` finds the second
// body of `"route": [...]`, and `rule.web` finds the label key whether its value is one
// body or a list of them.
import type {SourcePos} from '../model/types.js'
import {NESTED_BLOCKS, TOP_LEVEL_BLOCKS} from './blocks.js'
import {type JsonNode, scanJson} from './json-scan.js'
import type {LineMap} from './source.js'
import {type OffsetSpan, type Path, type PositionIndex} from './source.js'

type Want = 'value' | 'name'

interface Found {
  span: OffsetSpan
  ranged: boolean
  exact: boolean
}

export class JsonPositions implements PositionIndex {
  constructor(
    readonly file: string,
    private readonly text: string,
    private readonly root: JsonNode,
    private readonly lines: LineMap,
  ) {}

  locate(path: Path): SourcePos {
    const f = this.find(path, 'value')
    return this.lines.pos(this.file, f.span, f.ranged)
  }

  locateName(path: Path): SourcePos {
    const f = this.find(path, 'name')
    return this.lines.pos(this.file, f.span, f.ranged)
  }

  has(path: Path): boolean {
    return this.find(path, 'value').exact
  }

  private children(n: JsonNode): JsonNode {
    if ((n.kind === 'object' && !n.keys) || (n.kind === 'array' && !n.items)) {
      const sub = scanJson(this.text, Number.MAX_SAFE_INTEGER, n.start, n.end).root
      if (sub?.keys) n.keys = sub.keys
      if (sub?.items) n.items = sub.items
      n.keys ??= new Map()
      n.items ??= []
    }
    return n
  }

  /** A block type's key, where a path that names no block of that type ends up. */
  private typeFound(child: JsonNode, rest: Path): Found {
    return {span: this.key(child), ranged: false, exact: rest.length === 1}
  }

  /** Whether an array has an item, without scanning it when its items were not recorded. */
  private hasItem(n: JsonNode): boolean {
    if (n.items) return n.items.length > 0
    let i = n.start + 1
    for (let c = this.text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = this.text.charCodeAt(++i));
    return i < n.end && this.text.charCodeAt(i) !== 93
  }

  private key(n: JsonNode): OffsetSpan {
    return n.keyStart >= 0 ? {start: n.keyStart, end: n.keyEnd} : n
  }

  private find(path: Path, want: Want): Found {
    const r = this.body(this.root, path, TOP_LEVEL_BLOCKS, want)
    return r ?? {span: {start: 0, end: 0}, ranged: false, exact: path.length === 0}
  }

  /** A body (an object of attributes and blocks) and a path inside it. */
  private body(node: JsonNode, rest: Path, blocks: Readonly<Record<string, string>>, want: Want): Found | undefined {
    const name = rest[0]
    if (typeof name !== 'string' || node.kind !== 'object') return undefined
    const child = this.children(node).keys!.get(name)
    if (!child) return undefined
    const kind = blocks[name]
    if (kind === 'labeled') {
      const label = rest[1]
      if (typeof label !== 'string' || child.kind !== 'object') return this.typeFound(child, rest)
      const labelNode = this.children(child).keys!.get(label)
      if (!labelNode) return this.typeFound(child, rest)
      return this.bodies(labelNode, rest, 2, name, want, true)
    }
    if (kind === 'unlabeled') return this.bodies(child, rest, 1, name, want, false)
    if (rest.length === 1)
      return want === 'name'
        ? {span: this.key(child), ranged: true, exact: true}
        : {span: child, ranged: true, exact: true}
    return this.value(child, rest.slice(1), want) ?? {span: child, ranged: true, exact: false}
  }

  /** One body or a list of bodies; rest[i] may pick one by index. */
  private bodies(node: JsonNode, rest: Path, i: number, type: string, want: Want, labeled: boolean): Found {
    const idx = typeof rest[i] === 'number' ? (rest[i] as number) : undefined
    const used = idx === undefined ? i : i + 1
    let body: JsonNode | undefined
    let at: OffsetSpan
    if (node.kind === 'array') {
      // A labeled block's first body is found at its label: only whether it is there needs the list.
      if (labeled && (idx ?? 0) === 0 && used === rest.length)
        return {span: this.key(node), ranged: false, exact: this.hasItem(node)}
      body = this.children(node).items![idx ?? 0]
      // A labeled block's first body is found at its label, as in HCL; the others (and unlabeled ones) at their `{`.
      at = body && (!labeled || (idx ?? 0) > 0) ? body : this.key(node)
    } else {
      body = idx === undefined || idx === 0 ? node : undefined
      at = this.key(node)
    }
    const here: Found = {span: at, ranged: false, exact: used === rest.length && body !== undefined}
    if (!body || used === rest.length) return here
    return this.body(body, rest.slice(used), NESTED_BLOCKS[type] ?? {}, want) ?? {...here, exact: false}
  }

  private value(node: JsonNode, rest: Path, want: Want): Found | undefined {
    const seg = rest[0]
    if (seg === undefined) return {span: node, ranged: true, exact: true}
    let next: JsonNode | undefined
    if (typeof seg === 'number' && node.kind === 'array') next = this.children(node).items![seg]
    else if (typeof seg === 'string' && node.kind === 'object') next = this.children(node).keys!.get(seg)
    if (!next) return undefined
    if (rest.length === 1 && want === 'name' && next.keyStart >= 0)
      return {span: this.key(next), ranged: true, exact: true}
    return this.value(next, rest.slice(1), want) ?? {span: next, ranged: true, exact: false}
  }
}
