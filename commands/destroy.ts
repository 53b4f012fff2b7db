import {BaseCommand} from '../src/cli/base-command.js'
import {runApply} from '../src/cli/apply-flow.js'
import {applyFlags} from '../src/cli/flags.js'

export default class Destroy extends BaseCommand {
  // --json prints apply's events, one per line.
  static override jsonLines = true
  static override summary = 'Remove everything dockwall manages from the host.'
  static override description = `Removes dockwall's chains and their jumps (host and container namespaces), disconnects the attachments it made and deletes the networks it created. Networks and attachments it adopted (found already matching) are released from the state, not removed. Shows the plan and asks for confirmation like apply.`

  static override examples = [
    {description: 'Review and destroy.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Without a prompt.', command: '<%= config.bin %> <%= command.id %> --auto-approve'},
  ]

  static override flags = applyFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(Destroy)
    await runApply(flags, 'destroy', undefined, {
      log: (l) => this.log(l),
      warn: (l) => this.warn(l),
      timerCommand: this.timerCommand(),
    })
  }
}
