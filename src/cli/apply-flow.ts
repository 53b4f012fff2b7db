// The flow apply and destroy share: plan (or read a saved plan), show it, ask,
// guard against SSH lockout, apply with progress, report what did not happen.
import type {ApplyResult} from '../apply/engine.js'
import {AbortError, ConfigError} from '../errors.js'
import {hashActual} from '../plan/planner.js'
import type {Plan, PlanMode} from '../plan/types.js'
import {refresh} from '../refresh/refresh.js'
import {applySession, checkSavedPlan, guardLockout, stateWouldChange} from '../services/apply.js'
import {planHasChanges} from '../plan/summary.js'
import {planSession} from '../services/plan.js'
import {readPlanFile} from '../services/planfile.js'
import {openSession} from '../services/session.js'
import {confirmApply, createApplyReporter, renderPlan} from '../ui/index.js'
import {terminal} from './io.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'

export interface ApplyFlags extends SharedFlags {
  target?: string[]
  json: boolean
  'no-tty': boolean
  verbose: boolean
  'auto-approve': boolean
  'allow-lockout': boolean
}

export interface ApplyFlowIO {
  log: (line: string) => void
  warn: (line: string) => void
}

function failureMessage(result: ApplyResult): string {
  const lines = ['apply did not complete:']
  for (const f of result.failed) lines.push(`  ${f.address}: ${f.error}`)
  for (const s of result.skipped) lines.push(`  ${s.address}: not attempted (${s.reason})`)
  for (const t of result.transactions)
    lines.push(
      `  iptables ${t.namespace}/${t.table}: ${t.committed ? 'committed' : `NOT committed (${t.error ?? 'failed'})`}`,
    )
  lines.push('The state records exactly what was done; run `dockwall plan` to see what remains.')
  return lines.join('\n')
}

export async function runApply(
  flags: ApplyFlags,
  mode: PlanMode,
  planFile: string | undefined,
  io: ApplyFlowIO,
): Promise<void> {
  const term = terminal(flags['no-tty'])
  const saved = planFile ? await readPlanFile(planFile) : undefined
  const opts = sessionOptions(flags, mode === 'destroy' ? 'destroy' : 'apply', io.warn)
  if (saved) {
    opts.model = saved.model
    opts.state ??= saved.statePath
  }
  const session = await openSession(opts)
  try {
    let plan: Plan
    let actual
    if (saved) {
      const r = await refresh({
        docker: session.docker,
        host: session.host,
        backend: session.backend,
        model: session.model,
        prior: session.state,
      })
      actual = r.actual
      checkSavedPlan(session, saved.plan, hashActual(actual))
      plan = saved.plan
    } else {
      const outcome = await planSession(session, {mode, targets: flags.target ?? []})
      if (outcome.errors.length > 0) throw new ConfigError(outcome.errors)
      plan = outcome.plan
      actual = outcome.actual
    }
    if (!flags.json)
      process.stdout.write(renderPlan(plan, {color: term.color, width: term.width, verbose: flags.verbose}))
    const changes = planHasChanges(plan)
    if (!changes && !stateWouldChange(session, plan)) return
    if (changes && !saved && !flags['auto-approve']) {
      if (!term.interactive)
        throw new AbortError(
          `${mode === 'destroy' ? 'destroy' : 'apply'} needs confirmation, and there is no terminal to ask on`,
          'review the plan, then run again with --auto-approve, or save it with `dockwall plan --out FILE` and apply that file',
        )
      const ok = await confirmApply(plan, {stdin: process.stdin, stdout: process.stdout, color: term.color})
      if (!ok) throw new AbortError(`${mode === 'destroy' ? 'Destroy' : 'Apply'} cancelled.`)
    }
    guardLockout(session, plan, flags['allow-lockout'])
    const reporter = createApplyReporter(flags.json ? 'json' : term.interactive ? 'ink' : 'text', {
      stdout: process.stdout,
      color: term.color,
    })
    let result: ApplyResult
    try {
      result = await applySession(session, plan, actual, reporter.listener)
    } finally {
      await reporter.done()
    }
    if (!result.ok) throw new AbortError(failureMessage(result))
  } finally {
    await session.close()
  }
}
