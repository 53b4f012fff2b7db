// The review's behaviour without a terminal: keys to actions, the reducer, layout.
import {describe, expect, it} from 'vitest'

import {keyToAction, splitKeys, type KeyPress, type ReviewAction} from '../../../src/ui/review-keys.js'
import {filterSections, layoutRows, reviewSections} from '../../../src/ui/review-layout.js'
import {initialReviewState, reduceReview, reviewView, type ReviewState} from '../../../src/ui/review-model.js'
import {plainText} from '../../../src/ui/styled.js'
import {change, fixturePlan, plan, smallPlan} from './fixtures.js'

const none: KeyPress = {
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

describe('keyToAction', () => {
  it('maps navigation keys outside the prompt', () => {
    expect(keyToAction('', {...none, upArrow: true}, false)).toEqual({type: 'up'})
    expect(keyToAction('k', none, false)).toEqual({type: 'up'})
    expect(keyToAction('j', none, false)).toEqual({type: 'down'})
    expect(keyToAction('', {...none, return: true}, false)).toEqual({type: 'toggle'})
    expect(keyToAction(' ', none, false)).toEqual({type: 'toggle'})
    expect(keyToAction('/', none, false)).toEqual({type: 'openFilter'})
    expect(keyToAction('q', none, false)).toEqual({type: 'quit'})
    expect(keyToAction('', {...none, escape: true}, false)).toEqual({type: 'quit'})
    expect(keyToAction('x', none, false)).toBeNull()
  })

  it('types into the prompt, where q and j are text and esc clears', () => {
    expect(keyToAction('q', none, true)).toEqual({type: 'type', text: 'q'})
    expect(keyToAction('j', none, true)).toEqual({type: 'type', text: 'j'})
    expect(keyToAction('', {...none, escape: true}, true)).toEqual({type: 'clearFilter'})
    expect(keyToAction('', {...none, return: true}, true)).toEqual({type: 'applyFilter'})
    expect(keyToAction('', {...none, delete: true}, true)).toEqual({type: 'backspace'})
    expect(keyToAction('', {...none, downArrow: true}, true)).toEqual({type: 'down'})
  })
})

describe('splitKeys', () => {
  it('splits a burst of command keys, and keeps pasted filter text whole', () => {
    expect(splitKeys('jj\r', none, false).map(([t, k]) => (k.return ? '⏎' : t))).toEqual(['j', 'j', '⏎'])
    expect(splitKeys('web\r', none, true).map(([t, k]) => (k.return ? '⏎' : t))).toEqual(['web', '⏎'])
    expect(splitKeys('', {...none, upArrow: true}, false)).toHaveLength(1)
  })
})

describe('reduceReview', () => {
  const sections = reviewSections(fixturePlan())
  const ctx = {sections, width: 80, viewHeight: 10}
  const run = (...actions: ReviewAction[]): ReviewState =>
    actions.reduce((s, a) => reduceReview(s, a, ctx), initialReviewState(sections))

  it('starts on the first drift entry: drift comes first', () => {
    expect(sections.map((s) => s.title)).toEqual([
      'Changed outside dockwall',
      'Networks',
      'Attachments',
      'Routes',
      'Chains',
      'Rules',
      'Port forwards',
      'Masquerades',
      'Firewall',
    ])
    expect(initialReviewState(sections).selected).toBe('drift:0:rule.backend_to_lb')
  })

  it('scrolls so the selection stays on screen', () => {
    const s = run({type: 'end'})
    expect(s.selected).toBe('change:firewall')
    const {rows} = layoutRows(sections, s, 80)
    const at = rows.findIndex((r) => r.item && r.itemKey === s.selected)
    expect(at).toBeGreaterThanOrEqual(s.top)
    expect(at).toBeLessThan(s.top + ctx.viewHeight)
    // and back to the top shows the first section title again
    expect(reduceReview(s, {type: 'home'}, ctx).top).toBe(0)
  })

  it('pages by a screen of lines', () => {
    const s = run({type: 'pageDown'})
    const view = reviewView(s, ctx)
    expect(view.position).toBeGreaterThan(5)
    expect(reduceReview(s, {type: 'pageUp'}, ctx).selected).toBe(initialReviewState(sections).selected)
  })

  it('keeps the selection when it still matches the filter, else selects the first match', () => {
    const s = run({type: 'openFilter'}, {type: 'type', text: 'rule.'})
    expect(s.selected).toBe('drift:0:rule.backend_to_lb')
    const t = reduceReview(s, {type: 'type', text: 'old'}, ctx)
    expect(t.selected).toBe('change:rule.old_ssh')
    const u = reduceReview(t, {type: 'applyFilter'}, ctx)
    expect(u).toMatchObject({filter: 'rule.old', prompt: null})
    expect(reduceReview(u, {type: 'clearFilter'}, ctx)).toMatchObject({filter: '', selected: 'change:rule.old_ssh'})
  })

  it('selects nothing when nothing matches, and does not crash on keys', () => {
    const s = run(
      {type: 'openFilter'},
      {type: 'type', text: 'nope'},
      {type: 'applyFilter'},
      {type: 'down'},
      {type: 'toggle'},
      {type: 'end'},
    )
    expect(s.selected).toBeNull()
    expect(filterSections(sections, 'nope')).toEqual([])
  })
})

describe('layoutRows', () => {
  it('makes every row fit the width', () => {
    const sections = reviewSections(fixturePlan())
    const state = {...initialReviewState(sections), expanded: sections.flatMap((s) => s.items.map((i) => i.key))}
    for (const width of [40, 80, 100]) {
      for (const r of layoutRows(sections, state, width).rows)
        expect([...plainText(r.line)].length).toBeLessThanOrEqual(width)
    }
  })

  it('shows a change without attributes as such when expanded', () => {
    const sections = reviewSections({
      ...smallPlan(),
      changes: [
        {address: 'rule.x', type: 'rule', action: 'create', before: null, after: null, reasons: [], dependsOn: []},
      ],
    })
    const state = {...initialReviewState(sections), expanded: ['change:rule.x']}
    expect(layoutRows(sections, state, 80).rows.map((r) => plainText(r.line))).toEqual([
      'Rules (1)',
      '›   + rule.x  create',
      '        (no attributes)',
    ])
  })
})

describe('a review of 20,000 changes', () => {
  const changes = Array.from({length: 20_000}, (_, i) =>
    change(`rule.r${String(i).padStart(5, '0')}`, 'rule', 'create', {after: {chain: 'forward'}}),
  )
  const sections = reviewSections(plan({changes}))
  const ctx = {sections, width: 80, viewHeight: 20}
  const press = (s: ReviewState, ...actions: ReviewAction[]): ReviewState =>
    actions.reduce((st, a) => reduceReview(st, a, ctx), s)

  it('draws only the rows on screen, wherever the selection goes', () => {
    let s = press(initialReviewState(sections), {type: 'end'})
    let view = reviewView(s, ctx)
    expect(view.rows).toHaveLength(20)
    expect(view.position).toBe(20_000)
    expect(plainText(view.rows.at(-1)!.line)).toContain('rule.r19999')
    s = press(s, {type: 'pageUp'}, {type: 'pageUp'})
    view = reviewView(s, ctx)
    expect(view.position).toBe(20_000 - 2 * 19)
    expect(view.rows.some((r) => plainText(r.line).startsWith('› '))).toBe(true)
  })

  it('expands, filters and keeps the selection in view', () => {
    let s = press(initialReviewState(sections), {type: 'end'}, {type: 'toggle'})
    let view = reviewView(s, ctx)
    expect(view.rows.map((r) => plainText(r.line)).join('\n')).toContain('chain')
    s = press(s, {type: 'openFilter'}, {type: 'type', text: 'r1234'}, {type: 'applyFilter'})
    view = reviewView(s, ctx)
    expect(view.shown).toBe(10) // r12340 to r12349
    expect(view.rows.filter((r) => r.item).map((r) => plainText(r.line).trim())[0]).toContain('rule.r12340')
  })
})
