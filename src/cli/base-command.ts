// The one place that turns errors into output and exit codes.
import {join} from 'node:path'

import {Command} from '@oclif/core'

import {AbortError, ConfigError, ExternalError, formatDiagnostic} from '../errors.js'
import {ExitCode} from './exit-codes.js'

export abstract class BaseCommand extends Command {
  /** How to start `dockwall rollback-timer` from this installation (apply --confirm-within detaches it). */
  protected timerCommand(): string[] {
    return [process.execPath, join(this.config.root, 'bin', 'run.js'), 'rollback-timer']
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own errors (bad flags, --help exit) keep their behaviour.
    if (err.oclif !== undefined || err.name === 'ExitError' || err.constructor?.name === 'CLIError')
      return super.catch(err)
    process.stderr.write(renderError(err))
    process.exitCode = ExitCode.Error
    this.exit(ExitCode.Error)
  }
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
