import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {BACKEND_HELP, configFlags, hostFlags, lockFlags, stateFlags} from '../src/cli/flags.js'
import {runTest} from '../src/cli/test-flow.js'

export default class Test extends BaseCommand {
  static override summary = "Check the configuration's assert blocks against the host as the plan would leave it."
  static override description = `Plans as \`dockwall plan\` does, then answers every assert block with the explain evaluator on the host as the plan would leave its firewall (the plan's iptables transactions played onto the rules read; nothing is changed). Prints each assertion with pass or FAIL and, for a failing one, the rule that decided and the path its packets take.

With --rehearse, the assertions are then proven with real packets without touching the host: in a scratch network namespace a private Docker engine starts, the host's networks and a busybox stand-in for each running container (same names, addresses and published ports) are recreated, the planned configuration is applied there with a state file of its own, and every flow of every assertion is tried with a real connection (nc; ping for icmp). Each assertion is shown with pass or FAIL by the real packets beside what explain predicted; what the scratch namespace could not reproduce (rules others wrote in the host's chains, ports published on one host address, udp) is listed. Everything is torn down at the end, also on SIGINT or SIGTERM. Needs root, dockerd (docker.io) and busybox-static; takes about 10-20 s.

Exit code 0 when every assertion passes, 1 when one fails or could not be rehearsed (or on any error).`

  static override examples = [
    {description: 'Check the assertions of the configuration here.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The results as JSON.', command: '<%= config.bin %> <%= command.id %> --json'},
    {
      description: 'Prove them with real packets in a scratch copy of the host (root).',
      command: '<%= config.bin %> <%= command.id %> --rehearse',
    },
  ]

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    ...lockFlags,
    backend: Flags.string({
      ...BACKEND_HELP,
      options: ['auto', 'nft', 'legacy'],
    }),
    json: Flags.boolean({summary: 'Print the results as JSON.', default: false}),
    rehearse: Flags.boolean({
      summary: 'Prove the assertions with real packets in a scratch namespace with a private Docker engine.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Test)
    const code = await runTest(flags, {log: (l) => this.log(l), warn: (l) => this.warn(l)})
    if (code !== ExitCode.Ok) this.exit(code)
  }
}
