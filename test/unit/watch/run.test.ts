// runWatch as a daemon and with --once, without Docker or iptables: the configuration
// is invalid (so no reconciliation reaches the host), the Docker socket does not exist,
// signals come from an EventEmitter, file events from a fake fs.watch, time from a
// fake clock. Checks the wiring: triggers reach the loop, one log line per
// reconciliation, the status file, SIGHUP, SIGTERM and a forced second signal.
import {EventEmitter} from 'node:events'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {resolveInterval, runWatch, type WatchIO, type WatchOptions} from '../../../src/watch/run.js'
import {FakeClock, flush} from './fake-clock.js'

const BROKEN = `network "front" {
  subnet  = "10.77.1.0/24"
  gateway =
}
`

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-watch-'))
  vi.stubEnv('DOCKWALL_CACHE_DIR', join(dir, '.cache'))
  await writeFile(join(dir, 'main.hcl'), BROKEN)
})

afterEach(async () => {
  vi.unstubAllEnvs()
  await rm(dir, {recursive: true, force: true})
})

interface Rec {
  msg: string
  level: string
  [k: string]: unknown
}

function harness() {
  const clock = new FakeClock()
  const signals = new EventEmitter()
  const lines: string[] = []
  const exits: number[] = []
  const fileListeners: Array<(event: string, name: string | null) => void> = []
  const io: WatchIO = {
    write: (l) => void lines.push(l),
    signals,
    env: {},
    exit: (c) => void exits.push(c),
    clock,
    watch: (_dir, listener) => {
      fileListeners.push(listener)
      const w = new EventEmitter() as EventEmitter & {close: () => void}
      w.close = () => {}
      return w
    },
  }
  const opts: WatchOptions = {
    config: dir,
    state: join(dir, 'dockwall.state.json'),
    dockerHost: `unix://${join(dir, 'no-docker.sock')}`,
    lockTimeoutMs: 0,
    allowLockout: false,
    intervalMs: 30_000,
    logFormat: 'json',
    once: false,
    statusFile: join(dir, 'status.json'),
  }
  const records = (): Rec[] => lines.map((l) => JSON.parse(l) as Rec)
  const reconciles = (): Rec[] => records().filter((r) => r.msg === 'reconcile')
  /** Advances the fake clock until `cond` holds (real I/O such as reading the files needs real time too). */
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !cond(); i++) {
      await clock.advance(0)
      await new Promise((r) => setTimeout(r, 2))
    }
    if (!cond()) throw new Error(`condition not met; log:\n${lines.join('')}`)
  }
  return {clock, signals, lines, exits, fileListeners, io, opts, records, reconciles, until}
}

