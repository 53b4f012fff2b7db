// How `dockwall plan` reports: the plan as JSON, an interactive review on a terminal or
// text, saved with --out, and the exit code --detailed-exitcode asks for. The plan
// itself comes from the pipeline (src/services/pipeline.ts).
import {ExitCode} from './exit-codes.js'
import {terminal} from './io.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'
import type {PlanMode} from '../plan/types.js'
import {hostParts} from '../plan/planner.js'
import {preparePlan, throwPlanErrors} from '../services/pipeline.js'
import {writePlanFile} from '../services/planfile.js'
import {openSession} from '../services/session.js'
import {renderPlan, reviewPlanInteractive} from '../ui/index.js'

export interface PlanFlags extends SharedFlags {
  target?: string[]
  replace?: string[]
  json: boolean
  'no-tty': boolean
  verbose: boolean
  out?: string
  'detailed-exitcode': boolean
  destroy: boolean
  'refresh-only': boolean
  input: boolean
}

export interface PlanFlowIO {
  log: (line: string) => void
  warn: (line: string) => void
  /** The CLI's name, for the hint after --out. */
  bin: string
}

/** Returns the exit code: 2 (changes) with --detailed-exitcode when applying would do something. */
export async function runPlan(flags: PlanFlags, io: PlanFlowIO): Promise<number> {
  const session = await openSession({...sessionOptions(flags, 'plan', io.warn), dockerReadOnly: true})
  try {
    const mode: PlanMode = flags.destroy ? 'destroy' : flags['refresh-only'] ? 'refresh-only' : 'normal'
    const prepared = await preparePlan(session, {mode, targets: flags.target ?? [], replace: flags.replace ?? []})
    throwPlanErrors(prepared)
    const {plan} = prepared
    const term = terminal(flags['no-tty'] || !flags.input)
    const {assertions} = prepared
    if (flags.json) process.stdout.write(renderPlan(plan, {format: 'json', assertions}))
    else if (term.interactive) {
      await reviewPlanInteractive(plan, {stdin: process.stdin, stdout: process.stdout})
      // As Terraform leaves it: the plan that was reviewed stays in the scrollback, in full, as text.
      const text = renderPlan(plan, {color: term.color, width: term.width, verbose: flags.verbose, assertions})
      process.stdout.write(`\n${text}`)
    } else
      process.stdout.write(renderPlan(plan, {color: term.color, width: term.width, verbose: flags.verbose, assertions}))
    if (flags.out) {
      await writePlanFile(flags.out, {
        plan,
        model: session.model,
        statePath: session.statePath,
        hostParts: hostParts(prepared.actual),
      })
      if (!flags.json)
        io.log(
          `\nSaved the plan to ${flags.out}. To perform exactly these actions, run:\n  ${io.bin} apply ${flags.out}`,
        )
    }
    return flags['detailed-exitcode'] && prepared.work === 'changes' ? ExitCode.Changes : ExitCode.Ok
  } finally {
    await session.close()
  }
}
