// Time as the watch loop sees it: injected, so the unit tests drive debounce,
// batching, backoff and the drift interval with a fake clock instead of waiting.

/** Opaque timer handle (a NodeJS.Timeout for the system clock, a number for the fake). */
export type TimerHandle = unknown

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** Resolves after `ms` on `clock`, or at once (rejecting nothing) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clock.clearTimeout(handle)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const handle = clock.setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}
