// The three apply loggers fed the same event sequences (one event stream, several loggers).
import {cleanup, render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'

import type {ApplyEvent} from '../../../src/apply/events.js'
import {ApplyProgress} from '../../../src/ui/apply-progress.js'
import {ApplyProgressStore} from '../../../src/ui/apply-store.js'
import {createApplyReporter, formatElapsed} from '../../../src/ui/index.js'
import {captureStream, hasAnsi, plain, settle} from './helpers.js'

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

const success: ApplyEvent[] = [
  {type: 'apply_start', total: 5},
  {type: 'change_start', address: 'network.frontend', action: 'create', description: 'docker network create frontend'},
  {type: 'change_done', address: 'network.frontend', action: 'create', elapsedMs: 210, detail: 'id=9f3b2c1d0e4a'},
  {type: 'state_saved', serial: 8},
  {
    type: 'change_start',
    address: 'container.lb.network.frontend',
    action: 'create',
    description: 'docker network connect',
  },
  {type: 'change_done', address: 'container.lb.network.frontend', action: 'create', elapsedMs: 95},
  {type: 'change_start', address: 'rule.web_http', action: 'update', description: 'iptables-restore host filter'},
  {type: 'change_done', address: 'rule.web_http', action: 'update', elapsedMs: 45},
  {type: 'change_start', address: 'rule.old_ssh', action: 'delete', description: 'iptables-restore host filter'},
  {type: 'change_done', address: 'rule.old_ssh', action: 'delete', elapsedMs: 45},
  {type: 'change_start', address: 'masquerade.backend_out', action: 'create', description: 'iptables-restore host nat'},
  {type: 'change_done', address: 'masquerade.backend_out', action: 'create', elapsedMs: 72_400},
  {type: 'state_saved', serial: 9},
  {type: 'apply_done', ok: true, added: 3, changed: 1, destroyed: 1, failed: 0, skipped: 0, elapsedMs: 72_900},
]

const failure: ApplyEvent[] = [
  {type: 'apply_start', total: 4},
  {type: 'change_start', address: 'network.frontend', action: 'create', description: 'docker network create frontend'},
  {type: 'change_done', address: 'network.frontend', action: 'create', elapsedMs: 210},
  {type: 'change_start', address: 'rule.web_http', action: 'update', description: 'iptables-restore host filter'},
  {
    type: 'change_failed',
    address: 'rule.web_http',
    action: 'update',
    elapsedMs: 30,
    error: 'iptables-restore: line 4 failed\nBad argument `wg0!`',
  },
  {type: 'change_skipped', address: 'port_forward.wg_http', action: 'create', reason: 'upstream failed: rule.web_http'},
  {
    type: 'change_skipped',
    address: 'masquerade.backend_out',
    action: 'create',
    reason: 'upstream failed: rule.web_http',
  },
  {type: 'apply_done', ok: false, added: 1, changed: 0, destroyed: 0, failed: 1, skipped: 2, elapsedMs: 300},
]

async function runText(events: ApplyEvent[], color = false): Promise<string> {
  const stdout = captureStream()
  const reporter = createApplyReporter('text', {stdout, color, stillRunningEveryMs: 0})
  for (const e of events) reporter.listener(e)
  await reporter.done()
  return stdout.text()
}

describe('formatElapsed', () => {
  it('prints tenths below a minute and Terraform minutes above', () => {
    expect(formatElapsed(0)).toBe('<0.1s')
    expect(formatElapsed(49)).toBe('<0.1s')
    expect(formatElapsed(50)).toBe('0.1s')
    expect(formatElapsed(210)).toBe('0.2s')
    expect(formatElapsed(12_500)).toBe('12.5s')
    expect(formatElapsed(72_400)).toBe('1m12s')
  })
})

describe('text reporter', () => {
  it('prints Terraform-style lines and the summary on success', async () => {
    expect(await runText(success)).toMatchInlineSnapshot(`
      "network.frontend: Creating...
      network.frontend: Creation complete after 0.2s [id=9f3b2c1d0e4a]
      container.lb.network.frontend: Creating...
      container.lb.network.frontend: Creation complete after 0.1s
      rule.web_http: Modifying...
      rule.web_http: Modifications complete after <0.1s
      rule.old_ssh: Destroying...
      rule.old_ssh: Destruction complete after <0.1s
      masquerade.backend_out: Creating...
      masquerade.backend_out: Creation complete after 1m12s

      Apply complete! Resources: 3 added, 1 changed, 1 destroyed.
      "
    `)
  })

  it('counts what the configuration implies on its own line, as the plan does (issue 14)', async () => {
    const done = {
      type: 'apply_done',
      ok: true,
      added: 6,
      changed: 0,
      destroyed: 0,
      failed: 0,
      skipped: 0,
      elapsedMs: 900,
    }
    const text = await runText([{...done, implied: {added: 6, changed: 1, destroyed: 0}} as ApplyEvent])
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      'Apply complete! Resources: 6 added, 0 changed, 0 destroyed.',
      'Implied, not declared: 6 added, 1 changed, 0 destroyed.',
    ])
    const none = await runText([{...done, implied: {added: 0, changed: 0, destroyed: 0}} as ApplyEvent])
    expect(none).not.toContain('Implied')
  })

  it('names what failed and what was skipped', async () => {
    expect(await runText(failure)).toMatchInlineSnapshot(`
      "network.frontend: Creating...
      network.frontend: Creation complete after 0.2s
      rule.web_http: Modifying...
      rule.web_http: Modification failed after <0.1s: iptables-restore: line 4 failed
          Bad argument \`wg0!\`
      port_forward.wg_http: Skipped (upstream failed: rule.web_http)
      masquerade.backend_out: Skipped (upstream failed: rule.web_http)

      Apply failed! Resources: 1 added, 0 changed, 0 destroyed; 1 failed, 2 skipped.
        Failed:  rule.web_http
        Skipped: port_forward.wg_http, masquerade.backend_out (not attempted)
      "
    `)
  })

  it('colours only when asked', async () => {
    expect(hasAnsi(await runText(success, false))).toBe(false)
    const colored = await runText(success, true)
    expect(colored).toContain('\u001B[1;32mApply complete!\u001B[0m')
    expect(plain(colored)).toBe(await runText(success, false))
  })

  it('says "Still creating..." every interval while a step runs', async () => {
    vi.useFakeTimers()
    let now = 0
    const stdout = captureStream()
    const reporter = createApplyReporter('text', {stdout, color: false, now: () => now, stillRunningEveryMs: 10_000})
    reporter.listener({type: 'change_start', address: 'network.frontend', action: 'create', description: ''})
    now = 10_000
    vi.advanceTimersByTime(10_000)
    now = 20_000
    vi.advanceTimersByTime(10_000)
    reporter.listener({type: 'change_done', address: 'network.frontend', action: 'create', elapsedMs: 21_000})
    now = 30_000
    vi.advanceTimersByTime(10_000)
    await reporter.done()
    vi.useRealTimers()
    await settle(0)
    expect(stdout.text()).toBe(
      [
        'network.frontend: Creating...',
        'network.frontend: Still creating... [10s elapsed]',
        'network.frontend: Still creating... [20s elapsed]',
        'network.frontend: Creation complete after 21.0s',
        '',
      ].join('\n'),
    )
  })
})

