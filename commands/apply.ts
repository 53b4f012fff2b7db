import {Args, Flags} from '@oclif/core'

import {runApply} from '../src/cli/apply-flow.js'
import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {applyFlags, replaceFlag} from '../src/cli/flags.js'

export default class Apply extends BaseCommand {
  // --json prints apply's events, one per line.
  static override jsonLines = true
  static override summary = 'Make the host match the configuration.'
  static override description = `Plans, shows the plan, asks for confirmation (only "yes" approves), then applies it: Docker networks and attachments in dependency order, and iptables changes with one iptables-restore --noflush transaction per namespace and table, so each table is either fully old or fully new. The state file is saved after every step.

With a PLANFILE from \`dockwall plan --out\`, applies exactly that plan without asking, and refuses if the state or the host changed since it was made.

With --confirm-within DURATION (on by default, 2m, over SSH when the plan changes the path into the host), the changes are kept only if confirmed in time: press y on this terminal, or run \`dockwall confirm\` from a new SSH session. Otherwise a detached timer restores exactly the previous dockwall chains and jumps and the previous state, even if this apply was killed or the SSH session dropped, and apply exits 1. Networks are not rolled back.

Exit code 0 on success (with --confirm-within: once confirmed), 1 when anything failed or was rolled back (the message says what was and was not done).`

  static override examples = [
    {description: 'Plan, review and apply.', command: '<%= config.bin %> <%= command.id %>'},
    // Two commands: each line after the description is its own `$` line (see commands/plan.ts).
    'Apply a reviewed, saved plan.\n<%= config.bin %> plan --out tonight.plan\n<%= config.bin %> <%= command.id %> tonight.plan',
    {
      description:
        'Over SSH: keep the changes only if `dockwall confirm`, run from a new SSH session, confirms them within 2 minutes.',
      command: '<%= config.bin %> <%= command.id %> --confirm-within 2m',
    },
    {
      description:
        'Accept what changed outside dockwall into the state (drift), without changing the host; the next plan then proposes the repair.',
      command: '<%= config.bin %> <%= command.id %> --refresh-only',
    },
    {
      description: 'Remove everything dockwall manages (the same as dockwall destroy).',
      command: '<%= config.bin %> <%= command.id %> --destroy',
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

  static override flags = {
    ...applyFlags,
    ...replaceFlag,
    destroy: Flags.boolean({
      summary: "Remove everything dockwall manages, as `dockwall destroy` does (Terraform's apply -destroy).",
      default: false,
      exclusive: ['refresh-only'],
    }),
    'refresh-only': Flags.boolean({
      summary:
        "Record in the state what changed outside dockwall, and change nothing on the host (Terraform's apply -refresh-only).",
      description:
        'Shows the drift refresh found, asks (or --auto-approve), then writes the state once: a managed object gone from the host leaves the state, a changed one is recorded as it is. Nothing is written to Docker or iptables.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    // As Terraform: a saved plan already says what it does; planning options cannot change it.
    const mode = flags.destroy ? 'destroy' : flags['refresh-only'] ? 'refresh-only' : 'normal'
    if (mode !== 'normal' && args.planfile)
      this.error(`--${mode} cannot be used with a saved plan (${args.planfile}): it was made with its own mode`, {
        exit: ExitCode.Error,
        suggestions: [`make the plan with \`dockwall plan --${mode} --out FILE\`, then apply that file`],
      })
    for (const name of ['target', 'replace'] as const)
      if ((flags[name]?.length ?? 0) > 0 && args.planfile)
        this.error(
          `--${name} cannot be used with a saved plan (${args.planfile}): the plan already fixes what it changes`,
          {
            exit: ExitCode.Error,
            suggestions: [`make the plan with \`dockwall plan --${name} ADDRESS --out FILE\`, then apply that file`],
          },
        )
    await runApply(flags, mode, args.planfile, {
      log: (l) => this.log(l),
      warn: (l) => this.warn(l),
      timerCommand: this.timerCommand(),
    })
  }
}
