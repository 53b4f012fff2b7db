// How `dockwall show` reports: a saved plan, the state, or (--actual) the host now,
// as text or JSON. Reading is src/services/show.ts.
import type {BackendSetting} from '../model/types.js'
import {readPlanFile} from '../services/planfile.js'
import {readActual, readShowContext, stateJsonView} from '../services/show.js'
import {actualToJson, renderActualText, renderPlan} from '../ui/index.js'
import {terminal} from './io.js'
import {sessionSettings, type SharedFlags} from './session-flags.js'

export interface ShowFlags extends SharedFlags {
  actual: boolean
  json: boolean
}

export interface ShowFlowIO {
  log: (line: string) => void
  warn: (line: string) => void
}

export async function runShow(flags: ShowFlags, planFile: string | undefined, io: ShowFlowIO): Promise<void> {
  if (planFile) {
    const pf = await readPlanFile(planFile)
    const term = terminal(false)
    process.stdout.write(
      renderPlan(pf.plan, {format: flags.json ? 'json' : 'text', color: term.color, width: term.width}),
    )
    return
  }
  const settings = sessionSettings(flags)
  const ctx = await readShowContext(settings, io.warn)
  if (!flags.actual) {
    // One line, as `terraform show -json` prints the state.
    if (flags.json) process.stdout.write(`${JSON.stringify(stateJsonView(ctx.state))}\n`)
    else if (!ctx.state || ctx.state.resources.length === 0) io.log(`The state (${ctx.statePath}) is empty.`)
    else for (const r of ctx.state.resources) io.log(r.address)
    return
  }
  const {actual, diagnostics} = await readActual(ctx, settings, (flags.backend ?? 'auto') as BackendSetting)
  for (const d of diagnostics) io.warn(d.summary)
  process.stdout.write(flags.json ? `${JSON.stringify(actualToJson(actual), null, 2)}\n` : renderActualText(actual))
}