/** A firewall phase of `n` rule creations (the first `failing` of them fail with one error), framed as the engine frames it. */
function batch(n: number, failing = 0): ApplyEvent[] {
  const addresses = Array.from({length: n}, (_, i) => `rule.r${String(i).padStart(5, '0')}`)
  return [
    {type: 'apply_start', total: n + 1},
    {type: 'change_start', address: 'network.front', action: 'create', description: 'Creating'},
    {type: 'change_done', address: 'network.front', action: 'create', elapsedMs: 1_200},
    {type: 'batch_start', label: 'iptables', changes: n, transactions: ['host/filter', 'host/nat']},
    ...addresses.map((address): ApplyEvent => ({
      type: 'change_start',
      address,
      action: 'create',
      description: 'Creating',
    })),
    ...addresses.map((address, i): ApplyEvent =>
      i < failing
        ? {type: 'change_failed', address, action: 'create', elapsedMs: 600, error: 'host/nat: Bad argument'}
        : {type: 'change_done', address, action: 'create', elapsedMs: 600},
    ),
    {type: 'batch_done', label: 'iptables', elapsedMs: 600},
    {
      type: 'apply_done',
      ok: failing === 0,
      added: n + 1 - failing,
      changed: 0,
      destroyed: 0,
      failed: failing,
      skipped: 0,
      elapsedMs: 1_900,
    },
  ]
}

describe('large applies', () => {
  it('summarise a firewall phase of many changes in two lines, with the slowest steps at the end', async () => {
    expect(await runText(batch(20_000))).toMatchInlineSnapshot(`
      "network.front: Creating...
      network.front: Creation complete after 1.2s
      iptables: Applying 20,000 changes in 2 transactions (host/filter, host/nat)...
      iptables: Complete after 0.6s [20,000 created]

      Apply complete! Resources: 20001 added, 0 changed, 0 destroyed.
      Slowest: network.front 1.2s, iptables (20,000 changes) 0.6s
      "
    `)
  })

  it('group the failures of a summarised phase by message, with a few addresses each', async () => {
    expect(await runText(batch(30, 30))).toMatchInlineSnapshot(`
      "network.front: Creating...
      network.front: Creation complete after 1.2s
      iptables: Applying 30 changes in 2 transactions (host/filter, host/nat)...
      iptables: 30 changes failed after 0.6s
        rule.r00000, rule.r00001, rule.r00002, rule.r00003, rule.r00004 and 25 more: host/nat: Bad argument

      Apply failed! Resources: 1 added, 0 changed, 0 destroyed; 30 failed, 0 skipped.
        Failed:  rule.r00000, rule.r00001, rule.r00002, rule.r00003, rule.r00004, rule.r00005, rule.r00006, rule.r00007, rule.r00008, rule.r00009 and 20 more
      Slowest: network.front 1.2s, iptables (30 changes) 0.6s
      "
    `)
  })

  it('keep one line per change for a small firewall phase, as Terraform does', async () => {
    const out = await runText(batch(3))
    expect(out).toContain('rule.r00002: Creating...\n')
    expect(out).toContain('rule.r00002: Creation complete after 0.6s\n')
    expect(out).not.toContain('iptables:')
    expect(out).not.toContain('Slowest')
  })

  it('show a running batch as one live row in the Ink view, and its outcome once', async () => {
    const stdout = captureStream({isTTY: false, columns: 100})
    const reporter = createApplyReporter('ink', {stdout, now: () => 0})
    for (const e of batch(5_000)) reporter.listener(e)
    await reporter.done()
    const out = plain(stdout.text())
    expect(out.split('iptables: Complete after 0.6s [5,000 created]').length - 1).toBe(1)
    expect(out).not.toContain('rule.r00001')
    expect(out).toContain('Apply complete! Resources: 5001 added')
  })
})

