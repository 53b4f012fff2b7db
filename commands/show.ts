import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {configFlags, hostFlags, stateFlags} from '../src/cli/flags.js'
import {terminal} from '../src/cli/io.js'
import {connectDocker} from '../src/docker/client.js'
import {ConfigNotFoundError} from '../src/errors.js'
import {refresh} from '../src/refresh/refresh.js'
import {readPlanFile} from '../src/services/planfile.js'
import {hostTarget, loadModel} from '../src/services/session.js'
import {readState, resolveStatePath, resourceOnDisk} from '../src/state/index.js'
import {actualToJson, renderActualText, renderPlan} from '../src/ui/index.js'
import type {BackendSetting, DesiredModel} from '../src/model/types.js'

export default class Show extends BaseCommand {
  static override summary = 'Show the state, a saved plan, or (with --actual) what is on the host now.'
  static override description = `Without arguments, prints the resources recorded in the state file. With a PLANFILE,
prints that plan. With --actual, refreshes and prints what Docker and iptables hold
now: networks, containers, the chosen iptables backend per namespace and why,
dockwall's chains with each rule attributed to its resource, the jumps into them, and
rules others wrote in the chains dockwall watches (DOCKER-USER, FORWARD, INPUT, OUTPUT,
nat PREROUTING and POSTROUTING). Read-only: takes no lock and changes nothing.`

  static override examples = [
    {description: 'What is on the host now.', command: '<%= config.bin %> <%= command.id %> --actual'},
    {description: 'The same for scripts.', command: '<%= config.bin %> <%= command.id %> --actual --json'},
    {description: 'A saved plan.', command: '<%= config.bin %> <%= command.id %> tonight.plan'},
  ]

  static override args = {
    planfile: Args.string({description: 'A plan saved with `dockwall plan --out FILE`.', required: false}),
  }

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    actual: Flags.boolean({summary: 'Refresh and show what is on the host now.', default: false}),
    backend: Flags.string({
      summary: 'iptables backend for --actual: auto, nft or legacy.',
      options: ['auto', 'nft', 'legacy'],
      default: 'auto',
    }),
    json: Flags.boolean({summary: 'Print JSON.', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    if (args.planfile) {
      const pf = await readPlanFile(args.planfile)
      const term = terminal(false)
      process.stdout.write(
        renderPlan(pf.plan, {format: flags.json ? 'json' : 'text', color: term.color, width: term.width}),
      )
      return
    }
    // The configuration (when there is one) says which container namespaces matter.
    let model: DesiredModel | null = null
    try {
      model = (await loadModel(flags)).model
    } catch (err) {
      // No configuration at all is fine here; a broken one is worth saying, since it narrows what is read.
      if (!(err instanceof ConfigNotFoundError)) {
        const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)
        this.warn(`configuration not loaded (${message}): showing the host and the containers in the state only`)
      }
      model = null
    }
    const statePath = resolveStatePath(flags.state, model?.settings.statePath)
    const state = await readState(statePath)
    if (!flags.actual) {
      // The resources as the file spells them (origin and import markers inside ids).
      const view = state ? {...state, resources: state.resources.map(resourceOnDisk)} : {resources: []}
      if (flags.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`)
      else if (!state || state.resources.length === 0) this.log(`The state (${statePath}) is empty.`)
      else for (const r of state.resources) this.log(r.address)
      return
    }
    const {actual, diagnostics} = await refresh({
      docker: await connectDocker(flags['docker-host']),
      host: await hostTarget(flags.netns),
      backend: flags.backend as BackendSetting,
      model,
      prior: state,
    })
    for (const d of diagnostics) this.warn(d.summary)
    process.stdout.write(flags.json ? `${JSON.stringify(actualToJson(actual), null, 2)}\n` : renderActualText(actual))
  }
}
