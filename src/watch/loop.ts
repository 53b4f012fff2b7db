// The watch loop: triggers in, one reconciliation at a time out.
//
// - Configuration changes are debounced (an editor writes a file in several steps):
//   the reconciliation starts `configDebounceMs` after the last change, and at most
//   `configMaxWaitMs` after the first one of a burst.
// - Docker events are batched over a fixed window from the first event
//   (`dockerWindowMs`), so a restart's die/disconnect/connect/start arrive as one
//   reconciliation while the first event still waits no longer than the window. An
//   urgent event (a container start: its new namespace is empty) closes the batch
//   `dockerUrgentWindowMs` after it arrives, which catches the `restart` event Docker
//   sends right after the start.
// - Everything else (startup, SIGHUP, the drift interval, a reconnect, a retry) runs
//   at once.
// - While a reconciliation runs, new triggers only accumulate; when it ends they all
//   go into ONE follow-up (scheduled at the earliest of their due times).
// - The drift check fires `intervalMs` after the last reconciliation ended, whatever
//   triggered it; a failed reconciliation that is worth retrying is retried with an
//   exponential backoff (capped at the interval).
import {Backoff, type BackoffOptions} from './backoff.js'
import type {Clock, TimerHandle} from './clock.js'
import {emptyCounts, type Outcome, type ReconcileReport, type Trigger, type TriggerKind} from './types.js'

export interface Timing {
  configDebounceMs: number
  configMaxWaitMs: number
  dockerWindowMs: number
  dockerUrgentWindowMs: number
}

export const DEFAULT_TIMING: Timing = {
  configDebounceMs: 300,
  configMaxWaitMs: 2000,
  dockerWindowMs: 250,
  dockerUrgentWindowMs: 50,
}

export const DEFAULT_RETRY: BackoffOptions = {initialMs: 1000, maxMs: 30_000}

export type ReconcileFn = (triggers: readonly Trigger[], signal: AbortSignal) => Promise<Outcome>

export interface LoopOptions {
  clock: Clock
  reconcile: ReconcileFn
  /** Called once per reconciliation (log line, status file); awaited before the next one starts. */
  report: (report: ReconcileReport) => void | Promise<void>
  /** Drift check period; 0 disables it. */
  intervalMs: number
  timing?: Partial<Timing>
  retry?: BackoffOptions
  /** A report callback that threw (the loop keeps going). */
  onError?: (err: unknown) => void
}

type DueKey = 'config' | 'docker' | 'now'

export class WatchLoop {
  private readonly clock: Clock
  private readonly timing: Timing
  private readonly retryBackoff: Backoff
  private pending: Trigger[] = []
  private readonly due = new Map<DueKey, number>()
  private burstStart: number | null = null
  private fireTimer: TimerHandle | undefined
  private intervalTimer: TimerHandle | undefined
  private retryTimer: TimerHandle | undefined
  private current: Promise<void> | null = null
  private stopping = false
  private seq = 0
  private readonly abort = new AbortController()
  private idleWaiters: Array<() => void> = []

  constructor(private readonly opts: LoopOptions) {
    this.clock = opts.clock
    this.timing = {...DEFAULT_TIMING, ...opts.timing}
    this.retryBackoff = new Backoff(opts.retry ?? DEFAULT_RETRY)
  }

  /** Arms the drift interval. Triggers may arrive before or after. */
  start(): void {
    if (!this.stopping) this.armInterval()
  }

  /**
   * Something happened that may need a reconciliation. Ignored once stopping.
   * `urgent` (Docker events only): close the batch soon, see dockerUrgentWindowMs.
   */
  trigger(kind: TriggerKind, detail?: string, opts: {urgent?: boolean} = {}): void {
    if (this.stopping) return
    const now = this.clock.now()
    this.pending.push(detail === undefined ? {kind, at: now} : {kind, detail, at: now})
    if (kind === 'config') {
      this.burstStart ??= now
      this.due.set(
        'config',
        Math.min(now + this.timing.configDebounceMs, this.burstStart + this.timing.configMaxWaitMs),
      )
    } else if (kind === 'docker') {
      const window = opts.urgent ? this.timing.dockerUrgentWindowMs : this.timing.dockerWindowMs
      this.due.set('docker', Math.min(this.due.get('docker') ?? Number.POSITIVE_INFINITY, now + window))
    } else {
      this.due.set('now', now)
    }
    this.schedule()
  }

