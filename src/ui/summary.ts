// Counting a plan the way Terraform does: a replace is one add and one destroy;
// no-ops count nowhere; deferred changes are counted apart because they will not
// happen in this apply.
import type {Plan, PlanSummary} from '../plan/types.js'
import {seg, type StyledLine} from './styled.js'

export function summarizePlan(plan: Plan): PlanSummary {
  const s: PlanSummary = {import: 0, add: 0, change: 0, destroy: 0, replace: 0, deferred: 0, drift: plan.drift.length}
  for (const c of plan.changes) {
    if (c.importing) s.import++
    // An imported rule is moved, not added: count it once, as an import.
    if (c.importing && c.action === 'create') continue
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
        break
      case 'no-op':
        break
    }
  }
  return s
}

/** True when applying the plan would touch the host. */
export function hasActions(s: PlanSummary): boolean {
  return s.import + s.add + s.change + s.destroy > 0
}

/** `Plan: 3 to add, 1 to change, 2 to destroy.` (Terraform's exact sentence, so scripts and eyes know it; `1 to import, ` first when importing). */
export function planSummaryLine(s: PlanSummary): StyledLine {
  const imports = s.import > 0 ? `${s.import} to import, ` : ''
  return [
    seg('Plan:', {bold: true}),
    seg(` ${imports}${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`),
  ]
}

export const NO_CHANGES = 'No changes. The host matches the configuration.'

/** The deferred count, said apart from the summary sentence; null when there is nothing deferred. */
export function deferredLine(s: PlanSummary): string | null {
  if (s.deferred === 0) return null
  return `${s.deferred} ${s.deferred === 1 ? 'change' : 'changes'} deferred until ${s.deferred === 1 ? 'its container exists' : 'their containers exist'}.`
}
