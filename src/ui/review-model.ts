// Everything the interactive review does, as pure functions: which entries
// exist, what a key press means, how the list is laid out in lines, and which
// slice of it fits the screen. The Ink component (plan-review.tsx) only wires
// these to the terminal, so behaviour is tested here without one and the Ink
// tests only check the wiring.
import type {Change, Drift, Plan} from '../plan/types.js'
import {ACTION_META, changeBody, changeNote, DRIFT_META, driftBody, groupChanges} from './plan-model.js'
import {padEnd, seg, textWidth, truncateLine, wrapLine, type StyledLine} from './styled.js'

/** The terminal a review runs on: both ends must be TTYs (raw-mode keys in, a screen out). */
export interface ReviewIO {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
}

export type ReviewItem =
  | {key: string; kind: 'change'; address: string; change: Change}
  | {key: string; kind: 'drift'; address: string; drift: Drift}

export interface ReviewSection {
  id: string
  title: string
  drift: boolean
  items: ReviewItem[]
}

/** Drift first and apart (it happened already), then planned changes by resource type. */
export function reviewSections(plan: Plan): ReviewSection[] {
  const out: ReviewSection[] = []
  if (plan.drift.length > 0) {
    out.push({
      id: 'drift',
      title: 'Changed outside dockwall',
      drift: true,
      // Two drift entries may share an address (a deleted rule and a foreign rule in one chain): the index keeps keys unique.
      items: plan.drift.map((d, i) => ({key: `drift:${i}:${d.address}`, kind: 'drift', address: d.address, drift: d})),
    })
  }
  for (const g of groupChanges(plan.changes)) {
    out.push({
      id: g.type,
      title: g.title,
      drift: false,
      items: g.changes.map((c) => ({key: `change:${c.address}`, kind: 'change', address: c.address, change: c})),
    })
  }
  return out
}

const filtered = new WeakMap<readonly ReviewSection[], Map<string, ReviewSection[]>>()

/**
 * Sections with only the items whose address contains `filter` (case-insensitive); empty sections dropped.
 * Remembered per sections and filter: every key press asks again, and a plan may hold 20,000 items.
 */
