// The Ink review through ink-testing-library: a fixed 100-column stdout, keys
// sent with stdin.write, assertions on the unstyled last frame.
import {cleanup, render} from 'ink-testing-library'
import {afterEach, describe, expect, it} from 'vitest'

import {PlanReview} from '../../../src/ui/plan-review.js'
import {fixturePlan, noChangesPlan, smallPlan} from './fixtures.js'
import {eventually, KEY, plain, settle} from './helpers.js'

afterEach(() => {
  cleanup()
})

async function press(stdin: {write(s: string): void}, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k)
    await settle()
  }
}

/** The line the pointer is on, without the pointer. */
function selected(frame: string | undefined): string {
  const line = plain(frame)
    .split('\n')
    .find((l) => l.startsWith('›'))
  return (line ?? '').slice(1).trim()
}

describe('PlanReview', () => {
  it('shows the summary, drift apart from changes, and groups by resource type', () => {
    // Given the small plan on a 100x30 terminal
    const {lastFrame} = render(<PlanReview plan={smallPlan()} rows={30} />)
    // Then the summary comes first and each type has its group
    expect(plain(lastFrame())).toMatchInlineSnapshot(`
      "Plan: 3 to add, 1 to change, 2 to destroy.


      Networks (2)
      ›   + network.frontend  create
          - network.legacy  destroy: not in the configuration any more

      Attachments (1)
          + container.lb.network.frontend  create

      Rules (2)
          - rule.old_ssh  destroy: not in the configuration any more
          ~ rule.web_http  update: ports differ

      Masquerades (1)
          + masquerade.backend_out  create
      ↑↓/jk move · enter/space expand · / filter · q quit                                              1/6"
    `)
  })

  it('puts drift in its own section above the planned changes', () => {
    const {lastFrame} = render(<PlanReview plan={fixturePlan()} rows={40} />)
    const frame = plain(lastFrame())
    expect(frame.split('\n').slice(0, 10).join('\n')).toMatchInlineSnapshot(`
      "Plan: 7 to add, 3 to change, 3 to destroy.
      2 deferred until their containers exist · 5 changed outside dockwall · 1 implied (1 dockwall chain)

      Changed outside dockwall (5)
      ›   - rule.backend_to_lb  has been deleted
          ~ rule.web_http  has been changed
          + chain.host.filter.DOCKWALL-FORWARD  has a rule dockwall did not write
          - chain.host.filter.DOCKWALL-INPUT  lost its jump rule
          ~ container.api.network.backend  lost its static address
      "
    `)
    expect(frame.indexOf('Changed outside dockwall (5)')).toBeLessThan(frame.indexOf('Networks (3)'))
    // no-ops are not listed
    expect(frame).not.toContain('rule.db_admin')
  })

  it('moves with arrows and j/k, and stops at both ends', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={smallPlan()} rows={30} />)
    expect(selected(lastFrame())).toBe('+ network.frontend  create')
    await press(stdin, 'j')
    expect(selected(lastFrame())).toMatch(/^- network\.legacy/)
    await press(stdin, KEY.down)
    expect(selected(lastFrame())).toMatch(/container\.lb\.network\.frontend/)
    await press(stdin, 'k', KEY.up)
    expect(selected(lastFrame())).toMatch(/network\.frontend/)
    await press(stdin, KEY.up, 'k')
    expect(selected(lastFrame())).toMatch(/^\+ network\.frontend/)
    await press(stdin, 'G')
    expect(selected(lastFrame())).toMatch(/masquerade\.backend_out/)
    await press(stdin, 'j')
    expect(selected(lastFrame())).toMatch(/masquerade\.backend_out/)
    expect(plain(lastFrame())).toContain('6/6')
    await press(stdin, 'g')
    expect(selected(lastFrame())).toMatch(/network\.frontend/)
  })

  it('treats a burst of keys (key repeat, tmux send-keys) as separate presses', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={smallPlan()} rows={30} />)
    // Polled: on a loaded machine the three presses of one write may take more than one settle to render.
    await press(stdin, 'jjj')
    await eventually(() => expect(selected(lastFrame())).toMatch(/rule\.old_ssh/))
    await press(stdin, 'j\r')
    await eventually(() => expect(plain(lastFrame())).toContain('-A DOCKWALL-FORWARD'))
  })

  it('expands a change to its attributes and iptables line diff, and collapses it again', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={smallPlan()} rows={40} />)
    // Given rule.web_http selected (the masquerade group is last)
    await press(stdin, 'G', 'k')
    expect(selected(lastFrame())).toMatch(/rule\.web_http/)
    // When enter is pressed
    await press(stdin, KEY.enter)
    // Then the attributes and the exact lines appear, removed and added
    const frame = plain(lastFrame())
    expect(frame.slice(frame.indexOf('Rules (2)'), frame.indexOf('Masquerades'))).toMatchInlineSnapshot(`
      "Rules (2)
          - rule.old_ssh  destroy: not in the configuration any more
      ›   ~ rule.web_http  update: ports differ
              # (ports differ)
            ~ ports = [80] -> [80, 443]
              # (6 unchanged attributes hidden)

              # iptables: host, filter table
            - -A DOCKWALL-FORWARD -d 172.18.103.2/32 -p tcp -m tcp --dport 80 -m comment --comment
                dockwall:rule.web_http -j ACCEPT
            + -A DOCKWALL-FORWARD -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment
                --comment dockwall:rule.web_http -j ACCEPT

      "
    `)
    // When space is pressed, it collapses
    await press(stdin, ' ')
    expect(plain(lastFrame())).not.toContain('-A DOCKWALL-FORWARD')
  })

  it('shows what a replace disconnects and why it is needed', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={fixturePlan()} rows={60} />)
    await press(stdin, '/', 'network.backend', KEY.enter)
    // The drift entry for container.api.network.backend matches too and comes first
    expect(selected(lastFrame())).toMatch(/container\.api\.network\.backend {2}lost its static address/)
    await press(stdin, 'j', KEY.enter)
    expect(selected(lastFrame())).toMatch(/^-\/\+ network\.backend/)
    const frame = plain(lastFrame())
    expect(frame).toContain('# (Docker cannot change the subnet of an existing network)')
    // Only what changes is shown, each attribute marked with what it forces (issue 14).
    expect(frame).toContain('~ subnet  = "172.19.0.0/24" -> "172.20.0.0/24" # forces replacement')
    expect(frame).toContain('# (4 unchanged attributes hidden)')
    expect(frame).toContain('# disconnects container.api, container.db (reconnected afterwards)')
  })

  it('filters by address substring as you type, keeps it on enter, clears it on esc', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={fixturePlan()} rows={40} />)
    // When "/" is pressed and "worker" typed
    await press(stdin, '/')
    expect(plain(lastFrame())).toContain('enter apply · esc clear')
    await press(stdin, 'w', 'o', 'r', 'k', 'e', 'r')
    let frame = plain(lastFrame())
    // Then only matching entries remain, live
    expect(frame).toMatchInlineSnapshot(`
      "Plan: 7 to add, 3 to change, 3 to destroy.
      Filter: "worker" (2 of 20)

      Routes (1)
      ›   … container.worker.route["10.9.0.0/16"]  deferred: container "worker" does not exist yet

      Port forwards (1)
          … port_forward.worker_metrics  deferred: container "worker" does not exist yet
      /worker   enter apply · esc clear"
    `)
    // When enter applies it, the key help comes back and the filter stays
    await press(stdin, KEY.enter)
    frame = plain(lastFrame())
    expect(frame).toContain('Filter: "worker" (2 of 20)')
    expect(frame).toContain('q quit')
    // Backspace edits the filter in the prompt
    await press(
      stdin,
      '/',
      KEY.backspace,
      KEY.backspace,
      KEY.backspace,
      KEY.backspace,
      KEY.backspace,
      KEY.backspace,
      'dockwall-f',
    )
    frame = plain(lastFrame())
    expect(frame).toContain('Filter: "dockwall-f" (1 of 20)')
    expect(selected(lastFrame())).toMatch(/chain\.host\.filter\.DOCKWALL-FORWARD/)
    // When esc is pressed in the prompt, the filter is cleared
    await press(stdin, KEY.escape)
    frame = plain(lastFrame())
    expect(frame).not.toContain('Filter:')
    expect(frame).toContain('Networks (3)')
  })

  it('says so when nothing matches the filter', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={smallPlan()} rows={30} />)
    await press(stdin, '/', 'zzz')
    expect(plain(lastFrame())).toContain('Nothing matches "zzz".')
    expect(plain(lastFrame())).toContain('Filter: "zzz" (0 of 6)')
  })

  it('scrolls when the list is taller than the terminal, keeping the selection in view', async () => {
    // Given 24 rows: 19 lines for the list
    const {lastFrame, stdin} = render(<PlanReview plan={fixturePlan()} rows={24} />)
    let frame = plain(lastFrame())
    expect(frame.split('\n')).toHaveLength(23)
    expect(frame).toContain('1/20 ↓')
    expect(frame).not.toContain('firewall')
    // When moving to the last entry
    await press(stdin, 'G')
    frame = plain(lastFrame())
    // Then the list has scrolled: the top is gone, the end is shown, and the frame keeps its height
    expect(frame.split('\n')).toHaveLength(23)
    expect(frame).toContain('›   ~ firewall')
    expect(frame).not.toContain('Changed outside dockwall (5)')
    expect(frame).toContain('20/20 ↑')
    // When expanding it, its details are scrolled into view
    await press(stdin, KEY.enter)
    frame = plain(lastFrame())
    expect(frame).toContain('+ -A DOCKWALL-FORWARD -m comment --comment dockwall:firewall -j DROP')
    // When paging up, the selection moves by about a screen
    await press(stdin, KEY.pageUp)
    expect(selected(lastFrame())).not.toMatch(/firewall/)
    expect(plain(lastFrame()).split('\n')).toHaveLength(23)
  })

  it('is readable at 80 columns: long rows are cut with an ellipsis', () => {
    const {lastFrame} = render(<PlanReview plan={fixturePlan()} columns={80} rows={24} />)
    const lines = plain(lastFrame()).split('\n')
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80)
    expect(lines.some((l) => l.endsWith('…'))).toBe(true)
  })

  it('quits on q and drops the key help from the final frame', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={smallPlan()} rows={30} />)
    await press(stdin, 'q')
    await eventually(() => {
      expect(plain(lastFrame())).not.toContain('q quit')
      expect(plain(lastFrame())).toContain('Plan: 3 to add, 1 to change, 2 to destroy.')
    })
    // Input after quitting does nothing
    await press(stdin, 'j')
    expect(plain(lastFrame())).not.toContain('q quit')
  })

  it('quits on esc', async () => {
    const {lastFrame, stdin} = render(<PlanReview plan={smallPlan()} rows={30} />)
    await press(stdin, KEY.escape)
    expect(plain(lastFrame())).not.toContain('q quit')
  })

  it('says there are no changes', () => {
    const {lastFrame} = render(<PlanReview plan={noChangesPlan()} rows={30} />)
    expect(plain(lastFrame())).toMatchInlineSnapshot(`
      "No changes. The host matches the configuration.


      Nothing to review.
      ↑↓/jk move · enter/space expand · / filter · q quit                                              0/0"
    `)
  })
})