describe('JSON lines reporter', () => {
  it('writes one JSON object per event, snake_case, with a timestamp', async () => {
    const stdout = captureStream()
    const reporter = createApplyReporter('json', {stdout, now: () => Date.UTC(2025, 0, 2, 3, 4, 5)})
    for (const e of failure) reporter.listener(e)
    await reporter.done()
    const lines = stdout.text().trimEnd().split('\n')
    expect(lines).toHaveLength(failure.length)
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(objects.map((o) => o.type)).toEqual(failure.map((e) => e.type))
    expect(objects[4]).toEqual({
      type: 'change_failed',
      address: 'rule.web_http',
      action: 'update',
      elapsed_ms: 30,
      error: 'iptables-restore: line 4 failed\nBad argument `wg0!`',
      timestamp: '2025-01-02T03:04:05.000Z',
    })
    expect(objects.at(-1)).toMatchObject({type: 'apply_done', ok: false, failed: 1, skipped: 2, elapsed_ms: 300})
  })
})

describe('Ink progress view', () => {
  it('shows running steps with a spinner and elapsed time, finished ones once, and the summary', async () => {
    // Given a clock and a store
    let now = 1_000
    const store = new ApplyProgressStore(() => now)
    const {lastFrame} = render(<ApplyProgress store={store} now={() => now} />)
    // When two steps start and time passes
    store.listener({type: 'apply_start', total: 5})
    store.listener({
      type: 'change_start',
      address: 'network.frontend',
      action: 'create',
      description: 'docker network create frontend',
    })
    now = 1_400
    store.listener({
      type: 'change_start',
      address: 'network.backend',
      action: 'replace',
      description: 'disconnect 2 containers',
    })
    now = 2_300
    await settle(100)
    // Then both run, with their elapsed time
    expect(plain(lastFrame()).replace(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/gm, '*')).toMatchInlineSnapshot(`
      "* network.frontend: Creating... 1.3s  docker network create frontend
      * network.backend: Replacing... 0.9s  disconnect 2 containers
      0 of 5 done · 2 running"
    `)
    // When one finishes
    store.listener({type: 'change_done', address: 'network.frontend', action: 'create', elapsedMs: 1_300})
    await settle()
    expect(plain(lastFrame())).toContain('✓ network.frontend: Creation complete after 1.3s')
    // When the rest fails and the apply ends
    store.listener({
      type: 'change_failed',
      address: 'network.backend',
      action: 'replace',
      elapsedMs: 900,
      error: 'network has active endpoints',
    })
    store.listener({
      type: 'change_skipped',
      address: 'rule.web_http',
      action: 'update',
      reason: 'upstream failed: network.backend',
    })
    store.listener({
      type: 'apply_done',
      ok: false,
      added: 1,
      changed: 0,
      destroyed: 0,
      failed: 1,
      skipped: 1,
      elapsedMs: 1_500,
    })
    await settle()
    expect(plain(lastFrame())).toMatchInlineSnapshot(`
      "✓ network.frontend: Creation complete after 1.3s
      ✗ network.backend: Replacement failed after 0.9s: network has active endpoints
      - rule.web_http: Skipped (upstream failed: network.backend)

      Apply failed! Resources: 1 added, 0 changed, 0 destroyed; 1 failed, 1 skipped.
        Failed:  network.backend
        Skipped: rule.web_http (not attempted)"
    `)
  })

  it('works through createApplyReporter, including events sent before Ink has loaded', async () => {
    const stdout = captureStream({isTTY: false, columns: 100})
    const reporter = createApplyReporter('ink', {stdout, now: () => 0})
    for (const e of success) reporter.listener(e)
    await reporter.done()
    const out = plain(stdout.text())
    expect(out).toContain('✓ network.frontend: Creation complete after 0.2s [id=9f3b2c1d0e4a]')
    expect(out).toContain('✓ masquerade.backend_out: Creation complete after 1m12s')
    expect(out).toContain('Apply complete! Resources: 3 added, 1 changed, 1 destroyed.')
    // Finished rows are <Static>: written once, never redrawn
    expect(out.split('✓ network.frontend: Creation complete').length - 1).toBe(1)
  })
})
