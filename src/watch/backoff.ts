// Exponential backoff for reconnecting to Docker and retrying a failed reconciliation:
// initial, initial*factor, ... capped at max; reset after a success.

export interface BackoffOptions {
  initialMs: number
  maxMs: number
  /** Growth per attempt (default 2). */
  factor?: number
}

export class Backoff {
  private current: number
  private count = 0

  constructor(private readonly opts: BackoffOptions) {
    if (!(opts.initialMs > 0) || !(opts.maxMs >= opts.initialMs))
      throw new Error(`invalid backoff ${opts.initialMs}..${opts.maxMs} ms`)
    this.current = opts.initialMs
  }

  /** The delay before the next attempt; each call grows the one after it. */
  next(): number {
    const delay = this.current
    this.count++
    this.current = Math.min(this.opts.maxMs, Math.round(this.current * (this.opts.factor ?? 2)))
    return delay
  }

  reset(): void {
    this.current = this.opts.initialMs
    this.count = 0
  }

  /** How many delays were handed out since the last reset (failed attempts so far). */
  get attempts(): number {
    return this.count
  }
}
