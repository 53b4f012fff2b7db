// How `dockwall plan` reports: the plan as JSON, an interactive review on a terminal or
// text, saved with --out, and the exit code --detailed-exitcode asks for. The plan
// itself comes from the pipeline (src/services/prepare.ts).
import {ExitCode} from './exit-codes.js'
import {terminal, type Terminal} from './io.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'
import type {PlanMode} from '../plan/types.js'
import {hostParts} from '../plan/planner.js'
import {preparePlan, throwPlanErrors, type PreparedPlan} from '../services/prepare.js'
import {openSession, type Session} from '../services/session.js'
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

/**
 * What plan prints on stdout, and its exit code, when it neither opens the interactive view
 * nor saves the plan (no --out): bin/run.js's plan route (src/cli/fast-route.ts) answers
 * these without oclif, and runPlan prints the same.
 */
export async function planOutput(
  flags: PlanFlags,
  warn: (line: string) => void,
): Promise<{stdout: string; code: number}> {
  const term = terminal(flags['no-tty'] || !flags.input)
  return withPlan(flags, warn, async (prepared) => ({
    stdout: planText(prepared, flags, term),
    code: exitCode(flags, prepared),
  }))
}

/** Whether plan would open the interactive view (a terminal, --no-tty and --input=false not given, no --json). */
export function planIsInteractive(flags: Pick<PlanFlags, 'no-tty' | 'input' | 'json'>): boolean {
  return !flags.json && terminal(flags['no-tty'] || !flags.input).interactive
}

/** Returns the exit code: 2 (changes) with --detailed-exitcode when applying would do something. */
export async function runPlan(flags: PlanFlags, io: PlanFlowIO): Promise<number> {
  const term = terminal(flags['no-tty'] || !flags.input)
  return withPlan(flags, io.warn, async (prepared, session) => {
    const {plan} = prepared
    if (!flags.json && term.interactive) {
      await reviewPlanInteractive(plan, {stdin: process.stdin, stdout: process.stdout})
      // As Terraform leaves it: the plan that was reviewed stays in the scrollback, in full, as text.
      process.stdout.write(`\n${planText(prepared, flags, term)}`)
    } else process.stdout.write(planText(prepared, flags, term))
    if (flags.out) {
      const {writePlanFile} = await import('../services/planfile.js')
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
    return exitCode(flags, prepared)
  })
}

/** The plan of a session opened for it (read-only Docker), its errors thrown; the session closed after `use`. */
async function withPlan<T>(
  flags: PlanFlags,
  warn: (line: string) => void,
  use: (prepared: PreparedPlan, session: Session) => Promise<T>,
): Promise<T> {
  const session = await openSession(sessionOptions(flags, 'plan', warn))
  try {
    const mode: PlanMode = flags.destroy ? 'destroy' : flags['refresh-only'] ? 'refresh-only' : 'normal'
    const prepared = await preparePlan(session, {mode, targets: flags.target ?? [], replace: flags.replace ?? []})
    throwPlanErrors(prepared)
    return await use(prepared, session)
  } finally {
    await session.close()
  }
}

/** The plan as JSON (--json) or text. */
function planText(prepared: PreparedPlan, flags: PlanFlags, term: Terminal): string {
  const {plan, assertions} = prepared
  if (flags.json) return renderPlan(plan, {format: 'json', assertions})
  return renderPlan(plan, {color: term.color, width: term.width, verbose: flags.verbose, assertions})
}

function exitCode(flags: PlanFlags, prepared: PreparedPlan): number {
  return flags['detailed-exitcode'] && prepared.work === 'changes' ? ExitCode.Changes : ExitCode.Ok
}
