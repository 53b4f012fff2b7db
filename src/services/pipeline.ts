// The plan → apply pipeline that apply, destroy, plan, graph and watch share, inside a
// session (src/services/session.ts):
//
//   refreshSession (services/refresh.ts) → preparePlan → applyPrepared
//
// The callers only choose how to confirm and how to report: `dockwall apply` shows the
// plan and asks, watch asks no one and logs one line. Everything they must agree on
// (refusing a saved plan the host moved away from, what counts as work, the SSH guard)
// happens here once.
import type {ApplyResult} from '../apply/engine.js'
import type {ApplyListener} from '../apply/events.js'
import type {DockerReader} from '../docker/client.js'
import {unsupportedEngine} from '../docker/engine.js'
import {AssertionsFailedError, ConfigError, LockoutError, type Diagnostic} from '../errors.js'
import {brokenByPlan, failingAssertions, type AssertionResult} from '../explain/index.js'
import {normalizeRuleSpec} from '../netfilter/index.js'
import {makePlan} from '../plan/planner.js'
import {planHasChanges} from '../plan/summary.js'
import type {Plan, PlanMode} from '../plan/types.js'
import type {HostSaves} from '../refresh/host-dump.js'
import type {ActualModel} from '../refresh/types.js'
import {DOCKWALL_VERSION} from '../version.js'
import {applySession, checkSavedPlan, guardLockout, stateWouldChange, type GuardOptions} from './apply.js'
import {checkIntent, checkReplace, checkTargets, unreplaced} from './plan.js'
import {assertionsFor} from './explain-host.js'
import {refreshSession} from './refresh.js'
import {armRollback, type ArmedConfirmation} from './confirm.js'
import type {Session} from './session.js'
import type {SshSession} from './ssh-session.js'

/** A plan to compute now, or one saved with `plan --out` to apply as it is. */
export type PlanSource =
  | {mode: PlanMode; targets: readonly string[]; replace?: readonly string[]}
  | {saved: Plan; hostParts?: Readonly<Record<string, string>>}

/**
 * What applying a plan would do:
 * - `changes`: it changes the host or what the state records about it (planHasChanges): ask first;
 * - `record`: only the state's record of what is there moves (an adoption, refreshed attributes): no need to ask;
 * - `none`: nothing.
 */
export type Work = 'changes' | 'record' | 'none'

export interface PreparedPlan {
  plan: Plan
  /** The refreshed host the plan was made from (apply writes into the namespaces it found). */
  actual: ActualModel
  /** The host's saves refresh read (the SSH guard evaluates them instead of reading again). */
  hostSaves?: HostSaves
  /** Errors that make the plan unusable (an unmanaged network in the way): apply refuses. */
  errors: Diagnostic[]
  /** Read from a plan file, checked against the state and the host: applied without asking. */
  saved: boolean
  work: Work
  /** The configuration's `assert` blocks against the host as planned (and as it is now); empty without any. */
  assertions: AssertionResult[]
}

export interface PrepareOptions {
  /** Inspect every container, not only those the plan needs (explain --planned reads every namespace). */
  inspectAll?: boolean
}

/** Refreshes, then plans (or checks that a saved plan still fits the state and the host). */
export async function preparePlan(
  session: Session<DockerReader>,
  source: PlanSource,
  opts: PrepareOptions = {},
): Promise<PreparedPlan> {
  // Assertions judge a plan that changes the host toward the configuration: not a destroy,
  // not a refresh-only plan. They are answered from every running container's namespace:
  // each needs its PID.
  const mode = 'saved' in source ? source.saved.mode : source.mode
  const withAssertions = mode === 'normal' && (session.model.asserts ?? []).length > 0
  const refreshOpts = opts.inspectAll || withAssertions ? {inspectAll: true} : {}
  const assertionsOf = (plan: Plan, actual: ActualModel, hostSaves: HostSaves) =>
    withAssertions ? assertionsFor(session.model, plan, actual, session.host, hostSaves) : Promise.resolve([])
  if ('saved' in source) {
    const {actual, hostSaves} = await refreshSession(session, refreshOpts)
    // The engine may have moved to a firewall backend dockwall cannot write for since the plan was saved.
    const engineError = unsupportedEngine(actual.docker.engine)
    if (engineError) throw new ConfigError([engineError])
    checkSavedPlan(session, source.saved, actual, source.hostParts)
    const assertions = await assertionsOf(source.saved, actual, hostSaves)
    return {
      plan: source.saved,
      actual,
      hostSaves,
      errors: [],
      saved: true,
      work: workOf(session, source.saved),
      assertions,
    }
  }
  checkTargets(session, source.targets)
  const replace = source.replace ?? []
  checkReplace(session, replace, source.mode)
  // Before refresh: an empty configuration over a managed host is refused without reading the host.
  if (source.mode === 'normal') checkIntent(session.model, session.state, session.statePath)
  const {actual, diagnostics, hostSaves} = await refreshSession(session, refreshOpts)
  const {plan, errors} = makePlan(
    {model: session.model, actual, prior: session.state},
    {
      mode: source.mode,
      targets: source.targets,
      replace,
      dockwallVersion: DOCKWALL_VERSION,
      normalize: (spec) => normalizeRuleSpec(spec),
    },
  )
  plan.warnings.unshift(...session.configWarnings, ...diagnostics, ...unreplaced(plan, replace))
  // A plan with errors is not applied, so there is no planned host to ask about.
  const assertions = errors.length > 0 ? [] : await assertionsOf(plan, actual, hostSaves)
  return {plan, actual, hostSaves, errors, saved: false, work: workOf(session, plan), assertions}
}

function workOf(session: Session<DockerReader>, plan: Plan): Work {
  if (planHasChanges(plan)) return 'changes'
  return stateWouldChange(session, plan) ? 'record' : 'none'
}

/** For callers that cannot go on with a plan that has errors (everyone but watch, which logs them). */
export function throwPlanErrors(prepared: PreparedPlan): void {
  if (prepared.errors.length > 0) throw new ConfigError(prepared.errors)
}

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
    ? await armRollback({
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
