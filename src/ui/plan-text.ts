// The plan as plain text, in Terraform's layout, for pipes, logs and
// `--no-tty`. Escape codes appear only when the caller asks (see shouldColor).
import type {Diagnostic} from '../errors.js'
import type {Change, Plan} from '../plan/types.js'
import {
  ACTION_META,
  actionsUsed,
  blockName,
  changeBody,
  changeHeader,
  driftBody,
  driftHeader,
  groupChanges,
  TYPE_NOUN,
} from './plan-model.js'
import {seg, toAnsi, type StyledLine} from './styled.js'
import {planHasChanges, summarizePlan} from '../plan/summary.js'
import {deferredLine, impliedLine, NO_CHANGES, planSummaryLine} from './summary.js'
import {grouped} from '../util/text.js'

export interface PlanTextOptions {
  color: boolean
  /** Terminal width, for the rule between drift and plan; 80 when unknown. */
  width?: number
  /** Print every change; otherwise long runs of changes of the same shape are folded (see foldRuns). */
  verbose?: boolean
}

/** Changes of one shape shown in full before the rest of a long run is folded into one line. */
export const SHOWN_PER_RUN = 3
/** Runs up to this long are never folded: folding must save real reading. */
export const FOLD_ABOVE = 10

/**
 * What makes two changes "alike" for folding: type, action, which attributes they
 * set and how many iptables lines they write. 20,000 rule creations of one shape
 * read the same after the third; an update or a rule of another shape still shows.
 */
function shapeOf(c: Change): string {
  const keys = (a: Change['before']): string => (a ? Object.keys(a).sort().join(',') : '-')
  return `${c.action}|${keys(c.before)}|${keys(c.after)}|${c.lines?.before.length ?? 0}|${c.lines?.after.length ?? 0}|${c.importing ? 'i' : ''}`
}

/** One group's changes as shown: each change, or a fold standing for `count` changes like the ones before it. */
function foldRuns(changes: readonly Change[], verbose: boolean): Array<Change | {fold: Change[]}> {
  if (verbose || changes.length <= FOLD_ABOVE) return [...changes]
  // Each shape once: it sorts the keys of two attribute maps, 20,000 times in a large plan.
  const shapes = changes.map(shapeOf)
  const byShape = new Map<string, Change[]>()
  changes.forEach((c, i) => {
    const k = shapes[i]!
    const list = byShape.get(k)
    if (list) list.push(c)
    else byShape.set(k, [c])
  })
  const out: Array<Change | {fold: Change[]}> = []
  const seen = new Map<string, number>()
  for (const [n, c] of changes.entries()) {
    const k = shapes[n]!
    const same = byShape.get(k)!
    const i = seen.get(k) ?? 0
    seen.set(k, i + 1)
    if (same.length <= FOLD_ABOVE || i < SHOWN_PER_RUN) out.push(c)
    else if (i === SHOWN_PER_RUN) out.push({fold: same.slice(SHOWN_PER_RUN)})
  }
  return out
}

/** `  + 19,997 more rules like these will be created (rule.r3 … rule.r19999; --verbose shows each)` */
function foldLine(fold: Change[]): StyledLine {
  const first = fold[0]!
  const last = fold.at(-1)!
  const n = grouped(fold.length)
  const noun = TYPE_NOUN[first.type]
  return [
    ...ACTION_META[first.action].symbol,
    seg(` ${n} more ${noun} like these ${ACTION_META[first.action].phrase}`, {bold: true}),
    seg(` (${first.address} … ${last.address}; --verbose shows each)`, {dim: true}),
  ]
}

