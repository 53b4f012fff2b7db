import {BaseCommand} from '../src/cli/base-command.js'
import {configFlags, stateFlags} from '../src/cli/flags.js'
import {runConfirm} from '../src/cli/confirm-flow.js'

export default class Confirm extends BaseCommand {
  static override summary = 'Keep the changes of an apply that waits for confirmation (apply --confirm-within).'
  static override description = `Run it from a new SSH session: that the session could be opened is the proof that the new rules let you in. Until then, or if no one confirms in time, the changes roll back on their own. Exit code 0 when confirmed; 1 when there was nothing to confirm, or it was too late (the changes were rolled back; the message says what was restored).`

  static override examples = [
    {
      description: 'From a second SSH session, after `dockwall apply --confirm-within 2m`.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'For a state file elsewhere.',
      command: '<%= config.bin %> <%= command.id %> --state /var/lib/dockwall/state.json',
    },
  ]

  static override flags = {config: configFlags.config, ...stateFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Confirm)
    await runConfirm(flags, {log: (l) => this.log(l)})
  }
}
