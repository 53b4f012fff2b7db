// HCL files: dockwall's own parser (hcl/parser.ts) turns the text into the JSON form
// the loader reads (hcl/to-json.ts, the JSON hcl2-parser gives; hcl2-parser stays in the
// tests as the oracle), reports every syntax error with its position, and keeps one
// record per top-level block for positions (hcl/positions.ts).
import type {Diagnostic} from '../errors.js'
import type {SyntaxError} from './hcl/ast.js'
import {parseHcl} from './hcl/parser.js'
import {HclPositions, type TopItem} from './hcl/positions.js'
import {Converter, type JsonObject} from './hcl/to-json.js'
import type {ParsedFile} from './parsed.js'
import {LineMap} from './source.js'

export function parseHclFile(file: string, text: string): {parsed?: ParsedFile; diagnostics: Diagnostic[]} {
  const errors: SyntaxError[] = []
  const conv = new Converter(text, errors)
  const body: JsonObject = {}
  const tops: TopItem[] = []
  const r = parseHcl(text, {
    onItem: (item) => {
      tops.push(
        item.kind === 'block'
          ? {
              kind: 'block',
              name: item.type,
              labels: item.labels.map((l) => l.value),
              start: item.start,
              end: item.end,
              headerEnd: item.labels.at(-1)?.end ?? item.typeSpan.end,
            }
          : {kind: 'attribute', name: item.name, labels: [], start: item.start, end: item.end, headerEnd: item.end},
      )
      conv.item(item, body)
    },
  })
  const lines = new LineMap(text)
  const all = [...r.errors, ...errors].sort((a, b) => a.start - b.start)
  if (all.length > 0) return {diagnostics: syntaxDiagnostics(file, all, lines)}
  return {
    parsed: {file, format: 'hcl', text, body, positions: new HclPositions(file, text, tops, lines)},
    diagnostics: [],
  }
}

export function syntaxDiagnostics(file: string, errors: readonly SyntaxError[], lines: LineMap): Diagnostic[] {
  return errors.map((e) => ({
    severity: 'error',
    summary: e.summary,
    ...(e.detail ? {detail: e.detail} : {}),
    at: lines.pos(file, e, true),
  }))
}
