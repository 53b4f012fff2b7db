import {Args} from '@oclif/core'

import {runApply} from '../src/cli/apply-flow.js'
import {BaseCommand} from '../src/cli/base-command.js'
import {applyFlags} from '../src/cli/flags.js'

export default class Apply extends BaseCommand {
  static override summary = 'Make the host match the configuration.'
  static override description = `Plans, shows the plan, asks for confirmation (only "yes" approves), then applies it:
Docker networks and attachments in dependency order, and iptables changes with one
iptables-restore --noflush transaction per namespace and table, so each table is
either fully old or fully new. The state file is saved after every step.

With a PLANFILE from \`dockwall plan --out\`, applies exactly that plan without asking,
and refuses if the state or the host changed since it was made.

Exit code 0 on success, 1 when anything failed (the message says what was and was
not done).`

  static override examples = [
    {description: 'Plan, review and apply.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Apply a reviewed, saved plan.',
      command: '<%= config.bin %> plan --out tonight.plan\n<%= config.bin %> <%= command.id %> tonight.plan',
    },
    {
      description: 'From automation: no prompt, JSON events on stdout.',
      command: '<%= config.bin %> <%= command.id %> --auto-approve --json',
    },
  ]

  static override args = {
    planfile: Args.string({
      description: 'A plan saved with `dockwall plan --out FILE`.',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = applyFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    await runApply(flags, 'normal', args.planfile, {log: (l) => this.log(l), warn: (l) => this.warn(l)})
  }
}
