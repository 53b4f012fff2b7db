import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {runExplainCommand} from '../src/cli/explain-flow.js'
import {BACKEND_HELP, configFlags, hostFlags, lockFlags, stateFlags} from '../src/cli/flags.js'

export default class Explain extends BaseCommand {
  static override summary =
    'Can FROM reach TO, and which rule decides? Answered from the rules, without sending a packet.'
  static override description = `Reads the host (Docker, and iptables in the host's namespace and in every running container's) and follows a connection's first packet, its reply and the next packet through every namespace, table and chain they cross, as the kernel would: raw, mangle, nat and filter; PREROUTING, routing, FORWARD or INPUT, POSTROUTING; conntrack, DNAT, docker-proxy. Prints allow, deny or unknown, the rule that decided with its owner (dockwall:<address>, Docker, or foreign), and the path.

FROM and TO: container.NAME, network.NAME (as FROM: each running member; as TO: its gateway), a container or network name, host, external:IF (a client arriving on the host interface IF), an IP address, or a CIDR (its first address stands for it). Names are Docker's, or the configuration's labels when there is one.

With --planned, the host is evaluated as the plan would leave its firewall: the plan's iptables transactions are played onto the rules read (Docker changes are not).

A rule with a match outside the model makes the answer unknown, naming the rule.`

  static override examples = [
    {
      description: 'Can the backend container reach the web container on port 80?',
      command: '<%= config.bin %> <%= command.id %> container.backend container.web --port 80',
    },
    {
      description: 'Would a client on wg0 reach the published port 8443 after the next apply?',
      command: '<%= config.bin %> <%= command.id %> external:wg0 host --port 8443 --planned',
    },
    {
      description: 'Ping from the host to a container, as JSON.',
      command: '<%= config.bin %> <%= command.id %> host container.db --proto icmp --json',
    },
  ]

  static override args = {
    from: Args.string({description: 'Where the connection starts.', required: true, ignoreStdin: true}),
    to: Args.string({description: 'Where it goes.', required: true, ignoreStdin: true}),
  }

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    ...lockFlags,
    port: Flags.integer({summary: 'Destination port (tcp and udp).', min: 1, max: 65535, helpValue: 'N'}),
    proto: Flags.string({summary: 'Protocol.', options: ['tcp', 'udp', 'icmp'], default: 'tcp'}),
    'in-interface': Flags.string({
      summary: "The host interface a client's packets arrive on (when FROM is an address outside the host).",
      helpValue: 'IF',
    }),
    planned: Flags.boolean({
      summary: 'Evaluate the host as the plan would leave it (needs the configuration; takes the state lock).',
      default: false,
    }),
    backend: Flags.string({
      ...BACKEND_HELP,
      options: ['auto', 'nft', 'legacy'],
    }),
    json: Flags.boolean({summary: 'Print the answer as JSON.', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Explain)
    await runExplainCommand(args.from, args.to, flags, {warn: (l) => this.warn(l)})
  }
}