export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  const out: StyledLine[] = []
  const blank = () => out.push([])
  const width = Math.max(20, opts.width ?? 80)
  const summary = summarizePlan(plan)
  const groups = groupChanges(plan.changes)

  if (plan.drift.length > 0) {
    out.push([seg('Note: Objects have changed outside of dockwall', {bold: true})])
    blank()
    out.push([seg('dockwall detected the following changes made outside of dockwall since the last')])
    out.push([seg('"dockwall apply":')])
    for (const d of plan.drift) {
      blank()
      out.push(indent(driftHeader(d), 2))
      for (const l of driftBody(d)) out.push(indent(l, 2))
    }
    blank()
    if (plan.mode === 'refresh-only') {
      out.push([seg('This is a refresh-only plan, so dockwall will not undo these changes. Applying it')])
      out.push([seg('records the host as it is in the state, without changing the host.')])
    } else {
      out.push([seg('Unless you have changed the configuration to match, the plan below includes the')])
      out.push([seg('actions that undo these changes.')])
    }
    blank()
    out.push([seg('─'.repeat(width))])
    blank()
  }

  if (groups.length > 0) {
    out.push([seg('dockwall used the refreshed host state to create the following execution plan.')])
    out.push([seg('Resource actions are indicated with the following symbols:')])
    for (const a of actionsUsed(plan)) out.push([...ACTION_META[a].symbol, seg(` ${ACTION_META[a].legend}`)])
    blank()
    out.push([seg('dockwall will perform the following actions:')])
    for (const g of groups) {
      for (const c of foldRuns(g.changes, opts.verbose ?? false)) {
        blank()
        if ('fold' in c) out.push(indent(foldLine(c.fold), 2))
        else out.push(...changeBlock(c))
      }
    }
    blank()
  }

  if (plan.targets.length > 0) {
    out.push([
      seg('Note:', {bold: true}),
      seg(` the plan is limited to ${plan.targets.join(', ')} and what they depend on.`),
    ])
    blank()
  }

  // Warnings come before the summary so the last line read before the
  // confirmation prompt is what will happen.
  for (const w of plan.warnings) {
    out.push(...diagnosticBox(w))
    blank()
  }

  if (groups.length === 0 && plan.drift.length === 0) {
    out.push([seg(NO_CHANGES, {bold: true})])
    blank()
    out.push([seg('dockwall has compared the host against the configuration and found no')])
    out.push([seg('differences, so no changes are needed.')])
  } else if (plan.mode === 'refresh-only') {
    const n = plan.drift.length
    out.push([
      seg('Refresh-only plan:', {bold: true}),
      seg(` ${n} ${n === 1 ? 'object' : 'objects'} changed outside dockwall will be recorded in the state.`),
    ])
  } else if (!planHasChanges(plan) && summary.deferred === 0) {
    out.push([seg(NO_CHANGES, {bold: true})])
  } else {
    out.push(planSummaryLine(summary))
    const implied = impliedLine(summary.implied)
    if (implied) out.push([seg(implied, {dim: true})])
    const deferred = deferredLine(summary)
    if (deferred) out.push([seg(deferred, {color: 'cyan'})])
  }

  return `${out.map((l) => toAnsi(l, opts.color).trimEnd()).join('\n')}\n`
}

function indent(line: StyledLine, n: number): StyledLine {
  return line.length === 0 ? line : [seg(' '.repeat(n)), ...line]
}

/** One change as Terraform prints a resource: comment header, symbol and name, the body in braces. */
function changeBlock(c: Change): StyledLine[] {
  const out = changeHeader(c).map((l) => indent(l, 2))
  const body = changeBody(c)
  const title: StyledLine = [...ACTION_META[c.action].symbol, seg(` ${blockName(c)}`)]
  if (body.length === 0) {
    out.push([...title, seg(' {}')])
    return out
  }
  out.push([...title, seg(' {')])
  for (const l of body) out.push(indent(l, 6))
  out.push([seg('    }')])
  return out
}

/** Terraform's diagnostic box: `╷ │ Warning: summary │ on file line N … ╵`. */
function diagnosticBox(d: Diagnostic): StyledLine[] {
  const color = d.severity === 'error' ? 'red' : 'yellow'
  const bar = seg('│', {color})
  const out: StyledLine[] = [[seg('╷', {color})]]
  out.push([
    bar,
    seg(' '),
    seg(d.severity === 'error' ? 'Error:' : 'Warning:', {color, bold: true}),
    seg(` ${d.summary}`, {bold: true}),
  ])
  if (d.at || d.address) {
    out.push([bar])
    const where = d.at
      ? `on ${d.at.file} line ${d.at.line}${d.address ? `, in ${d.address}` : ''}:`
      : `in ${d.address}:`
    out.push([bar, seg(`   ${where}`)])
  }
  if (d.detail) {
    out.push([bar])
    for (const l of d.detail.split('\n')) out.push([bar, seg(` ${l}`)])
  }
  out.push([seg('╵', {color})])
  return out
}
