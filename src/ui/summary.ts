// The summary sentences under a plan. The counting itself is src/plan/summary.ts,
// shared with apply and watch.
import {impliedTotal, type ImpliedSummary, type PlanSummary} from '../plan/summary.js'
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
  const waiting = s.deferred - s.unwritable
  const parts: string[] = []
  if (waiting > 0)
    parts.push(
      `${waiting} ${waiting === 1 ? 'change' : 'changes'} deferred until ${waiting === 1 ? 'its container exists' : 'their containers exist'}`,
    )
  // Waiting would not help these: their ends (or their container) share no address family.
  if (s.unwritable > 0)
    parts.push(
      `${s.unwritable} ${s.unwritable === 1 ? 'change' : 'changes'} not written: no address family to write ${s.unwritable === 1 ? 'it' : 'them'} in`,
    )
  return `${parts.join('; ')}.`
}

/**
 * What the configuration implies, on its own line under the sentence (issue 14):
 * `Implied, not declared: 6 to add, 0 to change, 0 to destroy (6 dockwall chains, the firewall base).`
 * Null when the plan changes nothing implied.
 */
export function impliedLine(s: ImpliedSummary): string | null {
  if (impliedTotal(s) === 0) return null
  return `Implied, not declared: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy (${impliedWhat(s)}).`
}

/** `6 dockwall chains, the firewall base`: what the implied changes are. */
export function impliedWhat(s: ImpliedSummary): string {
  return [
    ...(s.chains > 0 ? [`${s.chains} dockwall chain${s.chains === 1 ? '' : 's'}`] : []),
    ...(s.firewall ? ['the firewall base'] : []),
  ].join(', ')
}
