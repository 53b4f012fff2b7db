// The interactive plan review. This module imports Ink statically, so the lazy
// boundary is one level up: src/ui/index.ts loads this file with a dynamic
// import() when a review is asked for (Ink costs ~0.4 s: docs/ARCHITECTURE.md, "Start-up").
// PlanReview owns the state; the leaves below it map props to Box/Text. All
// behaviour lives in review-model.ts.
import {Box, render, Text, useApp, useInput, useStdout} from 'ink'
import {useEffect, useMemo, useState, type ReactElement} from 'react'

import {impliedTotal, planHasChanges, summarizePlan, type PlanSummary} from '../plan/summary.js'
import type {Plan} from '../plan/types.js'
import {keyToAction, splitKeys} from './review-keys.js'
import {helpLine, reviewSections} from './review-layout.js'
import {activeFilter, initialReviewState, reduceReview, reviewView, type ReviewIO} from './review-model.js'
import {seg, truncateLine, type StyledLine} from './styled.js'
import {StyledText} from './styled-text.js'
import {deferredLine, impliedWhat, NO_CHANGES} from './summary.js'

/** Lines around the list: summary, status, a blank, footer, and one spare so Ink never fills the screen (it then redraws it whole). */
const CHROME = 5

function summaryLine(s: PlanSummary, changes: boolean): StyledLine {
  const count = (n: number, text: string, color: 'green' | 'yellow' | 'red') =>
    seg(`${n} ${text}`, n > 0 ? {color, bold: true} : undefined)
  if (!changes) return [seg(s.deferred > 0 ? 'Plan: nothing to apply now.' : NO_CHANGES, {bold: true})]
  return [
    seg('Plan: ', {bold: true}),
    count(s.add, 'to add', 'green'),
    seg(', '),
    count(s.change, 'to change', 'yellow'),
    seg(', '),
    count(s.destroy, 'to destroy', 'red'),
    seg('.'),
  ]
}

export function SummaryBar({
  summary,
  changes,
  width,
}: {
  summary: PlanSummary
  /** planHasChanges: whether applying does anything. */
  changes: boolean
  width: number
}): ReactElement {
  return <StyledText line={truncateLine(summaryLine(summary, changes), width)} />
}

/** The second line: the filter while one is set, otherwise what the summary sentence leaves out (deferred, drift). */
export function StatusLine({
  summary,
  filter,
  shown,
  all,
  width,
}: {
  summary: PlanSummary
  filter: string
  shown: number
  all: number
  width: number
}): ReactElement {
  if (filter !== '') {
    return (
      <StyledText
        line={truncateLine(
          [seg('Filter: ', {dim: true}), seg(JSON.stringify(filter)), seg(` (${shown} of ${all})`, {dim: true})],
          width,
        )}
      />
    )
  }
  const extra: string[] = []
  const waiting = summary.deferred - summary.unwritable
  if (waiting > 0) extra.push(`${waiting} deferred until their containers exist`)
  if (summary.unwritable > 0) extra.push(`${summary.unwritable} with no address family to write in`)
  if (summary.drift > 0) extra.push(`${summary.drift} changed outside dockwall`)
  const implied = impliedTotal(summary.implied)
  if (implied > 0) extra.push(`${implied} implied (${impliedWhat(summary.implied)})`)
  return <StyledText line={truncateLine(extra.length > 0 ? [seg(extra.join(' · '), {color: 'cyan'})] : [], width)} />
}

export function FilterPrompt({draft, width}: {draft: string; width: number}): ReactElement {
  const hint = '  enter apply · esc clear'
  // Keep the end of a long draft visible, where the typing happens.
  const room = Math.max(1, width - 2 - hint.length)
  const shown = draft.length > room ? `…${draft.slice(draft.length - room + 1)}` : draft
  return (
    <Text>
      <Text color="cyan">/</Text>
      {shown}
      <Text inverse> </Text>
      <Text dimColor>{hint}</Text>
    </Text>
  )
}

export interface PlanReviewProps {
  plan: Plan
  /** Override the terminal size (tests; the default follows the terminal and its resizes). */
  columns?: number
  rows?: number
}

function useTerminalSize(fixedColumns?: number, fixedRows?: number): {columns: number; rows: number} {
  const {stdout} = useStdout()
  const [size, setSize] = useState({columns: stdout.columns || 80, rows: stdout.rows || 24})
  useEffect(() => {
    const onResize = () => setSize({columns: stdout.columns || 80, rows: stdout.rows || 24})
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return {columns: fixedColumns ?? size.columns, rows: fixedRows ?? size.rows}
}

export function PlanReview({plan, columns, rows}: PlanReviewProps): ReactElement {
  const size = useTerminalSize(columns, rows)
  const {exit} = useApp()
  const sections = useMemo(() => reviewSections(plan), [plan])
  const summary = useMemo(() => summarizePlan(plan), [plan])
  const changes = useMemo(() => planHasChanges(plan), [plan])
  const [state, setState] = useState(() => initialReviewState(sections))
  const ctx = {sections, width: size.columns, viewHeight: Math.max(3, size.rows - CHROME)}

  useInput(
    (input, key) => {
      setState((s) => {
        let next = s
        for (const [text, k] of splitKeys(input, key, s.prompt !== null)) {
          const action = keyToAction(text, k, next.prompt !== null)
          if (action) next = reduceReview(next, action, ctx)
        }
        return next
      })
    },
    {isActive: !state.quit},
  )
  useEffect(() => {
    if (state.quit) exit()
  }, [state.quit, exit])

  const view = reviewView(state, ctx)
  const deferred = deferredLine(summary)
  return (
    <Box flexDirection="column" width={size.columns}>
      <SummaryBar summary={summary} changes={changes} width={size.columns} />
      <StatusLine
        summary={summary}
        filter={activeFilter(state)}
        shown={view.shown}
        all={view.all}
        width={size.columns}
      />
      <Text> </Text>
      {view.rows.map((row, i) => (
        <StyledText key={view.top + i} line={row.line} />
      ))}
      {view.total === 0 ? (
        <Text dimColor>
          {view.all === 0
            ? `Nothing to review.${deferred ? ` ${deferred}` : ''}`
            : `Nothing matches ${JSON.stringify(activeFilter(state))}.`}
        </Text>
      ) : null}
      {state.quit ? null : state.prompt !== null ? (
        <FilterPrompt draft={state.prompt} width={size.columns} />
      ) : (
        <StyledText
          line={helpLine(
            size.columns,
            {top: view.top, total: view.total, view: ctx.viewHeight},
            view.position,
            view.shown,
          )}
        />
      )}
    </Box>
  )
}

/** Render the review on a terminal; resolves when the user quits (q, esc or ctrl-c). */
export async function reviewPlanInteractive(plan: Plan, io: ReviewIO): Promise<void> {
  if (!io.stdin.isTTY)
    throw new Error('The interactive plan review needs a terminal on stdin; use the text view (renderPlan) instead.')
  const instance = render(<PlanReview plan={plan} />, {
    stdin: io.stdin,
    stdout: io.stdout,
    patchConsole: false,
    exitOnCtrlC: true,
  })
  await instance.waitUntilExit()
}
