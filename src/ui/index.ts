// The UI module commands use (Shopify CLI's habit): commands call these
// functions and never import Ink or React themselves. Nothing imported
// statically from here loads Ink; the interactive review and the Ink apply
// reporter load it on demand, so `plan | cat`, `--json` and `validate` start
// without its ~0.4 s import (docs/ARCHITECTURE.md, "Start-up"). test/unit/ui/imports.test.ts
// guards this.
import type {AssertionResult} from '../explain/index.js'
import type {Plan} from '../plan/types.js'
import {assertionsJson, renderAssertionsText} from './assertions-view.js'
import {planToJson} from './plan-json.js'
import {renderPlanText} from './plan-text.js'
import type {ReviewIO} from './review-model.js'

export {shouldColor, type ColorTarget, type Env} from './color.js'
export {NO_CHANGES} from './summary.js'
export {summarizePlan} from '../plan/summary.js'
export {renderPlanText, type PlanTextOptions} from './plan-text.js'
export {planToJson, PLAN_JSON_FORMAT_VERSION, type PlanJson} from './plan-json.js'
export {
  askApproval,
  askYes,
  confirmApply,
  waitForKey,
  type Approval,
  APPROVE_QUESTION,
  DESTROY_QUESTION,
  type PromptIO,
} from './confirm.js'
export {applyEventToJson, createApplyReporter, type ApplyReporter, type ReporterKind} from './apply-reporter.js'
export type {OutputStream, ReporterIO} from './reporter-io.js'
export {formatElapsed} from './apply-messages.js'
export type {ReviewIO} from './review-model.js'

export interface RenderPlanOptions {
  /** `text` (Terraform's layout) or `json` (docs/PLAN-JSON.md). Default text. */
  format?: 'text' | 'json'
  /** Text only: ANSI colours; decide with shouldColor(). Default false. */
  color?: boolean
  /** Text only: terminal width. */
  width?: number
  /** Text only: every change, none folded. */
  verbose?: boolean
  /** The configuration's assertions on the planned host: shown under the changes (JSON: `assertions`). */
  assertions?: readonly AssertionResult[]
}

/** The plan as a string ready to write to stdout, ending with a newline. */
export function renderPlan(plan: Plan, opts: RenderPlanOptions = {}): string {
  const assertions = opts.assertions ?? []
  // One line, as `terraform show -json` prints its plan: a 20,000-rule plan is 25 MB so, 45 MB
  // indented, and the indenting and writing took 0.3 s more (whitespace is not in the contract).
  if (opts.format === 'json')
    return `${JSON.stringify(
      assertions.length > 0 ? {...planToJson(plan), assertions: assertionsJson(assertions)} : planToJson(plan),
    )}\n`
  const text = renderPlanText(plan, {color: opts.color ?? false, width: opts.width, verbose: opts.verbose ?? false})
  return assertions.length > 0 ? `${text}\n${renderAssertionsText(assertions)}` : text
}

/** The interactive review (Ink); resolves when the user quits. Both streams must be TTYs. */
export async function reviewPlanInteractive(plan: Plan, io: ReviewIO): Promise<void> {
  const view = await import('./plan-review.js')
  await view.reviewPlanInteractive(plan, io)
}

export {actualToJson, renderActualText, ACTUAL_JSON_FORMAT_VERSION, type ActualJson} from './actual-view.js'
export {
  EXPLAIN_JSON_VERSION,
  explainJson,
  flowLines,
  renderExplainText,
  decisionLines,
  ownerText,
  ruleWhere,
  traceLines,
  type ExplainView,
} from './explain-text.js'
export {assertionsJson, assertionSummary, renderAssertionsText} from './assertions-view.js'
