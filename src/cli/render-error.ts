// How a failed command is printed: the one place for BaseCommand.catch and for bin/run.js's
// routes without oclif (src/cli/fast-route.ts), so both print the same bytes. Loads no oclif.
import {AbortError, ConfigError, ExternalError, formatDiagnostic, type Diagnostic} from '../errors.js'
import {failureToJson, sourceFromDisk} from '../ui/diagnostics-json.js'
import {ExitCode} from './exit-codes.js'
import {isUsageError} from './usage-error.js'

/** What a failure prints, and the exit code it ends with. */
export interface FailureOutput {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * A command's failure that is not a usage error (oclif's own errors keep oclif's text):
 * under --json, the diagnostics on stdout as Terraform shapes them (`jsonLines`: one more
 * line of apply's event stream, with a `type` and a `timestamp`) and the text on stderr;
 * otherwise the text on stderr only. Exit code 1.
 */
export function failureOutput(err: unknown, opts: {json: boolean; jsonLines?: boolean}): FailureOutput {
  let stdout = ''
  if (opts.json) {
    // Machines read stdout; people still get the text on stderr.
    const doc = failureToJson(diagnosticsOf(err), sourceFromDisk())
    stdout = opts.jsonLines
      ? `${JSON.stringify({type: 'diagnostics', ...doc, timestamp: new Date().toISOString()})}\n`
      : `${JSON.stringify(doc, null, 2)}\n`
  }
  return {stdout, stderr: renderError(err), exitCode: ExitCode.Error}
}

/** An error as diagnostics: a configuration's as they are, anything else as one error without a range. */
export function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof ConfigError) return err.diagnostics
  if (err instanceof AbortError)
    return [{severity: 'error', summary: err.message, ...(err.hint ? {detail: `Try: ${err.hint}`} : {})}]
  if (err instanceof ExternalError) return [{severity: 'error', summary: err.message}]
  const e = err instanceof Error ? err : new Error(String(err))
  if (isUsageError(e)) {
    // oclif's usage errors: "Nonexistent flag: --x\nSee more help with --help".
    const [summary = '', ...rest] = e.message.split('\n')
    return [{severity: 'error', summary, detail: rest.join('\n')}]
  }
  return [{severity: 'error', summary: `a bug in dockwall, please report it: ${e.message}`}]
}

/** Configuration problems printed in full; the count covers the rest. */
export const MAX_SHOWN = 20

export function renderError(err: unknown): string {
  if (err instanceof ConfigError) {
    // A diagnostic with a position starts with it (`file:line:col: …`), as compilers print
    // them, so editors and CI problem matchers can jump to it; the others get a prefix.
    // The first MAX_SHOWN only: a file of garbage can hold thousands, and the first say what is wrong.
    const shown = err.diagnostics.slice(0, MAX_SHOWN)
    const lines = shown.map((d) =>
      d.at || d.severity === 'warning'
        ? formatDiagnostic(d, {snippet: true})
        : `Error: ${formatDiagnostic(d, {snippet: true})}`,
    )
    const n = err.diagnostics.filter((d) => d.severity === 'error').length
    const more = err.diagnostics.length - shown.length
    const rest = more > 0 ? `\n\n… and ${more} more (${MAX_SHOWN} shown).` : ''
    return `${lines.join('\n\n')}${rest}\n\n${n} error${n === 1 ? '' : 's'} in the configuration.\n`
  }
  if (err instanceof AbortError) return `Error: ${err.message}\n${err.hint ? `Try: ${err.hint}\n` : ''}`
  if (err instanceof ExternalError) return `Error: ${err.message}\n`
  const e = err instanceof Error ? err : new Error(String(err))
  return `Error (a bug in dockwall, please report it): ${e.message}\n${process.env.DEBUG ? `${e.stack}\n` : ''}`
}
