// The configuration's assertions from one reconciliation to the next: which fail on the
// host as planned, and which turned false since the last reconciliation (logged as drift:
// something the operator asserted no longer holds, whether the host or the plan moved).
import type {AssertionResult} from '../explain/index.js'

export interface AssertionChange {
  /** Addresses failing now, sorted. */
  failing: string[]
  /** Failing now, passing (or not yet known) at the last reconciliation. */
  turnedFalse: string[]
  /** Passing now, failing at the last reconciliation. */
  turnedTrue: string[]
}

export class AssertionWatch {
  /** Undefined until the first reconciliation with assertions: then every failing one has "turned false". */
  private failing: Set<string> | undefined

  /** Undefined when the configuration has no assertions (the log line stays as it was). */
  update(results: readonly AssertionResult[]): AssertionChange | undefined {
    if (results.length === 0) {
      this.failing = undefined
      return undefined
    }
    const now = new Set(results.filter((r) => !r.planned.pass).map((r) => r.address))
    const before = this.failing ?? new Set<string>()
    const known = new Set(results.map((r) => r.address))
    this.failing = now
    return {
      failing: [...now].sort(),
      turnedFalse: [...now].filter((a) => !before.has(a)).sort(),
      turnedTrue: [...before].filter((a) => known.has(a) && !now.has(a)).sort(),
    }
  }
}
