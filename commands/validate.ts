import {BaseCommand} from '../src/cli/base-command.js'
import {configFlags} from '../src/cli/flags.js'
import {loadConfig} from '../src/config/index.js'
import {ConfigError} from '../src/errors.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the configuration without touching Docker or iptables.'
  static override description = `Parses every *.hcl and *.hcl.json file, evaluates variables and references, and checks
addresses, subnets, ports and names. Syntax errors are reported with file:line:column,
semantic errors with file:line and the resource address. Exit code 0 when valid, 1 otherwise.`

  static override examples = [
    {description: 'Validate the configuration in the current directory.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Validate one directory with a variable set.', command: '<%= config.bin %> <%= command.id %> -c /etc/dockwall --var lan=10.0.0.0/8'},
  ]

  static override flags = {...configFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const result = await loadConfig({path: flags.config, vars: flags.var, varFiles: flags['var-file']})
    if (!result.model) throw new ConfigError(result.diagnostics)
    const m = result.model
    this.log(`Success! The configuration is valid: ${m.networks.length} networks, ${m.containers.length} containers, ${m.rules.length} rules, ${m.portForwards.length} port forwards, ${m.masquerades.length} masquerades.`)
  }
}
