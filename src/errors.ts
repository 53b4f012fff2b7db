// Errors by audience (as in Shopify CLI): the user can fix an AbortError, an
// ExternalError wraps a failed program or service, anything else is a bug.
// One handler (src/cli/base-command.ts) prints them all.
import type {SourcePos} from './model/types.js'

/** Diagnostics a caller may act on, recognised by this code rather than by their words. */
export type DiagnosticCode =
  /** The configuration path does not exist, or its directory holds no configuration file. */
  'config-not-found'

export interface Diagnostic {
  severity: 'error' | 'warning'
  code?: DiagnosticCode
  summary: string
  detail?: string
  /** Where in the configuration; syntax errors carry a column, semantic ones at least a line. */
  at?: SourcePos
  /** Resource address the diagnostic is about, for semantic errors. */
  address?: string
  /** The source line `at` points into, quoted under the message with a caret line. */
  source?: string
}

/** Longest source line quoted in full; longer ones are cut around the caret. */
const SNIPPET_WIDTH = 120

/**
 * Formats `file:line:column: address: summary` (parts that are missing are left out), then
 * the detail; with `snippet`, the source line and a caret line under what it is about,
 * as Terraform quotes it. Control characters from the configuration are escaped.
 */
export function formatDiagnostic(d: Diagnostic, opts: {snippet?: boolean} = {}): string {
  const where = d.at ? `${escapeControl(d.at.file)}:${d.at.line}${d.at.column ? `:${d.at.column}` : ''}: ` : ''
  const addr = d.address ? `${escapeControl(d.address)}: ` : ''
  const level = d.severity === 'warning' ? 'warning: ' : ''
  const snippet = opts.snippet && d.at && d.source !== undefined ? `\n${quoteSource(d.source, d.at)}` : ''
  const detail = d.detail ? `\n  ${escapeControl(d.detail, true).replaceAll('\n', '\n  ')}` : ''
  return `${where}${level}${addr}${escapeControl(d.summary)}${snippet}${detail}`
}

/**
 * Escapes control characters (and lone surrogates) as \xNN / \uNNNN, so text from a file
 * cannot move the cursor, clear the screen or split a message. `keepNewlines` leaves the
 * line breaks of a multi-line detail.
 */
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
/* eslint-enable no-control-regex */

export function escapeControl(text: string, keepNewlines = false): string {
  return text.replace(CONTROL, (c) => {
    if (keepNewlines && c === '\n') return c
    if (c === '\t') return '\\t'
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** `  14:   port = 70000` and, under it, `^^^^^` under the columns `at` spans on that line. */
function quoteSource(source: string, at: NonNullable<Diagnostic['at']>): string {
  // A tab shows as one space so the caret line stays under it; other control characters are escaped.
  const shown = (s: string): string => escapeControl(s.replaceAll('\t', ' '))
  let start = Math.max(0, at.column - 1)
  // Without an end (a block's position), the word or quoted label there; a span over
  // several lines, the rest of its first line.
  let end = at.end
    ? at.end.line === at.line
      ? at.end.column - 1
      : source.length
    : start + (/^("(?:[^"\\]|\\.)*"?|[^\s{}=,[\]()]+)/.exec(source.slice(start))?.[0].length ?? 1)
  if (end <= start) end = start + 1
  let text = source
  let cut = 0
  if (text.length > SNIPPET_WIDTH) {
    cut = Math.max(0, Math.min(start - 20, text.length - SNIPPET_WIDTH))
    text = text.slice(cut, cut + SNIPPET_WIDTH)
  }
  start -= cut
  end = Math.min(end - cut, text.length + 1)
  const gutter = `  ${at.line}: `
  const line = `${gutter}${cut > 0 ? '…' : ''}${shown(text).trimEnd()}`
  const pad = gutter.length + (cut > 0 ? 1 : 0) + shown(text.slice(0, start)).length
  const width = Math.max(1, shown(text.slice(start, end)).length)
  return `${line}\n${' '.repeat(pad)}${'^'.repeat(width)}`
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

/** No configuration at the given path (it does not exist, or holds no .hcl or .hcl.json file). */
export class ConfigNotFoundError extends ConfigError {
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics)
    this.name = 'ConfigNotFoundError'
  }
}

/** Another dockwall holds the state lock (after waiting as long as asked). */
export class StateLockedError extends AbortError {
  constructor(
    message: string,
    hint: string | undefined,
    /** The lock file. */
    readonly lockPath: string,
  ) {
    super(message, hint)
    this.name = 'StateLockedError'
  }
}

/** Apply refused because the new input rules would cut the operator's SSH session. */
export class LockoutError extends AbortError {
  constructor(message: string, hint?: string) {
    super(message, hint)
    this.name = 'LockoutError'
  }
}

/** Apply refused because `assert` blocks of the configuration fail on the host as the plan would leave it. */
export class AssertionsFailedError extends AbortError {
  constructor(
    message: string,
    /** The failing assertions' addresses, for callers that report them (watch). */
    readonly addresses: readonly string[],
    hint?: string,
  ) {
    super(message, hint)
    this.name = 'AssertionsFailedError'
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
