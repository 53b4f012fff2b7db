import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {configFlags, hostFlags, stateFlags} from '../src/cli/flags.js'
import {runShow} from '../src/cli/show-flow.js'

export default class Show extends BaseCommand {
  static override summary = 'Show the state, a saved plan, or (with --actual) what is on the host now.'
  static override description = `Without arguments, prints the resources recorded in the state file. With a PLANFILE, prints that plan. With --actual, refreshes and prints what Docker and iptables hold now: networks, containers, the chosen iptables backend per namespace and why, dockwall's chains with each rule attributed to its resource, the jumps into them, and rules others wrote in the chains dockwall watches (DOCKER-USER, FORWARD, INPUT, OUTPUT, nat PREROUTING and POSTROUTING). Read-only: takes no lock and changes nothing.`

  static override examples = [
    {description: 'What is on the host now.', command: '<%= config.bin %> <%= command.id %> --actual'},
    {description: 'The same for scripts.', command: '<%= config.bin %> <%= command.id %> --actual --json'},
    {description: 'A saved plan.', command: '<%= config.bin %> <%= command.id %> tonight.plan'},
  ]

  static override args = {
    planfile: Args.string({
      description: 'A plan saved with `dockwall plan --out FILE`.',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    actual: Flags.boolean({summary: 'Refresh and show what is on the host now.', default: false}),
    backend: Flags.string({
      summary: 'iptables backend for --actual: auto, nft or legacy.',
      options: ['auto', 'nft', 'legacy'],
      default: 'auto',
    }),
    json: Flags.boolean({summary: 'Print JSON.', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    await runShow(flags, args.planfile, {log: (l) => this.log(l), warn: (l) => this.warn(l)})
  }
}
