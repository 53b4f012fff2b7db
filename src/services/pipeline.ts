// The plan → apply pipeline that apply, destroy, plan, graph and watch share, inside a
// session (src/services/session.ts):
//
//   refreshSession (services/refresh.ts) → preparePlan (services/prepare.ts) → applyPrepared
//
// The callers only choose how to confirm and how to report: `dockwall apply` shows the
// plan and asks, watch asks no one and logs one line. Everything they must agree on
// (refusing a saved plan the host moved away from, what counts as work, the SSH guard)
// happens here once.
import type {ApplyResult} from '../apply/engine.js'
import type {ApplyListener} from '../apply/events.js'
import {AssertionsFailedError, LockoutError} from '../errors.js'
import {brokenByPlan, failingAssertions} from '../explain/index.js'
import type {Plan} from '../plan/types.js'
import {applySession, guardLockout, type GuardOptions} from './apply.js'
import type {ArmedConfirmation} from './confirm.js'
import {throwPlanErrors, type PreparedPlan} from './prepare.js'
import type {Session} from './session.js'
import type {SshSession} from './ssh-session.js'

/** Refuses a plan whose assertions fail (AssertionsFailedError), before anything is touched. */
export function throwFailingAssertions(prepared: PreparedPlan, gate: AssertionGate): void {
  const bad = gate === 'failing' ? failingAssertions(prepared.assertions) : brokenByPlan(prepared.assertions)
  if (bad.length === 0) return
  const what = bad.map((r) =>
    r.planned.kind === 'error'
      ? `${r.address}: ${r.planned.error}`
      : `${r.address}: expected ${r.expect}, got ${r.planned.verdict}`,
  )
  throw new AssertionsFailedError(
    `${bad.length === 1 ? 'an assertion fails' : `${bad.length} assertions fail`} on the host as the plan would leave it${gate === 'broken-by-plan' ? ' (and holds now)' : ''}, so nothing was changed: ${what.join('; ')}`,
    bad.map((r) => r.address),
    '`dockwall test` shows each failing assertion with the path its packets take',
  )
}

/** How the caller follows an apply: a listener for its events, and what to do when it ends. */
export interface ApplyReport {
  listener: ApplyListener
  done(): Promise<void>
}

/**
 * Which failing assertions stop an apply: `failing` (apply, destroy: any that fails on the
 * planned host), `broken-by-plan` (watch: only those that hold now and the plan would
 * break; one the host already broke is logged, and the plan may still repair the rest).
 */
export type AssertionGate = 'failing' | 'broken-by-plan'

export interface ApplyOptions {
  /** --allow-lockout: apply even if the plan would cut the SSH session (the guard warns instead). */
  allowLockout: boolean
  /** The SSH session to protect (findSshSession); undefined: none known. */
  ssh: SshSession | undefined
  /** Where the guard's warnings go. */
  warn: (message: string) => void
  /** Without a session (watch): refuse a plan that takes away the last path to SSH. */
  keepLastPath?: boolean
  /** --parallelism: Docker operations at once (the engine's default when absent). */
  parallelism?: number
  env?: NodeJS.ProcessEnv
  /** Which failing assertions refuse the apply; default `failing`. */
  assertionGate?: AssertionGate
  /** Started once the SSH guard has passed, ended when the apply ends (even when it throws). */
  report?: () => ApplyReport
  /** --confirm-within: arm a rollback (src/services/confirm.ts) before anything is written. */
  confirm?: {windowMs: number; timerCommand: readonly string[]}
  /** Called once the rollback is armed, before the apply writes anything. */
  onArmed?: (armed: ArmedConfirmation) => void
}

/**
 * The SSH guard over the firewall part planned again once Docker attached containers: the
 * reviewed plan passed it, but these rules carry the addresses Docker assigned since. The
 * host is read again (Docker wrote its own rules for the new attachments). A refusal says
 * that the Docker changes were made and no rule was written.
 */
export async function guardReplanned(session: Session, again: Plan, guard: GuardOptions): Promise<void> {
  try {
    await guardLockout(session, again, guard)
  } catch (error) {
    if (!(error instanceof LockoutError)) throw error
    throw new LockoutError(
      `${error.message}\n  (the firewall as planned again once Docker attached the containers: their Docker changes were made, no rule was written)`,
      error.hint,
    )
  }
}

/**
 * Applies a prepared plan: the SSH guard (LockoutError), the rollback timer when asked,
 * then the host operations, the state saved after each.
 */
export async function applyPrepared(
  session: Session,
  prepared: PreparedPlan,
  opts: ApplyOptions,
): Promise<ApplyResult & {armed?: ArmedConfirmation}> {
  throwPlanErrors(prepared)
  throwFailingAssertions(prepared, opts.assertionGate ?? 'failing')
  const guard: GuardOptions = {
    allowLockout: opts.allowLockout,
    ssh: opts.ssh,
    warn: opts.warn,
    ...(opts.keepLastPath ? {keepLastPath: true} : {}),
  }
  await guardLockout(session, prepared.plan, {
    ...guard,
    ...(prepared.hostSaves ? {hostSaves: prepared.hostSaves} : {}),
  })
  const armed = opts.confirm
    ? await (
        await import('./confirm.js')
      ).armRollback({
        windowMs: opts.confirm.windowMs,
        timerCommand: opts.confirm.timerCommand,
        statePath: session.statePath,
        host: session.host,
        plan: prepared.plan,
        actual: prepared.actual,
      })
    : undefined
  if (armed) opts.onArmed?.(armed)
  const report = opts.report?.()
  try {
    const result = await applySession(session, prepared.plan, prepared.actual, report?.listener ?? (() => {}), {
      ...(opts.parallelism === undefined ? {} : {concurrency: opts.parallelism}),
      // A plan made now is completed with the addresses Docker assigns; a saved one is applied as reviewed.
      replanAfterDocker: !prepared.saved,
      guardReplanned: (again) => guardReplanned(session, again, guard),
    })
    return armed ? {...result, armed} : result
  } finally {
    // The window counts from the end of the apply, whatever its result.
    await armed?.extend()
    await report?.done()
  }
}
