// What a plan may be limited to: --target addresses must name something the
// configuration or the state knows; and the intent check, which refuses an empty
// configuration over a managed host. The planning itself is preparePlan (pipeline.ts).
import {closest} from '../config/suggest.js'
import {AbortError, type Diagnostic} from '../errors.js'
import type {PriorState} from '../model/resources.js'
import type {DesiredModel} from '../model/types.js'
import type {Plan, PlanMode} from '../plan/types.js'
import type {Session} from './session.js'

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

/**
 * --replace names a network or an attachment the configuration declares (Terraform ignores an
 * address that matches nothing; dockwall refuses it, as --target does: a typo must not pass for
 * "nothing to replace"). Only a normal plan replaces: destroy and refresh-only plans refuse it.
 */
export function checkReplace(session: Session, replace: readonly string[], mode: PlanMode): void {
  if (replace.length === 0) return
  if (mode !== 'normal')
    throw new AbortError(
      `--replace cannot be used with ${mode === 'destroy' ? '--destroy' : '--refresh-only'}`,
      'a destroy removes the object anyway, and a refresh-only plan changes nothing on the host',
    )
  const m = session.model
  const replaceable = [
    ...m.networks.map((n) => n.address),
    ...m.containers.flatMap((c) => c.attachments.map((a) => a.address)),
  ]
  for (const r of replace) {
    if (replaceable.includes(r)) continue
    const container = m.containers.find((c) => c.address === r)
    const near = closest(r, replaceable)
    const hint = container
      ? `a container is not replaced; its attachments are: ${container.attachments.map((a) => a.address).join(', ') || 'it has none'}`
      : knownAddresses(session).includes(r)
        ? 'rules, port forwards, masquerades and routes have no Docker object to recreate: every apply rewrites what differs'
        : near
          ? `did you mean ${near}?`
          : 'list addresses with `dockwall state list`'
    throw new AbortError(`--replace ${r}: not a network or an attachment in the configuration`, hint)
  }
}

/** Warnings for --replace addresses the plan does not replace (nothing to replace yet, or not dockwall's to replace). */
export function unreplaced(plan: Plan, replace: readonly string[]): Diagnostic[] {
  return (
    replace
      // A replace the plan makes anyway (a renamed network) needs no word.
      .filter((r) => !plan.changes.some((c) => c.address === r && (c.requested || c.action === 'replace')))
      .map((r) => {
        const action = plan.changes.find((c) => c.address === r)?.action
        const why =
          action === 'create'
            ? 'it does not exist yet: this plan creates it'
            : action === 'deferred'
              ? 'its container does not exist yet'
              : 'the state does not manage it yet, and dockwall replaces only what it created or adopted: apply it once first'
        return {severity: 'warning' as const, address: r, summary: `--replace ${r} is not replaced: ${why}`}
      })
  )
}

/** Whether the configuration declares nothing dockwall would manage (an empty or comment-only file, only settings or variables). */
export function declaresNothing(model: DesiredModel): boolean {
  return (
    model.networks.length === 0 &&
    model.containers.length === 0 &&
    model.rules.length === 0 &&
    model.portForwards.length === 0 &&
    model.masquerades.length === 0 &&
    model.asserts.length === 0 &&
    model.imports.length === 0 &&
    model.firewall.at === undefined
  )
}

/**
 * What the state manages that a plan from an empty configuration would destroy: every
 * resource but the owned chains (they follow from the rest) and a `firewall` record with
 * the defaults (an empty configuration has the same).
 */
export function managedResources(state: PriorState | null): string[] {
  return (state?.resources ?? [])
    .filter((r) => r.type !== 'chain')
    .filter(
      (r) =>
        r.type !== 'firewall' || r.attributes.forward_policy !== 'docker' || r.attributes.input_policy !== 'accept',
    )
    .map((r) => r.address)
}

/**
 * The intent check (issue 15): a configuration that declares nothing, while the state
 * manages resources, is far more likely a wrong path, a truncated file or an editor
 * accident than a wish to destroy everything. Terraform plans the destroy; dockwall
 * refuses and points at the command that says so.
 */
export function checkIntent(model: DesiredModel, state: PriorState | null, statePath: string): void {
  if (!declaresNothing(model)) return
  const managed = managedResources(state)
  if (managed.length === 0) return
  const files = model.files.length === 0 ? 'the configuration' : model.files.join(', ')
  const shown = managed.slice(0, 5).join(', ') + (managed.length > 5 ? `, … (${managed.length - 5} more)` : '')
  throw new AbortError(
    `refusing to plan: ${files} declares nothing, while the state ${statePath} manages ${managed.length} resource${managed.length === 1 ? '' : 's'} (${shown}); applying it would destroy them all`,
    'to remove everything dockwall manages, run `dockwall destroy`; otherwise check -c/--config (an empty or truncated file, or the wrong directory?)',
  )
}
