import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {outputFlags, sessionFlags} from '../src/cli/flags.js'
import {terminal} from '../src/cli/io.js'
import {sessionOptions} from '../src/cli/session-flags.js'
import {ConfigError} from '../src/errors.js'
import {planHasChanges} from '../src/plan/summary.js'
import {planSession} from '../src/services/plan.js'
import {writePlanFile} from '../src/services/planfile.js'
import {openSession} from '../src/services/session.js'
import {renderPlan, reviewPlanInteractive} from '../src/ui/index.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what dockwall would change on this host, without changing anything.'
  static override description = `Reads the configuration, refreshes the actual state (Docker networks and containers,
iptables on the host and inside the containers that matter) and prints the changes
apply would make: + create, ~ update, -/+ replace, - destroy, … deferred until a
container exists. Changes made outside dockwall are listed first as drift.

On a terminal the plan opens in an interactive view (arrows or j/k to move, enter to
expand a change and see its iptables lines, / to filter, q to quit). Elsewhere, or
with --no-tty, it prints plain text; --json prints the documented JSON form.`

  static override examples = [
    {
      description: 'Review the plan for the configuration in the current directory.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Save the plan and apply exactly it later.',
      command: '<%= config.bin %> <%= command.id %> --out tonight.plan\n<%= config.bin %> apply tonight.plan',
    },
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
    const session = await openSession(sessionOptions(flags, 'plan', (m) => this.warn(m)))
    try {
      const mode = flags.destroy ? 'destroy' : flags['refresh-only'] ? 'refresh-only' : 'normal'
      const {plan, errors} = await planSession(session, {mode, targets: flags.target ?? []})
      if (errors.length > 0) throw new ConfigError(errors)
      const term = terminal(flags['no-tty'])
      if (flags.json) process.stdout.write(renderPlan(plan, {format: 'json'}))
      else if (term.interactive) await reviewPlanInteractive(plan, {stdin: process.stdin, stdout: process.stdout})
      else process.stdout.write(renderPlan(plan, {color: term.color, width: term.width, verbose: flags.verbose}))
      if (flags.out) {
        await writePlanFile(flags.out, {plan, model: session.model, statePath: session.statePath})
        if (!flags.json)
          this.log(
            `\nSaved the plan to ${flags.out}. To perform exactly these actions, run:\n  ${this.config.bin} apply ${flags.out}`,
          )
      }
      if (flags['detailed-exitcode'] && planHasChanges(plan)) this.exit(ExitCode.Changes)
    } finally {
      await session.close()
    }
  }
}
