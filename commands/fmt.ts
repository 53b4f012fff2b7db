import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {FmtExitCode} from '../src/cli/exit-codes.js'
import {formatDiagnostic} from '../src/errors.js'
import {fmt} from '../src/services/fmt.js'

export default class Fmt extends BaseCommand {
  static override summary = 'Rewrite *.hcl files in the canonical layout.'
  static override description = `Two spaces of indentation, "=" aligned within a group of attributes, one space around operators, one blank line between blocks; comments stay where they are. Only layout changes: fmt refuses to write a file whose meaning would change, and a file with a syntax error is reported and left alone. The files that changed (or would) are listed.

Exit codes, as terraform fmt: 0 done (or, with --check, nothing to change), 2 a file could not be read or parsed, 3 with --check: some file is not in the canonical layout.`

  static override examples = [
    {description: 'Format the configuration in the current directory.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'In CI: fail when a file is not formatted, and show how.',
      command: '<%= config.bin %> <%= command.id %> --check --diff -r /etc/dockwall',
    },
  ]

  static override args = {
    path: Args.string({
      description: 'File or directory (default: the current directory).',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = {
    check: Flags.boolean({summary: 'Write nothing; exit 3 when a file is not formatted.', default: false}),
    diff: Flags.boolean({summary: 'Print the changes as unified diffs.', default: false}),
    recursive: Flags.boolean({char: 'r', summary: 'Also format the *.hcl files of subdirectories.', default: false}),
    write: Flags.string({
      summary: 'Write the formatted files (--write=false: only list them).',
      options: ['true', 'false'],
      default: 'true',
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Fmt)
    const result = await fmt({
      paths: [args.path ?? '.'],
      recursive: flags.recursive,
      write: flags.write === 'true' && !flags.check,
      diff: flags.diff,
    })
    for (const f of result.files) {
      if (!f.changed) continue
      this.log(f.file)
      if (f.diff) this.log(f.diff.trimEnd())
    }
    for (const d of result.diagnostics) this.logToStderr(formatDiagnostic(d, {snippet: true}))
    if (result.diagnostics.length > 0) process.exitCode = FmtExitCode.Error
    else if (flags.check && result.files.some((f) => f.changed)) process.exitCode = FmtExitCode.CheckFailed
  }
}
