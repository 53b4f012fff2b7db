import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {stateFlags} from '../../src/cli/flags.js'
import {resolveStatePath} from '../../src/state/paths.js'
import {formatResource, showResource} from '../../src/state/service.js'
import type {DiskResource} from '../../src/state/format.js'

export default class StateShow extends BaseCommand {
  static override summary = 'Show one resource as the state records it: ids, attributes and iptables lines.'
  static override description = `Prints what dockwall last wrote for ADDRESS, not what is on the host now (run plan for that). An address that is not in the state is an error (exit code 1).`

  static override examples = [
    {description: 'Show a network.', command: '<%= config.bin %> <%= command.id %> network.frontend'},
    {
      description: 'Show a rule with its iptables lines, as JSON.',
      command: '<%= config.bin %> <%= command.id %> rule.backend_to_lb --json',
    },
  ]

  static override args = {
    address: Args.string({
      description: 'Resource address, as `state list` prints it.',
      required: true,
      ignoreStdin: true,
    }),
  }

  static override enableJsonFlag = true
  static override flags = {...stateFlags}

  async run(): Promise<DiskResource> {
    const {args, flags} = await this.parse(StateShow)
    const resource = await showResource({statePath: resolveStatePath(flags.state), address: args.address})
    this.log(formatResource(resource))
    return resource
  }
}
