// Diagnostics as `terraform validate -json` prints them (format 1.0): severity, summary,
// detail and a range with line, column and byte offset, so the editors and CI annotators
// that read Terraform's output read dockwall's. dockwall adds `address` (the resource a
// semantic error is about); Terraform's readers ignore keys they do not know.
import {readFileSync} from 'node:fs'

import type {Diagnostic} from '../errors.js'

export const VALIDATE_JSON_FORMAT_VERSION = '1.0'

export interface SourcePosJson {
  line: number
  column: number
  /** Offset in bytes from the start of the file (UTF-8). */
  byte: number
}

export interface DiagnosticJson {
  severity: 'error' | 'warning'
  summary: string
  detail: string
  address?: string
  range?: {filename: string; start: SourcePosJson; end: SourcePosJson}
}

export interface ValidateJson {
  format_version: typeof VALIDATE_JSON_FORMAT_VERSION
  valid: boolean
  error_count: number
  warning_count: number
  diagnostics: DiagnosticJson[]
}

/**
 * What a command run with --json prints on stdout when it fails (exit 1): the diagnostics
 * of `terraform validate -json` without `valid`, because the failure need not be the
 * configuration's (a Docker engine that does not answer, a bad flag, a held lock).
 * Scripts tell it from the command's own document by its `diagnostics` key.
 */
export interface FailureJson {
  format_version: typeof VALIDATE_JSON_FORMAT_VERSION
  error_count: number
  warning_count: number
  diagnostics: DiagnosticJson[]
}

export function failureToJson(diagnostics: readonly Diagnostic[], source: SourceText): FailureJson {
  const {valid: _valid, ...rest} = validateToJson(diagnostics, source)
  return rest
}

/** The text of a configuration file, to turn lines and columns into byte offsets; undefined when unreadable. */
export type SourceText = (file: string) => string | undefined

/** Configuration files read from disk, each once; undefined for a file that cannot be read. */
export function sourceFromDisk(): SourceText {
  const texts = new Map<string, string | undefined>()
  return (file) => {
    if (!texts.has(file)) {
      let text: string | undefined
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        text = undefined
      }
      texts.set(file, text)
    }
    return texts.get(file)
  }
}

export function validateToJson(diagnostics: readonly Diagnostic[], source: SourceText): ValidateJson {
  const errors = diagnostics.filter((d) => d.severity === 'error').length
  return {
    format_version: VALIDATE_JSON_FORMAT_VERSION,
    valid: errors === 0,
    error_count: errors,
    warning_count: diagnostics.length - errors,
    diagnostics: diagnostics.map((d) => diagnosticToJson(d, source)),
  }
}

export function diagnosticToJson(d: Diagnostic, source: SourceText): DiagnosticJson {
  const json: DiagnosticJson = {severity: d.severity, summary: d.summary, detail: d.detail ?? ''}
  if (d.address !== undefined) json.address = d.address
  if (d.at) {
    const lines = lineStarts(source(d.at.file))
    const start = {line: d.at.line, column: Math.max(1, d.at.column)}
    // Without an end, the range is the one character at the start, as Terraform's minimum.
    const end = d.at.end ?? {line: start.line, column: start.column + 1}
    json.range = {
      filename: d.at.file,
      start: {...start, byte: byteAt(lines, start)},
      end: {...end, byte: byteAt(lines, end)},
    }
  }
  return json
}

interface Lines {
  text: string[]
  /** Byte offset of each line's first character. */
  starts: number[]
}

function lineStarts(text: string | undefined): Lines | undefined {
  if (text === undefined) return undefined
  const lines = text.split('\n')
  const starts: number[] = []
  let byte = 0
  for (const line of lines) {
    starts.push(byte)
    byte += Buffer.byteLength(line, 'utf8') + 1
  }
  return {text: lines, starts}
}

/** The byte offset of a 1-based line and column (columns count characters); 0 when the file cannot be read. */
function byteAt(lines: Lines | undefined, pos: {line: number; column: number}): number {
  const i = pos.line - 1
  if (!lines || i < 0 || i >= lines.text.length) return 0
  const line = lines.text[i] as string
  return (lines.starts[i] as number) + Buffer.byteLength(line.slice(0, Math.max(0, pos.column - 1)), 'utf8')
}
