// plan = refresh + makePlan, inside a session.
import {AbortError, type Diagnostic} from '../errors.js'
import {normalizeRuleSpec} from '../netfilter/index.js'
import {makePlan} from '../plan/planner.js'
import type {Plan, PlanMode} from '../plan/types.js'
import {refresh} from '../refresh/refresh.js'
import type {ActualModel} from '../refresh/types.js'
import {closest} from '../config/suggest.js'
import {DOCKWALL_VERSION} from '../version.js'
import type {Session} from './session.js'

export interface PlanRequest {
  mode: PlanMode
  targets: readonly string[]
}

export interface PlanOutcome {
  plan: Plan
  actual: ActualModel
  /** Errors that make the plan unusable (an unmanaged network in the way). */
  errors: Diagnostic[]
}

/** Every address the configuration or the state knows, for --target validation. */
function knownAddresses(session: Session): string[] {
  const m = session.model
  const out = new Set<string>(['firewall'])
  for (const n of m.networks) out.add(n.address)
  for (const c of m.containers) {
    out.add(c.address)
    for (const a of c.attachments) out.add(a.address)
    for (const r of c.routes) out.add(r.address)
  }
  for (const r of [...m.rules, ...m.portForwards, ...m.masquerades]) out.add(r.address)
  for (const r of session.state?.resources ?? []) out.add(r.address)
  return [...out]
}

export function checkTargets(session: Session, targets: readonly string[]): void {
  const known = knownAddresses(session)
  for (const t of targets) {
    if (known.some((a) => a === t || a.startsWith(`${t}.`) || a.startsWith(`${t}[`))) continue
    const hint = closest(t, known)
    throw new AbortError(
      `--target ${t}: no such resource in the configuration or the state${hint ? ` (did you mean ${hint}?)` : ''}`,
      'list addresses with `dockwall state list`, or check the configuration',
    )
  }
}

export async function planSession(session: Session, req: PlanRequest): Promise<PlanOutcome> {
  checkTargets(session, req.targets)
  const {actual, diagnostics} = await refresh({
    docker: session.docker,
    host: session.host,
    backend: session.backend,
    model: session.model,
    prior: session.state,
  })
  const {plan, errors} = makePlan(
    {model: session.model, actual, prior: session.state},
    {
      mode: req.mode,
      targets: req.targets,
      dockwallVersion: DOCKWALL_VERSION,
      normalize: (spec) => normalizeRuleSpec(spec),
    },
  )
  plan.warnings.unshift(...session.configWarnings, ...diagnostics)
  return {plan, actual, errors}
}
