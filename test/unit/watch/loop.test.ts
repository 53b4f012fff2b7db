// The watch loop with a fake clock and a fake reconcile function: debounce of
// configuration changes, batching of Docker events, one reconciliation at a time with
// one coalesced follow-up, the drift interval, retry backoff, and a graceful stop.
import {describe, expect, it} from 'vitest'

import {WatchLoop, type LoopOptions} from '../../../src/watch/loop.js'
import {emptyCounts, type Outcome, type ReconcileReport, type Trigger} from '../../../src/watch/types.js'
import {FakeClock} from './fake-clock.js'

const OK: Outcome = {result: 'unchanged', counts: emptyCounts(), addresses: [], config: {state: 'ok'}}
const FAIL: Outcome = {
  result: 'failed',
  counts: emptyCounts(),
  addresses: [],
  error: 'docker is down',
  retry: true,
  config: {state: 'ok'},
}

interface Harness {
  clock: FakeClock
  loop: WatchLoop
  /** Each call of the fake reconcile: when it started and with which triggers. */
  calls: {at: number; triggers: Trigger[]}[]
  reports: ReconcileReport[]
  /** Highest number of reconciliations that ran at the same time. */
  maxConcurrent: () => number
  /** Fake-clock time since the harness was made. */
  t: () => number
}

function harness(
  opts: {durationMs?: number; outcomes?: Outcome[]; intervalMs?: number; loop?: Partial<LoopOptions>} = {},
): Harness {
  const clock = new FakeClock()
  const t0 = clock.now()
  const calls: Harness['calls'] = []
  const reports: ReconcileReport[] = []
  let running = 0
  let max = 0
  const outcomes = [...(opts.outcomes ?? [])]
  const loop = new WatchLoop({
    clock,
    intervalMs: opts.intervalMs ?? 0,
    reconcile: async (triggers) => {
      calls.push({at: clock.now() - t0, triggers: [...triggers]})
      running++
      max = Math.max(max, running)
      if (opts.durationMs) await clock.sleep(opts.durationMs)
      running--
      return outcomes.shift() ?? OK
    },
    report: (r) => {
      reports.push(r)
    },
    ...opts.loop,
  })
  return {clock, loop, calls, reports, maxConcurrent: () => max, t: () => clock.now() - t0}
}

const kinds = (c: {triggers: Trigger[]}): string[] => c.triggers.map((t) => t.kind)