export function filterSections(sections: readonly ReviewSection[], filter: string): ReviewSection[] {
  const f = filter.trim().toLowerCase()
  let byFilter = filtered.get(sections)
  if (!byFilter) filtered.set(sections, (byFilter = new Map()))
  let out = byFilter.get(f)
  if (!out) {
    out =
      f === ''
        ? [...sections]
        : sections
            .map((s) => ({...s, items: s.items.filter((i) => i.address.toLowerCase().includes(f))}))
            .filter((s) => s.items.length > 0)
    byFilter.set(f, out)
  }
  return out
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

export type ReviewAction =
  | {type: 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'toggle' | 'quit'}
  | {type: 'openFilter' | 'applyFilter' | 'clearFilter' | 'backspace'}
  | {type: 'type'; text: string}

/** The subset of Ink's `Key` the review reads (so this module needs no Ink). */
export interface KeyPress {
  upArrow: boolean
  downArrow: boolean
  pageUp: boolean
  pageDown: boolean
  home: boolean
  end: boolean
  return: boolean
  escape: boolean
  backspace: boolean
  delete: boolean
  ctrl: boolean
  meta: boolean
  tab: boolean
}

const NO_KEY: KeyPress = {
  upArrow: false,
  downArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  backspace: false,
  delete: false,
  ctrl: false,
  meta: false,
  tab: false,
}

/**
 * Ink hands over a burst of plain characters as one "paste" (`jjj` from key
 * repeat, `j\r` from a fast typist or tmux send-keys). Outside the filter
 * prompt every character is a command, so split the burst into key presses.
 */
export function splitKeys(input: string, key: KeyPress, prompting: boolean): [string, KeyPress][] {
  const special = (Object.keys(NO_KEY) as (keyof KeyPress)[]).some((k) => key[k])
  const chars = [...input]
  if (special || chars.length <= 1) return [[input, key]]
  const out: [string, KeyPress][] = []
  let text = ''
  const flushText = () => {
    if (text !== '') out.push([text, NO_KEY])
    text = ''
  }
  for (const ch of chars) {
    if (ch === '\r' || ch === '\n') {
      flushText()
      out.push(['', {...NO_KEY, return: true}])
    } else if (ch === '\x7f' || ch === '\b') {
      flushText()
      out.push(['', {...NO_KEY, backspace: true}])
    } else if (prompting) {
      // Pasted filter text stays one piece.
      text += ch
    } else {
      out.push([ch, NO_KEY])
    }
  }
  flushText()
  return out
}

export function keyToAction(input: string, key: KeyPress, prompting: boolean): ReviewAction | null {
  if (key.upArrow) return {type: 'up'}
  if (key.downArrow) return {type: 'down'}
  if (key.pageUp) return {type: 'pageUp'}
  if (key.pageDown) return {type: 'pageDown'}
  if (prompting) {
    if (key.escape) return {type: 'clearFilter'}
    if (key.return) return {type: 'applyFilter'}
    // Terminals send DEL (0x7f) for backspace, which Ink reports as either key.
    if (key.backspace || key.delete) return {type: 'backspace'}
    if (key.ctrl || key.meta || key.tab || input === '') return null
    return {type: 'type', text: input}
  }
  if (key.home) return {type: 'home'}
  if (key.end) return {type: 'end'}
  if (key.return) return {type: 'toggle'}
  if (key.escape) return {type: 'quit'}
  if (key.ctrl || key.meta) return null
  switch (input) {
    case 'k':
      return {type: 'up'}
    case 'j':
      return {type: 'down'}
    case ' ':
      return {type: 'toggle'}
    case 'g':
      return {type: 'home'}
    case 'G':
      return {type: 'end'}
    case '/':
      return {type: 'openFilter'}
    case 'q':
      return {type: 'quit'}
    default:
      return null
  }
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

// ---------------------------------------------------------------- layout

export interface Row {
  line: StyledLine
  /** The item this row belongs to (its own row and its expansion). */
  itemKey?: string
  /** True for the item's own one-line row. */
  item?: boolean
  /** True for a section title. */
  title?: boolean
}

const POINTER = '›'
/** Expanded content starts under the address: pointer (2) + symbol (3) + space. */
const DETAIL_INDENT = 6

function itemRow(item: ReviewItem, selected: boolean, width: number): StyledLine {
  const pointer = selected ? seg(`${POINTER} `, {color: 'cyan', bold: true}) : seg('  ')
  const address = seg(item.address, selected ? {bold: true} : undefined)
  if (item.kind === 'change') {
    const meta = ACTION_META[item.change.action]
    return truncateLine(
      [pointer, ...meta.symbol, seg(' '), address, seg(`  ${changeNote(item.change)}`, {dim: true})],
      width,
    )
  }
  const meta = DRIFT_META[item.drift.kind]
  return truncateLine([pointer, seg('  '), meta.symbol, seg(' '), address, seg(`  ${meta.phrase}`, {dim: true})], width)
}

function detailLines(item: ReviewItem, width: number): StyledLine[] {
  let body: StyledLine[]
  if (item.kind === 'change') {
    body = [...item.change.reasons.map((r) => [seg('  '), seg(`# (${r})`, {dim: true})]), ...changeBody(item.change)]
    if (body.length === 0) body = [[seg('  '), seg('(no attributes)', {dim: true})]]
  } else {
    body = driftBody(item.drift)
  }
  // Wrapped, not cut: the exact iptables line is what the operator expanded the change to read.
  const room = Math.max(10, width - DETAIL_INDENT)
  return body
    .flatMap((l) => (l.length === 0 ? [[]] : wrapLine(l, room, 4)))
    .map((l) => (l.length === 0 ? l : [seg(' '.repeat(DETAIL_INDENT)), ...l]))
}

/**
 * What each screen line of the list is, without drawing it: a plan of 20,000 items
 * has 20,000 rows, and drawing them all on every key press made the review lag. Only
 * the rows on screen are drawn (renderRow); the plan is remembered per filtered
 * sections, expanded set and width, so moving the selection reuses it.
 */
type RowRef =
  | {kind: 'blank'}
  | {kind: 'title'; section: ReviewSection}
  | {kind: 'item'; item: ReviewItem}
  | {kind: 'detail'; item: ReviewItem; line: StyledLine}

interface RowPlan {
  refs: RowRef[]
  /** The row of each item's own line. */
  rowOf: Map<string, number>
}

const plans = new WeakMap<readonly ReviewSection[], {expanded: readonly string[]; width: number; plan: RowPlan}>()

function rowPlan(sections: readonly ReviewSection[], expanded: readonly string[], width: number): RowPlan {
  const known = plans.get(sections)
  if (known && known.expanded === expanded && known.width === width) return known.plan
  const open = new Set(expanded)
  const refs: RowRef[] = []
  const rowOf = new Map<string, number>()
  sections.forEach((section, n) => {
    if (n > 0) refs.push({kind: 'blank'})
    refs.push({kind: 'title', section})
    for (const item of section.items) {
      rowOf.set(item.key, refs.length)
      refs.push({kind: 'item', item})
      if (open.has(item.key)) for (const line of detailLines(item, width)) refs.push({kind: 'detail', item, line})
    }
  })
  const plan = {refs, rowOf}
  plans.set(sections, {expanded, width, plan})
  return plan
}

function renderRow(ref: RowRef, selected: string | null, width: number): Row {
  switch (ref.kind) {
    case 'blank':
      return {line: []}
    case 'title': {
      const s = ref.section
      const color = s.drift ? 'yellow' : undefined
      return {line: truncateLine([seg(`${s.title} (${s.items.length})`, {bold: true, color})], width), title: true}
    }
    case 'item':
      return {line: itemRow(ref.item, ref.item.key === selected, width), itemKey: ref.item.key, item: true}
    case 'detail':
      return {line: ref.line, itemKey: ref.item.key}
  }
}

/** The whole list as screen lines (each exactly one terminal line at `width`). */
export function layoutRows(sections: readonly ReviewSection[], state: ReviewState, width: number): {rows: Row[]} {
  return {rows: rowPlan(sections, state.expanded, width).refs.map((r) => renderRow(r, state.selected, width))}
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

/** The key help, shortened to fit: the most useful keys first. */
export function helpLine(
  width: number,
  scroll: {top: number; total: number; view: number},
  position: number,
  shown: number,
): StyledLine {
  const where = shown > 0 ? `${position}/${shown}` : '0/0'
  const more =
    scroll.top > 0 && scroll.top + scroll.view < scroll.total
      ? ' ↑↓'
      : scroll.top > 0
        ? ' ↑'
        : scroll.top + scroll.view < scroll.total
          ? ' ↓'
          : ''
  const right = `${where}${more}`
  const variants = [
    '↑↓/jk move · enter/space expand · / filter · q quit',
    '↑↓ jk move · enter expand · / filter · q quit',
    'jk move · enter · / · q',
  ]
  const room = width - textWidth(right) - 2
  const help = variants.find((v) => textWidth(v) <= room) ?? ''
  return truncateLine(
    [seg(padEnd(help, Math.max(0, width - textWidth(right))), {dim: true}), seg(right, {dim: true})],
    width,
  )
}
