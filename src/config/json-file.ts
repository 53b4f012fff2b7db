// The JSON form (`*.hcl.json`): same schema as the JSON hcl2-parser makes of HCL.
// jsonc-parser gives a tree with offsets, so syntax errors get line and column and
// every block and attribute gets a position (same paths as HCL, see source.ts).
import {type Node, type ParseError, parseTree, printParseErrorCode} from 'jsonc-parser'

import type {Diagnostic} from '../errors.js'
import {NESTED_BLOCKS, TOP_LEVEL_BLOCKS} from './blocks.js'
import type {ParsedFile} from './parsed.js'
import {type LineCol, LineMap, type Path, PositionIndex, labeledBlockPath, pathKey} from './source.js'

// Keyed by printParseErrorCode's names: the ParseErrorCode enum is an ambient const
// enum, which verbatimModuleSyntax cannot read.
const MESSAGES: Record<string, string> = {
  InvalidSymbol: 'Invalid character',
  InvalidNumberFormat: 'Invalid number',
  PropertyNameExpected: 'Expected a property name in double quotes (JSON allows no trailing comma)',
  ValueExpected: 'Expected a value',
  ColonExpected: 'Expected ":" after the property name',
  CommaExpected: 'Expected "," or the end of the object or array',
  CloseBraceExpected: 'Expected "}": the object is not closed',
  CloseBracketExpected: 'Expected "]": the array is not closed',
  EndOfFileExpected: 'Expected the end of the file after the top-level object',
  InvalidCommentToken: 'Comments are not allowed in JSON',
  UnexpectedEndOfComment: 'Unclosed comment',
  UnexpectedEndOfString: 'Unterminated string',
  UnexpectedEndOfNumber: 'Incomplete number',
  InvalidUnicode: 'Invalid unicode escape',
  InvalidEscapeCharacter: 'Invalid escape sequence in string',
  InvalidCharacter: 'Invalid character in string (control characters must be escaped)',
}

export function parseJsonFile(file: string, text: string): {parsed?: ParsedFile; diagnostics: Diagnostic[]} {
  const lines = new LineMap(text)
  const errors: ParseError[] = []
  const root = parseTree(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false})
  const diagnostics: Diagnostic[] = []
  const seenOffsets = new Set<number>()
  for (const e of errors) {
    // jsonc-parser reports follow-up errors at the same place; the first says it best.
    if (seenOffsets.has(e.offset)) continue
    seenOffsets.add(e.offset)
    diagnostics.push({
      severity: 'error',
      summary: MESSAGES[printParseErrorCode(e.error)] ?? printParseErrorCode(e.error),
      at: {file, ...lines.at(e.offset)},
    })
  }
  if (diagnostics.length > 0) return {diagnostics}
  if (!root || root.type !== 'object') {
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: 'The top level of a .hcl.json file must be an object of blocks',
          at: {file, line: 1, column: 1},
        },
      ],
    }
  }
  const body = toValue(root, file, lines, diagnostics) as Record<string, unknown>
  const found = new Map<string, LineCol>()
  const record = (path: Path, offset: number): void => {
    const key = pathKey(path)
    if (!found.has(key)) found.set(key, lines.at(offset))
  }
  walkBlocks(root, [], TOP_LEVEL_BLOCKS, record)
  return {parsed: {file, format: 'json', body, positions: new PositionIndex(file, found)}, diagnostics}
}

/** The node's JSON value; a key given twice in one object is an error (JSON.parse would keep the last silently). */
function toValue(node: Node, file: string, lines: LineMap, diags: Diagnostic[]): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const first = new Map<string, number>()
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? []
        if (!k || !v) continue
        const key = k.value as string
        const prev = first.get(key)
        if (prev !== undefined) {
          const p = lines.at(prev)
          diags.push({
            severity: 'error',
            summary: `Duplicate key "${key}" (first at line ${p.line}); JSON objects cannot repeat a key, put repeated blocks in a list`,
            at: {file, ...lines.at(k.offset)},
          })
        } else {
          first.set(key, k.offset)
        }
        out[key] = toValue(v, file, lines, diags)
      }
      return out
    }
    case 'array':
      return (node.children ?? []).map((c) => toValue(c, file, lines, diags))
    default:
      return node.value
  }
}

type Record_ = (path: Path, offset: number) => void

function props(node: Node): Array<{key: string; keyOffset: number; value: Node}> {
  if (node.type !== 'object') return []
  const out: Array<{key: string; keyOffset: number; value: Node}> = []
  for (const p of node.children ?? []) {
    const [k, v] = p.children ?? []
    if (k && v) out.push({key: k.value as string, keyOffset: k.offset, value: v})
  }
  return out
}

/** Blocks of a body, by the table of which names are blocks here; everything else is an attribute. */
function walkBlocks(node: Node, prefix: Path, blocks: Readonly<Record<string, string>>, record: Record_): void {
  for (const {key, keyOffset, value} of props(node)) {
    const kind = blocks[key]
    if (kind === 'labeled' && value.type === 'object') {
      record([...prefix, key], keyOffset)
      for (const label of props(value)) {
        const bodies = label.value.type === 'array' ? (label.value.children ?? []) : [label.value]
        bodies.forEach((b, i) => {
          const path = labeledBlockPath(prefix, key, label.key, i)
          record(path, i === 0 ? label.keyOffset : b.offset)
          walkBody(b, path, key, record)
        })
      }
    } else if (kind === 'unlabeled') {
      record([...prefix, key], keyOffset)
      const bodies = value.type === 'array' ? (value.children ?? []) : [value]
      bodies.forEach((b, i) => {
        const path = [...prefix, key, i]
        record(path, value.type === 'array' ? b.offset : keyOffset)
        walkBody(b, path, key, record)
      })
    } else {
      record([...prefix, key], keyOffset)
      walkValue(value, [...prefix, key], record)
    }
  }
}

function walkBody(node: Node, path: Path, type: string, record: Record_): void {
  walkBlocks(node, path, NESTED_BLOCKS[type] ?? {}, record)
}

function walkValue(node: Node, path: Path, record: Record_): void {
  if (node.type === 'array') {
    ;(node.children ?? []).forEach((c, i) => {
      record([...path, i], c.offset)
      walkValue(c, [...path, i], record)
    })
  } else if (node.type === 'object') {
    for (const {key, keyOffset, value} of props(node)) {
      record([...path, key], keyOffset)
      walkValue(value, [...path, key], record)
    }
  }
}
