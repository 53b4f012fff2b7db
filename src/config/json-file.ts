// The JSON form (`*.hcl.json`): the same schema as the JSON form of HCL. Native
// JSON.parse builds the value; json-scan.ts records the outline for positions and finds
// what JSON.parse lets through (repeated keys, numbers too large, nesting too deep): a
// quick scan first, the full one only when the quick one suspects a problem. On
// a syntax error, jsonc-parser (which recovers and continues) gives every error's place.
import {createRequire} from 'node:module'

import type * as JsoncParser from 'jsonc-parser'

import type {Diagnostic} from '../errors.js'
import {JsonPositions} from './json-positions.js'
import {type JsonScanProblem, countMembers, scanJson, scanJsonQuick} from './json-scan.js'
import type {ParsedFile} from './parsed.js'
import {LineMap} from './source.js'

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

/**
 * Levels of the outline the first scan records: the top level, the block types and the
 * labels, so that every block's position is at hand; bodies are scanned when a message
 * needs a place in one (json-positions.ts).
 */
const OUTLINE_DEPTH = 2

export function parseJsonFile(file: string, text: string): {parsed?: ParsedFile; diagnostics: Diagnostic[]} {
  const lines = new LineMap(text)
  let scan = scanJsonQuick(text, OUTLINE_DEPTH)
  // The quick scan only suspects: any problem is found again, with its place, by the full one.
  if (scan.problems.length > 0 || scan.malformed || scan.bigNumber) scan = scanJson(text, OUTLINE_DEPTH)
  const problem = (p: JsonScanProblem): Diagnostic => ({
    severity: 'error',
    summary:
      p.key === undefined
        ? p.summary
        : `Duplicate key ${JSON.stringify(p.key)} (first at line ${lines.at(p.first ?? 0).line}); JSON objects cannot repeat a key, put repeated blocks in a list`,
    ...(p.detail ? {detail: p.detail} : {}),
    at: lines.pos(file, p, true),
  })
  // Too deep: nothing after the scan may recurse into it (jsonc-parser would, too).
  if (scan.problems.some((p) => p.summary === 'Too deeply nested')) return {diagnostics: scan.problems.map(problem)}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return {diagnostics: syntaxErrors(file, text, lines)}
  }
  // Fewer members than the text has colons outside strings: JSON.parse dropped a repeated key.
  if (scan.members !== undefined && countMembers(body) !== scan.members) scan = scanJson(text, OUTLINE_DEPTH)
  if (scan.problems.length > 0) return {diagnostics: scan.problems.map(problem)}
  if (typeof body !== 'object' || body === null || Array.isArray(body) || scan.root?.kind !== 'object') {
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
  return {
    parsed: {
      file,
      format: 'json',
      text,
      body: body as Record<string, unknown>,
      positions: new JsonPositions(file, text, scan.root, lines),
    },
    diagnostics: [],
  }
}

function syntaxErrors(file: string, text: string, lines: LineMap): Diagnostic[] {
  // Loaded here, on the error path only: its five CommonJS files cost a valid file's load ~8 ms.
  const {parseTree, printParseErrorCode} = createRequire(import.meta.url)('jsonc-parser') as typeof JsoncParser
  const errors: JsoncParser.ParseError[] = []
  try {
    parseTree(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false})
  } catch {
    // jsonc-parser recurses; the scan bounded the depth, but text that is not JSON can fool it.
  }
  const diagnostics: Diagnostic[] = []
  const seenOffsets = new Set<number>()
  for (const e of errors) {
    // jsonc-parser reports follow-up errors at the same place; the first says it best.
    if (seenOffsets.has(e.offset)) continue
    seenOffsets.add(e.offset)
    diagnostics.push({
      severity: 'error',
      summary: MESSAGES[printParseErrorCode(e.error)] ?? printParseErrorCode(e.error),
      at: lines.pos(file, {start: e.offset, end: e.offset + e.length}, true),
    })
  }
  if (diagnostics.length === 0)
    diagnostics.push({severity: 'error', summary: 'The file is not valid JSON', at: {file, line: 1, column: 1}})
  return diagnostics
}
