// Counting a plan, once for every view, for apply and for watch: Terraform's way, a
// replace is one add and one destroy; no-ops count nowhere; deferred changes are counted
// apart because they will not happen in this apply; an imported rule is moved, not
// added, so it counts once, as an import; a forgotten object (released from the state,
// or already gone) counts as a destroy, which is what it is for the state.
// The sentence counts what the configuration declares: dockwall's own chains and the
// firewall base it implies are counted apart (`implied`), as Terraform counts resource
// instances the user wrote and not the machinery under them (issue 14).
import {isImplied, type Change, type Plan} from './types.js'

export interface PlanSummary {
  /** Objects adopted by this plan (they may also be counted as add, change or destroy). */
  import: number
  add: number
  change: number
  destroy: number
  replace: number
  deferred: number
  /** Of the deferred: those waiting for no container, with no address family to be written in. */
  unwritable: number
  drift: number
  /** Changes the configuration implies (owned chains, the firewall base without a firewall block), not in the counts above. */
  implied: ImpliedSummary
}

export interface ImpliedSummary {
  add: number
  change: number
  destroy: number
  /** Of those: owned chains, and whether the firewall base is among them. */
  chains: number
  firewall: boolean
}

export function emptySummary(): PlanSummary {
  return {
    import: 0,
    add: 0,
    change: 0,
    destroy: 0,
    replace: 0,
    deferred: 0,
    unwritable: 0,
    drift: 0,
    implied: {add: 0, change: 0, destroy: 0, chains: 0, firewall: false},
  }
}

/** Adds one change to `s`: used for the plan as a whole and, by apply, for each change that succeeded. */
export function countChange(s: PlanSummary, c: Change): void {
  if (isImplied(c)) {
    countImplied(s.implied, c)
    return
  }
  if (c.importing) s.import++
  if (c.importing && c.action === 'create') return
  switch (c.action) {
    case 'create':
      s.add++
      break
    case 'update':
      s.change++
      break
    case 'delete':
      s.destroy++
      break
    case 'replace':
      s.add++
      s.destroy++
      s.replace++
      break
    case 'deferred':
      s.deferred++
      if (c.unwritable) s.unwritable++
      break
    case 'no-op':
      break
  }
}

function countImplied(s: ImpliedSummary, c: Change): void {
  const before = impliedTotal(s)
  if (c.action === 'create' || c.action === 'replace') s.add++
  if (c.action === 'update') s.change++
  if (c.action === 'delete' || c.action === 'replace') s.destroy++
  if (impliedTotal(s) === before) return
  if (c.type === 'chain') s.chains++
  else s.firewall = true
}

/** How many implied changes the plan counts (0: no line under the summary sentence). */
export function impliedTotal(s: ImpliedSummary): number {
  return s.add + s.change + s.destroy
}

export function summarizePlan(plan: Plan): PlanSummary {
  const s = emptySummary()
  s.drift = plan.drift.length
  for (const c of plan.changes) countChange(s, c)
  return s
}

/**
 * The one "is there work" predicate: whether applying the plan does anything, on the host
 * (a Docker change, an iptables transaction) or in what the state records (an import, a
 * forgotten object). A refresh-only plan has work when it found drift to record.
 * `plan --detailed-exitcode`, the views, apply's confirmation and watch all ask this.
 */
export function planHasChanges(plan: Plan): boolean {
  if (plan.mode === 'refresh-only') return plan.drift.length > 0
  return plan.firewall.length > 0 || plan.changes.some(changeHasWork)
}

function changeHasWork(c: Change): boolean {
  return (c.action !== 'no-op' && c.action !== 'deferred') || c.importing !== undefined
}

/** Addresses of the changes that are work (as planHasChanges counts it), sorted. */
export function changedAddresses(plan: Plan): string[] {
  return plan.changes
    .filter(changeHasWork)
    .map((c) => c.address)
    .sort()
}
