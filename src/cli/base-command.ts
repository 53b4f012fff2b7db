// What every command shares: Terraform's flag spellings read before oclif parses
// (src/cli/argv.ts), --no-color, and the one place that turns errors into output and
// exit codes.
import {join} from 'node:path'

import {Command, Flags} from '@oclif/core'

import {rewriteTerraformFlags, type FlagShape} from './argv.js'
import {applyColorChoice} from './color-choice.js'
import {ExitCode} from './exit-codes.js'
import {failureOutput} from './render-error.js'
import {isUsageError} from './usage-error.js'

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
    const usage = isUsageError(err)
    const json = this.jsonRequested()
    // oclif's own errors (bad flags, a missing argument) keep their text; under --json they
    // too go out as diagnostics (oclif's own JSON error would dump its whole configuration).
    if (usage && !json) return super.catch(err)
    const out = failureOutput(err, {json, jsonLines: (this.ctor as typeof BaseCommand).jsonLines})
    if (out.stdout) process.stdout.write(out.stdout)
    process.stderr.write(usage ? `Error: ${err.message}\n` : out.stderr)
    const code = usage ? (err.oclif?.exit ?? ExitCode.Error) : out.exitCode
    process.exitCode = code
    this.exit(code)
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
