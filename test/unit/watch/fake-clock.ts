// A fake clock for the watch tests: timers run only when the test advances time,
// in due order, with promise callbacks flushed in between, so debounce windows,
// backoff delays and reconciliation durations are exact and instant.
import type {Clock, TimerHandle} from '../../../src/watch/clock.js'

interface Timer {
  id: number
  at: number
  fn: () => void
}

/** Lets pending promise callbacks (and what they schedule) run. */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export class FakeClock implements Clock {
  private t: number
  private timers: Timer[] = []
  private nextId = 1

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    this.timers.push({id, at: this.t + Math.max(0, ms), fn})
    return id
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle)
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.length
  }

  /** Due times of the pending timers, relative to now. */
  get dueIn(): number[] {
    return this.timers.map((t) => t.at - this.t).sort((a, b) => a - b)
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    await flush()
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!next || next.at > end) break
      this.timers = this.timers.filter((t) => t.id !== next.id)
      this.t = next.at
      next.fn()
      await flush()
    }
    this.t = end
    await flush()
  }

  /** A promise that resolves after `ms` of fake time (for fake reconciliations that take time). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }
}
