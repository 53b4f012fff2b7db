import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {lockFlags, stateFlags} from '../../src/cli/flags.js'
import {moveInState, type MoveResult} from '../../src/state/move.js'
import {resolveStatePath} from '../../src/state/paths.js'

export default class StateMv extends BaseCommand {
  static override summary = 'Move a resource to another address in the state, without touching the host.'
  static override description = `As Terraform's state mv: use it when you rename a block in the configuration (rule "web" becomes rule "web_http"), so dockwall keeps the object instead of destroying it and creating it again. SOURCE must be in the state, DESTINATION must be an address of the same type that the state does not hold yet; otherwise nothing changes (exit code 1). Takes the state lock, and keeps the state as it was in <state>.backup.

The iptables lines of a moved rule still carry the old address in their comments: the next plan shows them as an update in place that rewrites the comments, and apply writes it in the same single transaction as any other change.`

  static override examples = [
    {
      description: 'Rename a rule: move it in the state, rename the block, then review the comment rewrite.',
      command: '<%= config.bin %> <%= command.id %> rule.web rule.web_http',
    },
    {
      description: 'See what would be moved.',
      command: '<%= config.bin %> <%= command.id %> network.front network.frontend --dry-run',
    },
  ]

  static override args = {
    source: Args.string({description: 'The address in the state now.', required: true, ignoreStdin: true}),
    destination: Args.string({description: 'The new address.', required: true, ignoreStdin: true}),
  }

  static override enableJsonFlag = true
  static override flags = {
    ...stateFlags,
    ...lockFlags,
    'dry-run': Flags.boolean({summary: 'Show what would be moved; change nothing.', default: false}),
  }

  async run(): Promise<MoveResult> {
    const {args, flags} = await this.parse(StateMv)
    const result = await moveInState({
      statePath: resolveStatePath(flags.state),
      source: args.source,
      destination: args.destination,
      lock: flags.lock,
      lockTimeoutMs: flags['lock-timeout'],
      operation: `${this.config.bin} state mv`,
      dockwallVersion: this.config.version,
      dryRun: flags['dry-run'],
      warn: (m) => this.logToStderr(`Warning: ${m}`),
    })
    // Terraform's words, so scripts and eyes know them.
    if (result.dryRun) {
      this.log(`Would move "${result.source}" to "${result.destination}"`)
      return result
    }
    this.log(`Move "${result.source}" to "${result.destination}"`)
    this.log(`Successfully moved 1 object(s) (serial ${result.serial}); nothing on the host was changed.`)
    if (result.type === 'rule' || result.type === 'port_forward' || result.type === 'masquerade')
      this.log(
        `Rename the block in the configuration to match; the next plan rewrites the comments of its iptables lines to ${result.destination}.`,
      )
    return result
  }
}