describe('WatchLoop', () => {
  it('runs a startup, SIGHUP or reconnect trigger at once', async () => {
    const h = harness()
    h.loop.trigger('startup')
    await h.clock.advance(0)
    h.loop.trigger('signal', 'SIGHUP')
    await h.clock.advance(0)
    h.loop.trigger('reconnect')
    await h.clock.advance(0)
    expect(h.calls.map((c) => [c.at, kinds(c)])).toEqual([
      [0, ['startup']],
      [0, ['signal']],
      [0, ['reconnect']],
    ])
  })

  it('debounces configuration changes: one run 300 ms after the last change', async () => {
    // Given an editor that writes a file three times, 100 ms apart
    const h = harness()
    h.loop.trigger('config', 'main.hcl')
    await h.clock.advance(100)
    h.loop.trigger('config', 'main.hcl')
    await h.clock.advance(100)
    h.loop.trigger('config', 'main.hcl')
    await h.clock.advance(299)
    // Then nothing has run yet, 299 ms after the last write
    expect(h.calls).toEqual([])
    await h.clock.advance(1)
    // And one reconciliation ran with all three changes, 300 ms after the last one
    expect(h.calls).toHaveLength(1)
    expect(h.calls[0]?.at).toBe(500)
    expect(kinds(h.calls[0]!)).toEqual(['config', 'config', 'config'])
  })

  it('does not let a stream of configuration changes postpone the run beyond 2 s', async () => {
    const h = harness()
    for (let i = 0; i < 40; i++) {
      h.loop.trigger('config', 'main.hcl')
      await h.clock.advance(100)
    }
    expect(h.calls.map((c) => c.at)).toEqual([2000, 4000])
  })

  it('batches Docker events over a fixed 250 ms window from the first one', async () => {
    // Given die, connect and start of a restarted container within 240 ms
    const h = harness()
    h.loop.trigger('docker', 'container die web')
    await h.clock.advance(100)
    h.loop.trigger('docker', 'network connect front')
    await h.clock.advance(140)
    h.loop.trigger('docker', 'container start web')
    await h.clock.advance(9)
    expect(h.calls).toEqual([])
    await h.clock.advance(1)
    // Then they make one reconciliation, 250 ms after the first event (not after the last)
    expect(h.calls).toHaveLength(1)
    expect(h.calls[0]?.at).toBe(250)
    expect(h.calls[0]?.triggers.map((t) => t.detail)).toEqual([
      'container die web',
      'network connect front',
      'container start web',
    ])
    // And an event after the window starts a new batch
    h.loop.trigger('docker', 'container die web')
    await h.clock.advance(250)
    expect(h.calls.map((c) => c.at)).toEqual([250, 500])
  })

  it('closes the batch 50 ms after a container start (its namespace is empty), taking the restart event along', async () => {
    // Given a restart: die, then the start 120 ms later, then Docker's restart event
    const h = harness()
    h.loop.trigger('docker', 'container die web')
    await h.clock.advance(120)
    h.loop.trigger('docker', 'container start web', {urgent: true})
    await h.clock.advance(5)
    h.loop.trigger('docker', 'container restart web')
    await h.clock.advance(44)
    expect(h.calls).toEqual([])
    await h.clock.advance(1)
    // Then one reconciliation runs 50 ms after the start, not 250 ms after the die
    expect(h.calls.map((c) => c.at)).toEqual([170])
    expect(h.calls[0]?.triggers.map((t) => t.detail)).toEqual([
      'container die web',
      'container start web',
      'container restart web',
    ])
    // And a start alone (a crashed container brought back by its restart policy) waits 50 ms only
    h.loop.trigger('docker', 'container start web', {urgent: true})
    await h.clock.advance(50)
    expect(h.calls.map((c) => c.at)).toEqual([170, 220])
  })

  it('lets an immediate trigger take pending events along at once', async () => {
    const h = harness()
    h.loop.trigger('docker', 'container start web')
    await h.clock.advance(50)
    h.loop.trigger('signal', 'SIGHUP')
    await h.clock.advance(0)
    expect(h.calls).toHaveLength(1)
    expect(h.calls[0]?.at).toBe(50)
    expect(kinds(h.calls[0]!)).toEqual(['docker', 'signal'])
    await h.clock.advance(1000)
    expect(h.calls).toHaveLength(1)
  })

  it('runs one reconciliation at a time and folds everything that arrives meanwhile into ONE follow-up', async () => {
    // Given a reconciliation that takes 1 s
    const h = harness({durationMs: 1000})
    h.loop.trigger('startup')
    await h.clock.advance(100)
    expect(h.loop.busy).toBe(true)
    // When five triggers of every kind arrive while it runs
    h.loop.trigger('signal', 'SIGHUP')
    h.loop.trigger('docker', 'container start web')
    await h.clock.advance(100)
    h.loop.trigger('config', 'main.hcl')
    h.loop.trigger('interval')
    h.loop.trigger('signal', 'SIGHUP')
    await h.clock.advance(800)
    // Then exactly one follow-up starts as soon as the first one ends, with all five
    expect(h.calls.map((c) => c.at)).toEqual([0, 1000])
    expect(kinds(h.calls[1]!)).toEqual(['signal', 'docker', 'config', 'interval', 'signal'])
    await h.clock.advance(5000)
    expect(h.calls).toHaveLength(2)
    expect(h.maxConcurrent()).toBe(1)
    expect(h.reports.map((r) => [r.seq, r.durationMs])).toEqual([
      [1, 1000],
      [2, 1000],
    ])
  })

  it('starts a follow-up of Docker events only when their batch window is over', async () => {
    // Given a 1 s reconciliation and an event 50 ms before it ends
    const h = harness({durationMs: 1000})
    h.loop.trigger('startup')
    await h.clock.advance(950)
    h.loop.trigger('docker', 'container start web')
    await h.clock.advance(50)
    expect(h.calls).toHaveLength(1)
    // Then the follow-up waits for the window (950 + 250), so the rest of the burst joins it
    await h.clock.advance(199)
    expect(h.calls).toHaveLength(1)
    await h.clock.advance(1)
    expect(h.calls.map((c) => c.at)).toEqual([0, 1200])
  })

  it('checks for drift an interval after the last reconciliation, whatever triggered it', async () => {
    const h = harness({intervalMs: 30_000, durationMs: 100})
    h.loop.start()
    h.loop.trigger('startup')
    await h.clock.advance(30_099)
    expect(h.calls.map((c) => c.at)).toEqual([0])
    await h.clock.advance(1)
    // 30 s after the startup run ended (at 100 ms)
    expect(h.calls.map((c) => [c.at, kinds(c)])).toEqual([
      [0, ['startup']],
      [30_100, ['interval']],
    ])
    // A Docker event at +10 s moves the next check to 30 s after that run
    await h.clock.advance(10_000)
    h.loop.trigger('docker', 'container start web')
    await h.clock.advance(250 + 100 + 29_999)
    expect(h.calls).toHaveLength(3)
    await h.clock.advance(1)
    expect(h.calls.map((c) => c.at)).toEqual([0, 30_100, 40_350, 70_450])
  })

  it('retries a failed reconciliation with backoff capped at the interval, and resets after a success', async () => {
    const h = harness({
      intervalMs: 5000,
      outcomes: [FAIL, FAIL, FAIL, FAIL, FAIL, OK],
      loop: {retry: {initialMs: 1000, maxMs: 60_000}},
    })
    h.loop.start()
    h.loop.trigger('startup')
    await h.clock.advance(20_000)
    // 0, then +1 s, +2 s, +4 s, then capped at the 5 s interval
    expect(h.calls.map((c) => [c.at, kinds(c)])).toEqual([
      [0, ['startup']],
      [1000, ['retry']],
      [3000, ['retry']],
      [7000, ['retry']],
      [12_000, ['retry']],
      [17_000, ['retry']],
    ])
    expect(h.calls[2]?.triggers[0]?.detail).toBe('attempt 2')
    expect(h.reports.map((r) => r.result)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'unchanged'])
    // After the success, the drift interval takes over again
    await h.clock.advance(5000)
    expect(kinds(h.calls.at(-1)!)).toEqual(['interval'])
  })

  it('does not retry a failure that is not worth retrying (an invalid configuration, a refused plan)', async () => {
    const h = harness({outcomes: [{...FAIL, retry: false}]})
    h.loop.trigger('startup')
    await h.clock.advance(120_000)
    expect(h.calls).toHaveLength(1)
    expect(h.clock.pending).toBe(0)
  })

  it('reports a reconcile function that throws as a failure and keeps going', async () => {
    const clock = new FakeClock()
    const reports: ReconcileReport[] = []
    let n = 0
    const loop = new WatchLoop({
      clock,
      intervalMs: 0,
      reconcile: async () => {
        if (++n === 1) throw new Error('boom')
        return OK
      },
      report: (r) => void reports.push(r),
    })
    loop.trigger('startup')
    await clock.advance(0)
    loop.trigger('signal', 'SIGHUP')
    await clock.advance(0)
    expect(reports.map((r) => [r.result, r.error])).toEqual([
      ['failed', 'boom'],
      ['unchanged', undefined],
    ])
  })

  it('keeps going when the report callback throws', async () => {
    const errors: unknown[] = []
    const h = harness({
      loop: {
        report: () => {
          throw new Error('disk full')
        },
        onError: (e) => void errors.push(e),
      },
    })
    h.loop.trigger('startup')
    await h.clock.advance(0)
    h.loop.trigger('signal')
    await h.clock.advance(0)
    expect(h.calls).toHaveLength(2)
    expect(errors).toHaveLength(2)
  })

  it('stop() waits for the reconciliation in progress, drops queued triggers and leaves no timer', async () => {
    // Given a 2 s reconciliation in progress with more triggers queued
    const h = harness({durationMs: 2000, intervalMs: 30_000})
    h.loop.start()
    h.loop.trigger('startup')
    await h.clock.advance(500)
    h.loop.trigger('docker', 'container start web')
    // When stop is asked for
    let stopped = false
    const stopping = h.loop.stop().then(() => (stopped = true))
    await h.clock.advance(1000)
    // Then it is still waiting for the apply to finish
    expect(stopped).toBe(false)
    await h.clock.advance(500)
    await stopping
    expect(stopped).toBe(true)
    // And the reconciliation completed and was reported; nothing else runs, no timer is left
    expect(h.reports.map((r) => r.result)).toEqual(['unchanged'])
    h.loop.trigger('signal', 'SIGHUP')
    await h.clock.advance(60_000)
    expect(h.calls).toHaveLength(1)
    expect(h.clock.pending).toBe(0)
  })

  it('stop() aborts the signal handed to the reconciliation (to cut a lock wait short)', async () => {
    const clock = new FakeClock()
    let aborted = false
    const loop = new WatchLoop({
      clock,
      intervalMs: 0,
      reconcile: async (_t, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
        aborted = signal.aborted
        return {...FAIL, error: 'stopped while waiting for the state lock'}
      },
      report: () => {},
    })
    loop.trigger('startup')
    await clock.advance(0)
    await loop.stop()
    expect(aborted).toBe(true)
    expect(clock.pending).toBe(0)
  })

  it('runOnce() runs one reconciliation and returns its report, with no interval or retry armed', async () => {
    const h = harness({outcomes: [FAIL], intervalMs: 0})
    const report = await h.loop.runOnce('startup')
    expect(report).toMatchObject({seq: 1, result: 'failed', error: 'docker is down', triggers: [{kind: 'startup'}]})
    expect(h.clock.pending).toBe(0)
  })

  it('puts trigger times, start, end and duration from the clock in the report', async () => {
    const h = harness({durationMs: 120})
    h.loop.trigger('docker', 'container start web')
    await h.clock.advance(1000)
    const r = h.reports[0]!
    expect(r.finishedAt - r.startedAt).toBe(120)
    expect(r.durationMs).toBe(120)
    expect(r.startedAt - r.triggers[0]!.at).toBe(250)
  })
})
