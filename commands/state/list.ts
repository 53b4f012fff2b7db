import {BaseCommand} from '../../src/cli/base-command.js'
import {stateFlags} from '../../src/cli/flags.js'
import {resolveStatePath} from '../../src/state/paths.js'
import {listState} from '../../src/state/service.js'
import type {StateListResult} from '../../src/state/service.js'

export default class StateList extends BaseCommand {
  static override summary = 'List the resources in the state, one address per line.'
  static override description = `Reads the state file without locking it (writes are atomic, so a reader never sees a half-written file). With no state file there is nothing to list: the command says so on stderr and exits 0. --json prints the serial, the lineage and each address with its type.`

  static override examples = [
    {description: 'List what dockwall manages here.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'List another state file, as JSON.',
      command: '<%= config.bin %> <%= command.id %> --state /var/lib/dockwall/state.json --json',
    },
  ]

  static override enableJsonFlag = true
  static override flags = {...stateFlags}

  async run(): Promise<StateListResult> {
    const {flags} = await this.parse(StateList)
    const result = await listState({statePath: resolveStatePath(flags.state)})
    if (result.lineage === null && !this.jsonEnabled())
      this.logToStderr(`No state file at ${result.state}: dockwall manages nothing there yet.`)
    for (const r of result.resources) this.log(r.address)
    return result
  }
}
