// dockwall's --help: oclif's, plus what Terraform users look for in it: the global
// options that come before the command (-chdir, -help, -version) and the exit codes, at
// the foot of the root help and of every command's (from src/cli/exit-codes.ts, the
// same data the README table is checked against). Loaded only when help is shown.
import {Help, type Command} from '@oclif/core'

import {exitCodesOf, ROOT_EXIT_CODES, type ExitCodeDoc} from './exit-codes.js'

const rows = (docs: readonly ExitCodeDoc[]): [string, string][] => docs.map((d) => [String(d.code), d.meaning])

export const GLOBAL_OPTIONS: readonly [string, string][] = [
  ['-chdir=DIR', 'Switch to DIR before running the command.'],
  ['-h, -help, --help', 'Show this help, or the help of a command.'],
  ['-v, -version, --version', 'Show the version, as the version command does.'],
]

export default class DockwallHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(this.section('GLOBAL OPTIONS (before the command)', [...GLOBAL_OPTIONS]))
    this.log('')
    this.log(this.section('EXIT CODES', rows(ROOT_EXIT_CODES)))
  }

  protected override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.section('EXIT CODES', rows(exitCodesOf(command.id)))}`
  }
}