  /** Whether a reconciliation is running now. */
  get busy(): boolean {
    return this.current !== null
  }

  /** Triggers waiting for the next reconciliation. */
  get queued(): readonly Trigger[] {
    return this.pending
  }

  /** Resolves when no reconciliation runs (at once when idle). */
  idle(): Promise<void> {
    if (!this.current) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Stops taking triggers, drops the queued ones, cancels the timers and waits for the
   * reconciliation in progress to finish (its apply completes and saves the state; only
   * a wait for the state lock is cut short).
   */
  async stop(): Promise<void> {
    this.stopping = true
    this.pending = []
    this.due.clear()
    for (const t of [this.fireTimer, this.intervalTimer, this.retryTimer])
      if (t !== undefined) this.clock.clearTimeout(t)
    this.fireTimer = this.intervalTimer = this.retryTimer = undefined
    this.abort.abort()
    await this.current
  }

  /** Runs one reconciliation now (for --once) and returns its report. */
  async runOnce(kind: TriggerKind, detail?: string): Promise<ReconcileReport> {
    let report: ReconcileReport | undefined
    const triggers: Trigger[] = [
      detail === undefined ? {kind, at: this.clock.now()} : {kind, detail, at: this.clock.now()},
    ]
    await this.idle()
    this.current = this.execute(triggers, (r) => (report = r))
    try {
      await this.current
    } finally {
      this.current = null
    }
    return report!
  }

  private schedule(): void {
    if (this.current || this.stopping || this.pending.length === 0) return
    const at = Math.min(...this.due.values())
    if (this.fireTimer !== undefined) this.clock.clearTimeout(this.fireTimer)
    this.fireTimer = this.clock.setTimeout(
      () => {
        this.fireTimer = undefined
        this.fire()
      },
      Math.max(0, at - this.clock.now()),
    )
  }

  private fire(): void {
    if (this.current || this.stopping || this.pending.length === 0) return
    const triggers = this.pending
    this.pending = []
    this.due.clear()
    this.burstStart = null
    this.current = this.execute(triggers).finally(() => {
      this.current = null
      if (!this.stopping) {
        // A retry comes sooner than the drift check (it is capped at the interval) and does the same.
        if (this.retryTimer === undefined) this.armInterval()
        this.schedule()
      }
      for (const w of this.idleWaiters.splice(0)) w()
    })
  }

  private async execute(triggers: Trigger[], capture?: (r: ReconcileReport) => void): Promise<void> {
    for (const t of [this.intervalTimer, this.retryTimer]) if (t !== undefined) this.clock.clearTimeout(t)
    this.intervalTimer = this.retryTimer = undefined
    const seq = ++this.seq
    const startedAt = this.clock.now()
    let outcome: Outcome
    try {
      outcome = await this.opts.reconcile(triggers, this.abort.signal)
    } catch (err) {
      // The reconcile function reports its own failures; a throw here is a bug, but the daemon keeps going.
      outcome = {
        result: 'failed',
        counts: emptyCounts(),
        addresses: [],
        error: err instanceof Error ? err.message : String(err),
        retry: true,
        config: {state: 'none'},
      }
    }
    const finishedAt = this.clock.now()
    const report: ReconcileReport = {
      seq,
      triggers,
      startedAt,
      finishedAt,
      durationMs: finishedAt - startedAt,
      ...outcome,
    }
    capture?.(report)
    try {
      await this.opts.report(report)
    } catch (err) {
      this.opts.onError?.(err)
    }
    if (outcome.result !== 'failed') this.retryBackoff.reset()
    else if (outcome.retry && !this.stopping && !capture) {
      const delay =
        this.opts.intervalMs > 0 ? Math.min(this.retryBackoff.next(), this.opts.intervalMs) : this.retryBackoff.next()
      const attempt = this.retryBackoff.attempts
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = undefined
        this.trigger('retry', `attempt ${attempt}`)
      }, delay)
    }
  }

  private armInterval(): void {
    if (this.intervalTimer !== undefined) this.clock.clearTimeout(this.intervalTimer)
    this.intervalTimer = undefined
    if (this.opts.intervalMs <= 0 || this.stopping) return
    this.intervalTimer = this.clock.setTimeout(() => {
      this.intervalTimer = undefined
      this.trigger('interval')
    }, this.opts.intervalMs)
  }
}
