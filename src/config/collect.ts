// Merges the files: every top-level block of every file becomes one Block with its
// source file, path and position. Checks here are about structure only: known block
// types, labels (count and spelling), and labels or singletons declared twice, across
// files too, naming both positions.
import type {Diagnostic} from '../errors.js'
import {labelError} from '../model/names.js'
import type {SourcePos} from '../model/types.js'
import {type TopLevelBlock, SINGLETON_BLOCKS, TOP_LEVEL_BLOCKS, isTopLevelBlock} from './blocks.js'
import type {ParsedFile} from './parsed.js'
import {type Path, labeledBlockPath} from './source.js'
import {didYouMean} from './suggest.js'

export interface Block {
  type: TopLevelBlock
  /** Undefined for unlabeled blocks (dockwall, firewall, import). */
  label?: string
  body: Record<string, unknown>
  src: ParsedFile
  path: Path
  address: string
  at: SourcePos
}

export function where(at: SourcePos): string {
  return `${at.file}:${at.line}`
}

function isBody(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Block bodies under a label or type: hcl2-parser always gives a list; the JSON form may give one object. */
export function bodiesOf(value: unknown, src: ParsedFile): Array<Record<string, unknown>> | undefined {
  if (Array.isArray(value)) return value.every(isBody) ? value : undefined
  if (src.format === 'json' && isBody(value)) return [value]
  return undefined
}

export function collectBlocks(files: readonly ParsedFile[]): {blocks: Block[]; diagnostics: Diagnostic[]} {
  const c = new Collector()
  for (const src of files) {
    for (const [type, value] of Object.entries(src.body)) {
      if (type === '$schema' && src.format === 'json') continue // editors' pointer to the JSON Schema
      const typeAt = src.positions.locateName([type])
      if (!isTopLevelBlock(type)) {
        c.diagnostics.push({
          severity: 'error',
          summary: `unknown block type "${type}"${didYouMean(type, Object.keys(TOP_LEVEL_BLOCKS))}`,
          detail: `Blocks are: ${Object.keys(TOP_LEVEL_BLOCKS).join(', ')}.`,
          at: typeAt,
        })
      } else if (TOP_LEVEL_BLOCKS[type] === 'unlabeled') c.unlabeled(src, type, value, typeAt)
      else c.labeled(src, type, value, typeAt)
    }
  }
  return {blocks: c.blocks, diagnostics: c.diagnostics}
}

/** The blocks found so far, in file order, and the first block of each address. */
class Collector {
  readonly blocks: Block[] = []
  readonly diagnostics: Diagnostic[] = []
  private readonly firstByAddress = new Map<string, Block>()

  /** `dockwall { }`, `firewall { }`, `import { }`: no label. */
  unlabeled(src: ParsedFile, type: TopLevelBlock, value: unknown, typeAt: SourcePos): void {
    const bodies = bodiesOf(value, src)
    if (!bodies) {
      this.diagnostics.push({
        severity: 'error',
        summary: `a ${type} block takes no label: write ${type} { ... }`,
        at: typeAt,
        address: type,
      })
      return
    }
    bodies.forEach((body, i) => {
      const path = [type, i]
      this.add({type, body, src, path, address: type, at: src.positions.locate(path)})
    })
  }

  /** `network "NAME" { }` and the other labeled blocks. */
  labeled(src: ParsedFile, type: TopLevelBlock, value: unknown, typeAt: SourcePos): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.diagnostics.push({
        severity: 'error',
        summary: `a ${type} block needs a label: write ${type} "NAME" { ... }`,
        at: typeAt,
      })
      return
    }
    const byLabel = value as Record<string, unknown>
    // Object.keys, not Object.entries: on a JSON.parse'd object of 20,000 labels (a
    // dictionary, to V8) entries cost about 35 ms of a cold run, keys about 6.
    for (const label of Object.keys(byLabel)) {
      const labelValue = byLabel[label]
      const address = `${type === 'variable' ? 'var' : type}.${label}`
      const bodies = bodiesOf(labelValue, src)
      const labelAt = src.positions.locate([type, label])
      if (!bodies) {
        this.diagnostics.push({
          severity: 'error',
          summary: `a ${type} block takes exactly one label: write ${type} "${label}" { ... }`,
          at: labelAt,
          address,
        })
        continue
      }
      // Reported, but the block is kept: references to it still resolve, so one
      // mistake gives one error.
      const bad = labelError(label)
      if (bad)
        this.diagnostics.push({severity: 'error', summary: `invalid label "${label}": ${bad}`, at: labelAt, address})
      bodies.forEach((body, i) => {
        const path = labeledBlockPath([], type, label, i)
        // The first body's path is the label's: its position is labelAt.
        this.add({type, label, body, src, path, address, at: i === 0 ? labelAt : src.positions.locate(path)})
      })
    }
  }

  /** Keeps a block unless its address (or a singleton's type) was declared already. */
  private add(b: Block): void {
    const prev = this.firstByAddress.get(b.address)
    if (prev && (b.label !== undefined || SINGLETON_BLOCKS.has(b.type))) {
      const what = b.label === undefined ? `a second ${b.type} block` : `${b.address} is declared twice`
      this.diagnostics.push({
        severity: 'error',
        summary: `${what}; the first is at ${where(prev.at)}`,
        at: b.at,
        address: b.address,
      })
      return
    }
    if (!prev) this.firstByAddress.set(b.address, b)
    this.blocks.push(b)
  }
}
