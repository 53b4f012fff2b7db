// The plan half of the pipeline (src/services/pipeline.ts applies what it prepares):
// refresh, then a plan made now or a saved one checked against the state and the host.
// plan, graph and test need only this half, so it loads neither the apply engine nor,
// without assertions, the explain evaluator.
import {recordChange} from '../apply/record.js'
import {unsupportedEngine} from '../docker/engine.js'
import {AbortError, ConfigError, type Diagnostic} from '../errors.js'
import type {AssertionResult} from '../explain/index.js'
import type {StateResource} from '../model/resources.js'
import {normalizeRuleSpec} from '../netfilter/index.js'
import {hashActual, hostParts, makePlan, movedParts} from '../plan/planner.js'
import {planHasChanges} from '../plan/summary.js'
import type {Plan, PlanMode} from '../plan/types.js'
import type {HostSaves} from '../refresh/host-dump.js'
import type {ActualModel} from '../refresh/types.js'
import {sameResources} from '../state/index.js'
import {DOCKWALL_VERSION} from '../version.js'
import {checkIntent, checkReplace, checkTargets, unreplaced} from './plan.js'
import {refreshSession} from './refresh.js'
import type {Session} from './session.js'

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
  session: Session,
  source: PlanSource,
  opts: PrepareOptions = {},
): Promise<PreparedPlan> {
  // Assertions judge a plan that changes the host toward the configuration: not a destroy,
  // not a refresh-only plan. They are answered from every running container's namespace:
  // each needs its PID.
  const mode = 'saved' in source ? source.saved.mode : source.mode
  const withAssertions = mode === 'normal' && (session.model.asserts ?? []).length > 0
  const refreshOpts = opts.inspectAll || withAssertions ? {inspectAll: true} : {}
  // The explain evaluator loads only for a configuration with assertions.
  const assertionsOf = async (plan: Plan, actual: ActualModel, hostSaves: HostSaves): Promise<AssertionResult[]> =>
    withAssertions
      ? (await import('./explain-host.js')).assertionsFor(session.model, plan, actual, session.host, hostSaves)
      : []
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

function workOf(session: Session, plan: Plan): Work {
  if (planHasChanges(plan)) return 'changes'
  return stateWouldChange(session, plan) ? 'record' : 'none'
}

/** For callers that cannot go on with a plan that has errors (everyone but watch, which logs them). */
export function throwPlanErrors(prepared: PreparedPlan): void {
  if (prepared.errors.length > 0) throw new ConfigError(prepared.errors)
}

/** Refuses a saved plan when the state or the host changed since it was made. */
export function checkSavedPlan(
  session: Pick<Session, 'state' | 'statePath'>,
  plan: Plan,
  actual: ActualModel,
  savedParts?: Readonly<Record<string, string>>,
): void {
  const serial = session.state?.serial ?? 0
  const lineage = session.state?.lineage ?? null
  if (plan.prior.lineage !== null && lineage !== plan.prior.lineage) {
    throw new AbortError(
      `the saved plan was made for another state (lineage ${plan.prior.lineage}); the state file ${session.statePath} ${lineage ? `holds lineage ${lineage}` : 'is empty'}. Nothing was changed`,
      `if ${session.statePath} was replaced by mistake, ${session.statePath}.backup holds the state before its last write; otherwise make a new plan with \`dockwall plan --out FILE\``,
    )
  }
  if (serial !== plan.prior.serial) {
    throw new AbortError(
      `the state changed since the plan was made (serial ${plan.prior.serial} → ${serial})`,
      'make a new plan with `dockwall plan --out FILE`',
    )
  }
  if (hashActual(actual) !== plan.actualHash) {
    // A plan file of an earlier dockwall has no parts to compare: then only the whole can be named.
    const moved = savedParts ? movedParts(savedParts, hostParts(actual)) : []
    const what =
      moved.length === 0
        ? "Docker networks, containers or dockwall's iptables chains differ"
        : `${moved.length > 8 ? `${moved.slice(0, 8).join(', ')} and ${moved.length - 8} more` : moved.join(', ')} ${moved.length === 1 ? 'differs' : 'differ'}`
    throw new AbortError(
      `the host changed since the plan was made (${what}), so the saved plan is stale. Nothing was changed`,
      'make a new plan with `dockwall plan --out FILE` and review it again (a restarted container or Docker daemon, or a rule changed by hand, moves the host)',
    )
  }
}

/** Whether recording the plan's no-op changes (adoptions, imports, refreshed attributes) would change the state file. */
export function stateWouldChange(session: Pick<Session, 'state'>, plan: Pick<Plan, 'changes'>): boolean {
  const before = session.state?.resources ?? []
  const after = new Map(before.map((r) => [r.address, r as StateResource]))
  for (const c of plan.changes) if (c.action === 'no-op') recordChange(after, c)
  if (!session.state) return after.size > 0
  return !sameResources(before, [...after.values()])
}
