import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {lockFlags, stateFlags} from '../../src/cli/flags.js'
import {resolveStatePath} from '../../src/state/paths.js'
import {removeFromState} from '../../src/state/service.js'
import type {RemoveResult} from '../../src/state/service.js'

export default class StateRm extends BaseCommand {
  static override summary = 'Forget resources: remove them from the state without touching the host.'
  static override description = `The networks, attachments and iptables lines stay exactly as they are; dockwall just stops managing them (the next plan proposes to create whatever the configuration still declares, or adopts it if it matches). An address names one resource, or everything inside it (container.lb names all of that container's attachments and routes). Every address must match something, otherwise nothing is removed (exit code 1). Takes the state lock, and keeps the state as it was in <state>.backup.`

  static override examples = [
    {description: 'Forget one rule.', command: '<%= config.bin %> <%= command.id %> rule.backend_to_lb'},
    {
      description: "Forget a container's attachments and routes, waiting up to a minute for the lock.",
      command: '<%= config.bin %> <%= command.id %> container.lb --lock-timeout 1m',
    },
    {
      description: 'See what would be removed.',
      command: '<%= config.bin %> <%= command.id %> network.frontend --dry-run',
    },
  ]

  static override strict = false
  static override args = {
    address: Args.string({description: 'Resource address (repeatable).', required: true, ignoreStdin: true}),
  }

  static override enableJsonFlag = true
  static override flags = {
    ...stateFlags,
    ...lockFlags,
    'dry-run': Flags.boolean({summary: 'Show what would be removed; change nothing.'}),
  }

  async run(): Promise<RemoveResult> {
    const {argv, flags} = await this.parse(StateRm)
    const result = await removeFromState({
      statePath: resolveStatePath(flags.state),
      addresses: argv.map(String),
      lockTimeoutMs: flags['lock-timeout'],
      lock: flags.lock,
      operation: `${this.config.bin} state rm`,
      dockwallVersion: this.config.version,
      dryRun: flags['dry-run'],
      warn: (m) => this.logToStderr(`Warning: ${m}`),
    })
    for (const address of result.removed) this.log(`${result.dryRun ? 'Would remove' : 'Removed'} ${address}`)
    const n = result.removed.length
    this.log(
      result.dryRun
        ? `Would remove ${n} resource${n === 1 ? '' : 's'} from the state; nothing changed.`
        : `Successfully removed ${n} resource${n === 1 ? '' : 's'} from the state (serial ${result.serial}); nothing on the host was changed.`,
    )
    return result
  }
}
