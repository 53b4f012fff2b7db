// Everything the interactive review does, as pure functions: which entries
// exist (review-layout.ts), what a key press means (review-keys.ts), how the
// selection and the screen move, and which slice of the list fits the screen. The
// Ink component (plan-review.tsx) only wires these to the terminal, so behaviour is
// tested here without one and the Ink tests only check the wiring.
import type {ReviewAction} from './review-keys.js'
import {filterSections, renderRow, rowPlan, type ReviewSection, type Row} from './review-layout.js'

/** The terminal a review runs on: both ends must be TTYs (raw-mode keys in, a screen out). */
export interface ReviewIO {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
}

// ---------------------------------------------------------------- state

export interface ReviewState {
  /** Key of the selected item; null when nothing matches. */
  selected: string | null
  expanded: readonly string[]
  /** The applied filter. */
  filter: string
  /** The filter being typed, while the `/` prompt is open; null when closed. */
  prompt: string | null
  /** First list line on screen. */
  top: number
  quit: boolean
}

export function initialReviewState(sections: readonly ReviewSection[]): ReviewState {
  return {selected: sections[0]?.items[0]?.key ?? null, expanded: [], filter: '', prompt: null, top: 0, quit: false}
}

/** The filter that shapes the list now: what is being typed wins over what was applied. */
export function activeFilter(state: ReviewState): string {
  return state.prompt ?? state.filter
}

export interface ReviewContext {
  sections: readonly ReviewSection[]
  width: number
  /** Lines available for the list. */
  viewHeight: number
}

export function reduceReview(state: ReviewState, action: ReviewAction, ctx: ReviewContext): ReviewState {
  const next = applyAction(state, action, ctx)
  return next === state ? state : scrollIntoView(next, ctx)
}

function applyAction(state: ReviewState, action: ReviewAction, ctx: ReviewContext): ReviewState {
  const visible = filterSections(ctx.sections, activeFilter(state))
  const items = visible.flatMap((s) => s.items)
  const index = items.findIndex((i) => i.key === state.selected)
  const select = (i: number): ReviewState => {
    const item = items[Math.max(0, Math.min(items.length - 1, i))]
    return item && item.key !== state.selected ? {...state, selected: item.key} : state
  }
  switch (action.type) {
    case 'up':
      return select(index - 1)
    case 'down':
      return select(index + 1)
    case 'home':
      return select(0)
    case 'end':
      return select(items.length - 1)
    case 'pageUp':
    case 'pageDown': {
      // Move by a screen of lines, not of items: expanded items are tall.
      const {rowOf} = rowPlan(visible, state.expanded, ctx.width)
      const current = state.selected === null ? -1 : (rowOf.get(state.selected) ?? -1)
      const target = current + (action.type === 'pageDown' ? 1 : -1) * Math.max(1, ctx.viewHeight - 1)
      const keys = items.map((i) => i.key)
      let pick = index
      if (action.type === 'pageDown') {
        for (let i = index + 1; i < keys.length; i++) if ((rowOf.get(keys[i] ?? '') ?? Infinity) <= target) pick = i
        if (pick === index) pick = index + 1
      } else {
        for (let i = index - 1; i >= 0; i--) if ((rowOf.get(keys[i] ?? '') ?? -Infinity) >= target) pick = i
        if (pick === index) pick = index - 1
      }
      return select(pick)
    }
    case 'toggle': {
      if (state.selected === null) return state
      const open = state.expanded.includes(state.selected)
      return {
        ...state,
        expanded: open ? state.expanded.filter((k) => k !== state.selected) : [...state.expanded, state.selected],
      }
    }
    case 'quit':
      return {...state, quit: true}
    case 'openFilter':
      return {...state, prompt: state.filter}
    case 'type':
      return refilter({...state, prompt: (state.prompt ?? '') + action.text}, ctx)
    case 'backspace':
      return refilter({...state, prompt: [...(state.prompt ?? '')].slice(0, -1).join('')}, ctx)
    case 'applyFilter':
      return refilter({...state, filter: (state.prompt ?? state.filter).trim(), prompt: null}, ctx)
    case 'clearFilter':
      return refilter({...state, filter: '', prompt: null}, ctx)
  }
}

/** After the filter changes, keep the selection if it is still listed, else select the first match. */
function refilter(state: ReviewState, ctx: ReviewContext): ReviewState {
  const items = filterSections(ctx.sections, activeFilter(state)).flatMap((s) => s.items)
  const keep = items.some((i) => i.key === state.selected)
  return {...state, selected: keep ? state.selected : (items[0]?.key ?? null), top: keep ? state.top : 0}
}

/** Scroll so the selected item, its section title when it is the first item, and as much of its expansion as fits are on screen. */
function scrollIntoView(state: ReviewState, ctx: ReviewContext): ReviewState {
  const {refs: rows, rowOf} = rowPlan(filterSections(ctx.sections, activeFilter(state)), state.expanded, ctx.width)
  const view = Math.max(1, ctx.viewHeight)
  const at = state.selected === null ? -1 : (rowOf.get(state.selected) ?? -1)
  let top = state.top
  if (at >= 0) {
    let end = at
    while (end + 1 < rows.length && rows[end + 1]?.kind === 'detail') end++
    // Show the section title with its first item, so the group is never anonymous.
    const start = at > 0 && rows[at - 1]?.kind === 'title' ? at - 1 : at
    if (start < top) top = start
    else if (end >= top + view) top = Math.min(start, end - view + 1)
    // A screen that starts with the blank line between sections wastes a line and looks cut off.
    const blankSeparator = rows[top]?.kind === 'blank'
    if (blankSeparator && top + 1 <= at && end < top + 1 + view && top + 1 <= rows.length - view) top++
  }
  top = Math.max(0, Math.min(top, rows.length - view))
  return top === state.top ? state : {...state, top}
}

export interface ReviewView {
  rows: Row[]
  total: number
  top: number
  /** Items shown after filtering, and in the plan. */
  shown: number
  all: number
  position: number
}

/** The slice of the list that is on screen now. */
export function reviewView(state: ReviewState, ctx: ReviewContext): ReviewView {
  const visible = filterSections(ctx.sections, activeFilter(state))
  const {refs} = rowPlan(visible, state.expanded, ctx.width)
  const top = Math.max(0, Math.min(state.top, refs.length - ctx.viewHeight))
  const items = visible.flatMap((s) => s.items)
  return {
    rows: refs.slice(top, top + ctx.viewHeight).map((r) => renderRow(r, state.selected, ctx.width)),
    total: refs.length,
    top,
    shown: items.length,
    all: ctx.sections.reduce((n, s) => n + s.items.length, 0),
    position: items.findIndex((i) => i.key === state.selected) + 1,
  }
}
