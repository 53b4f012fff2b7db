import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {configFlags} from '../src/cli/flags.js'
import {runValidate, runValidateJson} from '../src/cli/validate-flow.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the configuration without touching Docker or iptables.'
  static override description = `Parses every *.hcl and *.hcl.json file, evaluates variables and references, and checks addresses, subnets, ports and names. Docker and iptables are not contacted, so it runs anywhere.

Every problem is reported, not just the first: syntax errors as FILE:LINE:COLUMN: MESSAGE, other errors as FILE:LINE:COLUMN: ADDRESS: MESSAGE. Warnings are printed but do not fail the check.

With --json, prints the result as \`terraform validate -json\` does (format_version 1.0: valid, error_count, warning_count, and diagnostics with severity, summary, detail and a range of filename, start and end with line, column and byte), on stdout whether or not the configuration is valid, so editors and CI annotators that read Terraform's read dockwall's.

Exit code 0 when the configuration is valid, 1 otherwise.`

  static override examples = [
    {
      description: 'Validate the configuration in the current directory.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Validate one directory with a variable set.',
      command: '<%= config.bin %> <%= command.id %> -c /etc/dockwall --var lan=10.0.0.0/8',
    },
    {
      description:
        "For editors and CI: Terraform's diagnostics JSON, with file, line, column and byte of each problem.",
      command: '<%= config.bin %> <%= command.id %> --json',
    },
    {
      description: 'Validate one file, with variables from a file.',
      command: '<%= config.bin %> <%= command.id %> -c rules.hcl --var-file prod.vars.hcl',
    },
  ]

  static override flags = {
    ...configFlags,
    json: Flags.boolean({summary: "Print the result as terraform validate -json does (Terraform's diagnostic shape)."}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    if (flags.json) {
      const result = await runValidateJson(flags)
      this.log(JSON.stringify(result, null, 2))
      if (!result.valid) process.exitCode = ExitCode.Error
      return
    }
    await runValidate(flags, {log: (l) => this.log(l), logToStderr: (l) => this.logToStderr(l)})
  }
}
