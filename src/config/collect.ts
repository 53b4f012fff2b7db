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

/** Block bodies under a label or type: hcl2-parser always gives a list; the JSON form may give one object. */
export function bodiesOf(value: unknown, src: ParsedFile): Array<Record<string, unknown>> | undefined {
  const isBody = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  if (Array.isArray(value)) return value.every(isBody) ? value : undefined
  if (src.format === 'json' && isBody(value)) return [value]
  return undefined
}

export function collectBlocks(files: readonly ParsedFile[]): {blocks: Block[]; diagnostics: Diagnostic[]} {
  const blocks: Block[] = []
  const diagnostics: Diagnostic[] = []
  const firstByAddress = new Map<string, Block>()

  const add = (b: Block): void => {
    const prev = firstByAddress.get(b.address)
    if (prev && (b.label !== undefined || SINGLETON_BLOCKS.has(b.type))) {
      const what = b.label === undefined ? `a second ${b.type} block` : `${b.address} is declared twice`
      diagnostics.push({
        severity: 'error',
        summary: `${what}; the first is at ${where(prev.at)}`,
        at: b.at,
        address: b.address,
      })
      return
    }
    if (!prev) firstByAddress.set(b.address, b)
    blocks.push(b)
  }

  for (const src of files) {
    for (const [type, value] of Object.entries(src.body)) {
      if (type === '$schema' && src.format === 'json') continue // editors' pointer to the JSON Schema
      const typeAt = src.positions.locateName([type])
      if (!isTopLevelBlock(type)) {
        diagnostics.push({
          severity: 'error',
          summary: `unknown block type "${type}"${didYouMean(type, Object.keys(TOP_LEVEL_BLOCKS))}`,
          detail: `Blocks are: ${Object.keys(TOP_LEVEL_BLOCKS).join(', ')}.`,
          at: typeAt,
        })
        continue
      }
      if (TOP_LEVEL_BLOCKS[type] === 'unlabeled') {
        const bodies = bodiesOf(value, src)
        if (!bodies) {
          diagnostics.push({
            severity: 'error',
            summary: `a ${type} block takes no label: write ${type} { ... }`,
            at: typeAt,
            address: type,
          })
          continue
        }
        bodies.forEach((body, i) => {
          const path = [type, i]
          add({type, body, src, path, address: type, at: src.positions.locate(path)})
        })
        continue
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        diagnostics.push({
          severity: 'error',
          summary: `a ${type} block needs a label: write ${type} "NAME" { ... }`,
          at: typeAt,
        })
        continue
      }
      for (const [label, labelValue] of Object.entries(value as Record<string, unknown>)) {
        const address = `${type === 'variable' ? 'var' : type}.${label}`
        const bodies = bodiesOf(labelValue, src)
        const labelAt = src.positions.locate([type, label])
        if (!bodies) {
          diagnostics.push({
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
          diagnostics.push({severity: 'error', summary: `invalid label "${label}": ${bad}`, at: labelAt, address})
        bodies.forEach((body, i) => {
          const path = labeledBlockPath([], type, label, i)
          add({type, label, body, src, path, address, at: src.positions.locate(path)})
        })
      }
    }
  }
  return {blocks, diagnostics}
}
