import {Args} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {runTimer} from '../src/services/confirm.js'

export default class RollbackTimer extends BaseCommand {
  static override hidden = true
  static override summary = 'The timer behind apply --confirm-within (started by apply, detached; not for people).'

  static override args = {
    file: Args.string({
      description: 'The pending confirmation file, <state>.confirm.',
      required: true,
      ignoreStdin: true,
    }),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(RollbackTimer)
    await runTimer(args.file)
  }
}
