// What the review lists and how it is laid out in screen lines: sections of items
// (drift first, then changes by resource type), the filter, and one row per screen line,
// drawn only for the rows on screen. Pure; review-model.ts decides what is selected and
// where the screen starts.
import type {Change, Drift, Plan} from '../plan/types.js'
import {ACTION_META, changeBody, changeNote, DRIFT_META, driftBody, groupChanges} from './plan-model.js'
import {padEnd, seg, textWidth, truncateLine, wrapLine, type StyledLine} from './styled.js'

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

export interface RowPlan {
  refs: RowRef[]
  /** The row of each item's own line. */
  rowOf: Map<string, number>
}

const plans = new WeakMap<readonly ReviewSection[], {expanded: readonly string[]; width: number; plan: RowPlan}>()

export function rowPlan(sections: readonly ReviewSection[], expanded: readonly string[], width: number): RowPlan {
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

export function renderRow(ref: RowRef, selected: string | null, width: number): Row {
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
export function layoutRows(
  sections: readonly ReviewSection[],
  state: {expanded: readonly string[]; selected: string | null},
  width: number,
): {rows: Row[]} {
  return {rows: rowPlan(sections, state.expanded, width).refs.map((r) => renderRow(r, state.selected, width))}
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
