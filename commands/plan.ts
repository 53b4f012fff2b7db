import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {inputFlag, outputFlags, replaceFlag, sessionFlags} from '../src/cli/flags.js'
import {runPlan} from '../src/cli/plan-flow.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what dockwall would change on this host, without changing anything.'
  static override description = `Reads the configuration, refreshes the actual state (Docker networks and containers, iptables on the host and inside the containers that matter) and prints the changes apply would make: + create, ~ update, -/+ replace, - destroy, … deferred until a container exists. Changes made outside dockwall are listed first as drift.

On a terminal the plan opens in an interactive view (arrows or j/k to move, enter to expand a change and see its iptables lines, / to filter, q to quit). Elsewhere, or with --no-tty, it prints plain text; --json prints the documented JSON form.`

  static override examples = [
    {
      description: 'Review the plan for the configuration in the current directory.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    // Two commands: oclif shows each line after the description of a string example as
    // its own `$` line (a `command` with a newline is one command continued by a backslash).
    'Save the plan and apply exactly it later.\n<%= config.bin %> <%= command.id %> --out tonight.plan\n<%= config.bin %> apply tonight.plan',
    {
      description: 'In scripts: exit code 2 when there are changes.',
      command: '<%= config.bin %> <%= command.id %> --detailed-exitcode --no-tty',
    },
    {
      description: 'Rehearse against a sandbox namespace and Docker engine.',
      command:
        '<%= config.bin %> <%= command.id %> --netns /var/run/netns/rehearsal --docker-host unix:///tmp/sandbox/docker.sock',
    },
  ]

  static override flags = {
    ...sessionFlags,
    ...outputFlags,
    ...inputFlag,
    ...replaceFlag,
    out: Flags.string({
      char: 'o',
      summary: 'Save the plan to this file, for `dockwall apply FILE`.',
      helpValue: 'FILE',
    }),
    'detailed-exitcode': Flags.boolean({
      summary: 'Exit 0 when there are no changes, 1 on error, 2 when there are changes.',
      default: false,
    }),
    destroy: Flags.boolean({
      summary: 'Plan to remove everything dockwall manages.',
      default: false,
      exclusive: ['refresh-only'],
    }),
    'refresh-only': Flags.boolean({
      summary: 'Only report what changed outside dockwall; plan no changes.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const code = await runPlan(flags, {log: (l) => this.log(l), warn: (l) => this.warn(l), bin: this.config.bin})
    if (code !== ExitCode.Ok) this.exit(code)
  }
}
