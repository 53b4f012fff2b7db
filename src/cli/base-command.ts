// What every command shares: Terraform's flag spellings read before oclif parses
// (src/cli/argv.ts), --no-color, and the one place that turns errors into output and
// exit codes.
import {join} from 'node:path'

import {Command, Flags} from '@oclif/core'

import {AbortError, ConfigError, ExternalError, formatDiagnostic, type Diagnostic} from '../errors.js'
import {failureToJson, sourceFromDisk} from '../ui/diagnostics-json.js'
import {rewriteTerraformFlags, type FlagShape} from './argv.js'
import {applyColorChoice} from './color-choice.js'
import {ExitCode} from './exit-codes.js'

export {applyColorChoice} from './color-choice.js'

export abstract class BaseCommand extends Command {
  /**
   * Its --json output is JSON lines (apply's events), so a failure is one more line, with
   * a `type` and a `timestamp` as the events have; other commands print one document.
   */
  static jsonLines = false

  static override baseFlags = {
    'no-color': Flags.boolean({
      summary: 'No colours in any output (as NO_COLOR=1 does).',
      helpGroup: 'GLOBAL',
    }),
  }

  override async init(): Promise<void> {
    await super.init()
    const flags: Record<string, FlagShape> = {...this.ctor.baseFlags, ...this.ctor.flags}
    if (this.ctor.enableJsonFlag) flags.json = {type: 'boolean'}
    this.argv = rewriteTerraformFlags(this.argv, flags)
    applyColorChoice(process.env, optionWords(this.argv).includes('--no-color'))
  }

  /** How to start `dockwall rollback-timer` from this installation (apply --confirm-within detaches it). */
  protected timerCommand(): string[] {
    return [process.execPath, join(this.config.root, 'bin', 'run.js'), 'rollback-timer']
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // `this.exit(n)` (a detailed exit code, --help) is not a failure.
    // Thrown on as it is: oclif's catch would print it as a JSON error under --json.
    if (err.name === 'ExitError' || (err as {code?: unknown}).code === 'EEXIT') throw err
    const usage = err.oclif !== undefined || err.constructor?.name === 'CLIError'
    if (this.jsonRequested()) {
      // Machines read stdout: the failure as Terraform-shaped diagnostics (oclif's own JSON
      // error would dump its whole configuration); people still get the text on stderr.
      const doc = failureToJson(diagnosticsOf(err), sourceFromDisk())
      process.stdout.write(
        (this.ctor as typeof BaseCommand).jsonLines
          ? `${JSON.stringify({type: 'diagnostics', ...doc, timestamp: new Date().toISOString()})}\n`
          : `${JSON.stringify(doc, null, 2)}\n`,
      )
      process.stderr.write(usage ? `Error: ${err.message}\n` : renderError(err))
      const code = usage ? (err.oclif?.exit ?? ExitCode.Error) : ExitCode.Error
      process.exitCode = code
      this.exit(code)
    }
    // oclif's own errors (bad flags, a missing argument) keep their text.
    if (usage) return super.catch(err)
    process.stderr.write(renderError(err))
    process.exitCode = ExitCode.Error
    this.exit(ExitCode.Error)
  }

  /**
   * --json before any `--`, on a command that has the flag. Terraform's -json too: init
   * rewrites it, but a usage error in the rewrite itself (`-json -bogus`) comes here first.
   */
  private jsonRequested(): boolean {
    if (!this.ctor.enableJsonFlag && this.ctor.flags?.json === undefined) return false
    const args = optionWords(this.argv)
    return ['--json', '--json=true', '-json', '-json=true'].some((a) => args.includes(a))
  }
}

/** The words before a `--` (after it, everything is an argument, never a flag). */
function optionWords(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--')
  return end === -1 ? argv : argv.slice(0, end)
}

/** An error as diagnostics: a configuration's as they are, anything else as one error without a range. */
export function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof ConfigError) return err.diagnostics
  if (err instanceof AbortError)
    return [{severity: 'error', summary: err.message, ...(err.hint ? {detail: `Try: ${err.hint}`} : {})}]
  if (err instanceof ExternalError) return [{severity: 'error', summary: err.message}]
  const e = err instanceof Error ? err : new Error(String(err))
  if ((e as {oclif?: unknown}).oclif !== undefined || e.constructor?.name === 'CLIError') {
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