describe('runWatch', () => {
  it('runs as a daemon: startup, SIGHUP and a file change each make one logged reconciliation; SIGTERM exits 0', async () => {
    const h = harness()
    const done = runWatch(h.opts, h.io)

    // Startup: the start line, the event stream down (no socket), the configuration error with its position, one reconciliation
    await h.until(() => h.reconciles().length === 1)
    const file = join(dir, 'main.hcl')
    expect(h.records().map((r) => r.msg)).toEqual(['start', 'docker-events', 'config-invalid', 'reconcile'])
    expect(h.records()[0]).toMatchObject({level: 'info', lock: 'per-reconciliation', interval_ms: 30_000})
    expect(h.records()[1]).toMatchObject({
      level: 'warn',
      state: 'disconnected',
      error: 'ENOENT',
      attempt: 1,
      retry_in_ms: 250,
    })
    expect(h.records()[2]).toMatchObject({level: 'error', errors: [`${file}:3:12: Invalid expression`]})
    expect(h.reconciles()[0]).toMatchObject({
      seq: 1,
      result: 'failed',
      triggers: [{kind: 'startup', count: 1}],
      config: 'none',
      error: `no valid configuration: ${file}:3:12: Invalid expression`,
    })

    // SIGHUP forces a reconciliation
    h.signals.emit('SIGHUP', 'SIGHUP')
    await h.until(() => h.reconciles().length === 2)
    expect(h.reconciles()[1]).toMatchObject({seq: 2, triggers: [{kind: 'signal', details: ['SIGHUP']}]})

    // A burst of file events is debounced into one reconciliation; the unchanged error is not logged again
    for (const l of h.fileListeners) {
      l('change', 'main.hcl')
      l('rename', 'dockwall.state.json')
      l('change', 'main.hcl')
    }
    await h.clock.advance(299)
    expect(h.reconciles()).toHaveLength(2)
    await h.clock.advance(1)
    await h.until(() => h.reconciles().length === 3)
    expect(h.reconciles()[2]).toMatchObject({seq: 3, triggers: [{kind: 'config', count: 2, details: ['main.hcl']}]})
    expect(h.records().filter((r) => r.msg === 'config-invalid')).toHaveLength(1)

    // The status file holds the last reconciliation (written right after its log line)
    let status: Record<string, unknown> = {}
    for (let i = 0; i < 100 && status.seq !== 3; i++) {
      await new Promise((r) => setTimeout(r, 5))
      status = JSON.parse(await readFile(join(dir, 'status.json'), 'utf8')) as Record<string, unknown>
    }
    expect(status).toMatchObject({
      seq: 3,
      result: 'failed',
      healthy: false,
      consecutive_failures: 3,
      config: {state: 'none'},
      interval_ms: 30_000,
    })

    // SIGTERM: exit code 0, no listeners left, nothing after "stopped"
    h.signals.emit('SIGTERM', 'SIGTERM')
    expect(await done).toBe(0)
    expect(
      h
        .records()
        .slice(-2)
        .map((r) => r.msg),
    ).toEqual(['stopping', 'stopped'])
    expect(['SIGHUP', 'SIGTERM', 'SIGINT'].map((s) => h.signals.listenerCount(s))).toEqual([0, 0, 0])
    expect(h.exits).toEqual([])
    const count = h.lines.length
    await h.clock.advance(120_000)
    await flush()
    expect(h.lines).toHaveLength(count)
  })

  it('exits at once on a second SIGTERM/SIGINT', async () => {
    const h = harness()
    const done = runWatch(h.opts, h.io)
    await h.until(() => h.reconciles().length === 1)
    h.signals.emit('SIGTERM', 'SIGTERM')
    h.signals.emit('SIGINT', 'SIGINT')
    expect(h.exits).toEqual([1])
    expect(h.records().some((r) => r.msg === 'stop-forced' && r.signal === 'SIGINT')).toBe(true)
    await done
  })

  it('--once: one reconciliation, exit code 1 when it fails, no daemon machinery', async () => {
    const h = harness()
    const code = await runWatch({...h.opts, once: true, logFormat: 'text'}, h.io)
    expect(code).toBe(1)
    expect(h.lines.map((l) => /msg=(\S+)/.exec(l)?.[1])).toEqual(['config-invalid', 'reconcile'])
    expect(h.lines[1]).toMatch(/ level=error msg=reconcile seq=1 trigger=startup result=failed .* config=none /)
    expect(h.fileListeners).toEqual([])
    expect(['SIGHUP', 'SIGTERM', 'SIGINT'].map((s) => h.signals.listenerCount(s))).toEqual([0, 0, 0])
  })

  it('fails at start on a --netns that does not exist', async () => {
    const h = harness()
    await expect(runWatch({...h.opts, netns: 'dwsb-no-such-namespace'}, h.io)).rejects.toThrow(
      /network namespace \/var\/run\/netns\/dwsb-no-such-namespace does not exist/,
    )
  })
})

describe('resolveInterval', () => {
  it('takes --interval, else WATCH_PERIOD_SECONDS (seconds, as network-go reads it), else 30 s', () => {
    expect(resolveInterval(5000, {WATCH_PERIOD_SECONDS: '10'})).toEqual({ms: 5000, source: '--interval'})
    expect(resolveInterval(undefined, {WATCH_PERIOD_SECONDS: '10'})).toEqual({
      ms: 10_000,
      source: 'WATCH_PERIOD_SECONDS',
    })
    expect(resolveInterval(undefined, {WATCH_PERIOD_SECONDS: ' 2.5 '})).toEqual({
      ms: 2500,
      source: 'WATCH_PERIOD_SECONDS',
    })
    expect(resolveInterval(undefined, {})).toEqual({ms: 30_000, source: 'default'})
    expect(resolveInterval(0, {})).toEqual({ms: 0, source: '--interval'})
  })

  it('refuses a WATCH_PERIOD_SECONDS that is not a number and an interval under a second', () => {
    expect(() => resolveInterval(undefined, {WATCH_PERIOD_SECONDS: '30s'})).toThrow(
      /WATCH_PERIOD_SECONDS=30s: expected a number of seconds/,
    )
    expect(() => resolveInterval(500, {})).toThrow(/too short/)
    expect(() => resolveInterval(undefined, {WATCH_PERIOD_SECONDS: '0.5'})).toThrow(/too short/)
  })
})
