import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {configFlags, hostFlags, lockFlags, stateFlags} from '../src/cli/flags.js'
import {runImport} from '../src/cli/import-flow.js'

export default class Import extends BaseCommand {
  static override summary = 'Adopt networks, attachments and firewall rules that already exist.'
  static override description = `Three ways in:

1. dockwall import ADDRESS ID — adopt one existing object into the state under an address the configuration declares. Networks and attachments are then managed as they are; a rule found in a foreign chain (DOCKER-USER, FORWARD, INPUT, nat PREROUTING/POSTROUTING, or inside a container) is moved into dockwall's chain by the next plan and apply, in one transaction. The ID of each address type:

  network:     its Docker name or id
  attachment:  CONTAINER/NETWORK
  rule, port_forward, masquerade:
    [container.LABEL/][filter:|nat:]CHAIN:RULE-TEXT or ...CHAIN:#POSITION

The same can be written in the configuration as import { to = ADDRESS, id = "..." }, so it is reviewed in a plan like any other change.

2. dockwall import --all --generate-config-out FILE — scan the host: non-default Docker networks, containers' static addresses, and rules others wrote in DOCKER-USER, FORWARD, INPUT and nat PREROUTING/POSTROUTING (host and running containers). Writes a configuration with references and import blocks, and lists every rule it left in place with the reason. Never overwrites a file.

3. dockwall import --from-networks-json FILE --generate-config-out FILE — convert a network-go networks.json, explaining each policy.

Exit code 2 when the import is partial (rules left in place, policies not converted).`

  static override examples = [
    {
      description: 'Adopt a network created by hand.',
      command: '<%= config.bin %> <%= command.id %> network.frontend smarthost-frontend',
    },
    {
      description: 'Adopt the third rule of DOCKER-USER as rule.web_http.',
      command: "<%= config.bin %> <%= command.id %> rule.web_http 'DOCKER-USER:#3'",
    },
    {
      description: 'Describe the whole host as configuration.',
      command: '<%= config.bin %> <%= command.id %> --all --generate-config-out imported.hcl',
    },
    {
      description: 'Migrate from network-go.',
      command:
        '<%= config.bin %> <%= command.id %> --from-networks-json /etc/user/config/networks.json --generate-config-out main.hcl --map publicbackend=smarthostbackend-1',
    },
  ]

  static override args = {
    address: Args.string({
      description: 'Resource address declared in the configuration.',
      required: false,
      ignoreStdin: true,
    }),
    id: Args.string({description: 'What to adopt (see the ID forms above).', required: false, ignoreStdin: true}),
  }

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    ...lockFlags,
    all: Flags.boolean({
      summary: 'Scan the host and generate configuration for everything found.',
      // No default: oclif checks dependsOn for every flag with a value, and a default
      // false is one, so `import ADDRESS ID` would ask for --generate-config-out.
      dependsOn: ['generate-config-out'],
    }),
    'from-networks-json': Flags.string({
      summary: 'Convert a network-go networks.json.',
      helpValue: 'FILE',
      dependsOn: ['generate-config-out'],
      exclusive: ['all'],
    }),
    'generate-config-out': Flags.string({
      summary: 'Write the generated configuration here (never overwritten).',
      helpValue: 'FILE',
    }),
    map: Flags.string({
      summary: 'With --from-networks-json: resolve a name network-go cannot (repeatable).',
      helpValue: 'NAME=CONTAINER',
      multiple: true,
      // Not greedy, as every repeatable flag (src/cli/flags.ts).
      multipleNonGreedy: true,
    }),
    backend: Flags.string({
      summary:
        "iptables backend: auto, nft or legacy. Default: auto (for ADDRESS ID, the configuration's `backend` setting first).",
      options: ['auto', 'nft', 'legacy'],
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Import)
    const code = await runImport(flags, args, {
      log: (l) => this.log(l),
      logToStderr: (l) => this.logToStderr(l),
      warn: (l) => this.warn(l),
      argv: this.argv,
    })
    if (code !== ExitCode.Ok) this.exit(code)
  }
}
