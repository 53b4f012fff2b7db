// Errors by audience (as in Shopify CLI): the user can fix an AbortError, an
// ExternalError wraps a failed program or service, anything else is a bug.
// One handler (src/cli/base-command.ts) prints them all.
import type {SourcePos} from './model/types.js'

export interface Diagnostic {
  severity: 'error' | 'warning'
  summary: string
  detail?: string
  /** Where in the configuration; syntax errors carry a column, semantic ones at least a line. */
  at?: SourcePos
  /** Resource address the diagnostic is about, for semantic errors. */
  address?: string
}

/** Formats `file:line:column: address: summary` (parts that are missing are left out). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.at ? `${d.at.file}:${d.at.line}${d.at.column ? `:${d.at.column}` : ''}: ` : ''
  const addr = d.address ? `${d.address}: ` : ''
  const level = d.severity === 'warning' ? 'warning: ' : ''
  return `${where}${level}${addr}${d.summary}${d.detail ? `\n  ${d.detail.replaceAll('\n', '\n  ')}` : ''}`
}

/** A problem the user can fix; `hint` says how. */
export class AbortError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'AbortError'
  }
}

/** The configuration is invalid; carries every diagnostic found. */
export class ConfigError extends AbortError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => formatDiagnostic(d))
        .join('\n'),
    )
    this.name = 'ConfigError'
  }
}

/** An external program or service failed. */
export class ExternalError extends Error {
  constructor(
    message: string,
    readonly command?: readonly string[],
    readonly stderr?: string,
    readonly exitCode?: number,
  ) {
    super(message)
    this.name = 'ExternalError'
  }
}
