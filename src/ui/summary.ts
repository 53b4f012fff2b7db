// The summary sentences under a plan. The counting itself is src/plan/summary.ts,
// shared with apply and watch.
import type {PlanSummary} from '../plan/summary.js'
import {seg, type StyledLine} from './styled.js'

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
