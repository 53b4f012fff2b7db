import {BaseCommand} from '../src/cli/base-command.js'
import {configFlags} from '../src/cli/flags.js'
import {runValidate} from '../src/cli/validate-flow.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the configuration without touching Docker or iptables.'
  static override description = `Parses every *.hcl and *.hcl.json file, evaluates variables and references, and checks addresses, subnets, ports and names. Docker and iptables are not contacted, so it runs anywhere.

Every problem is reported, not just the first: syntax errors as FILE:LINE:COLUMN: MESSAGE, other errors as FILE:LINE:COLUMN: ADDRESS: MESSAGE. Warnings are printed but do not fail the check.

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
      description: 'Validate one file, with variables from a file.',
      command: '<%= config.bin %> <%= command.id %> -c rules.hcl --var-file prod.vars.hcl',
    },
  ]

  static override flags = {...configFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    await runValidate(flags, {log: (l) => this.log(l), logToStderr: (l) => this.logToStderr(l)})
  }
}
