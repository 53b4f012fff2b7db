// Apply events folded into a snapshot of progress: what runs, what finished and
// how. The plain logger reads it for its summary, the Ink view subscribes to it
// (useSyncExternalStore), so events that arrive before Ink has loaded are kept.
import type {ApplyEvent, ApplyListener} from '../apply/events.js'
import type {Action} from '../plan/types.js'

export type ProgressStatus = 'running' | 'done' | 'failed' | 'skipped'

export interface ProgressEntry {
  address: string
  action: Action
  description: string
  status: ProgressStatus
  /** Clock time the step started (ms). */
  startedAt: number
  elapsedMs?: number
  detail?: string
  error?: string
  reason?: string
}

export type ApplyDoneEvent = Extract<ApplyEvent, {type: 'apply_done'}>

export interface ProgressSnapshot {
  total: number | null
  /** Steps in progress, in start order. */
  running: readonly ProgressEntry[]
  /** Finished steps in finish order; only ever appended to (Ink's <Static> relies on it). */
  finished: readonly ProgressEntry[]
  done: ApplyDoneEvent | null
  /** Serial of the last state save. */
  serial: number | null
}

export class ApplyProgressStore {
  private snap: ProgressSnapshot = {total: null, running: [], finished: [], done: null, serial: null}
  private readonly subscribers = new Set<() => void>()

  constructor(private readonly now: () => number = Date.now) {}

  readonly listener: ApplyListener = (event) => {
    this.snap = reduceProgress(this.snap, event, this.now())
    for (const fn of this.subscribers) fn()
  }

  readonly subscribe = (fn: () => void): (() => void) => {
    this.subscribers.add(fn)
    return () => {
      this.subscribers.delete(fn)
    }
  }

  readonly getSnapshot = (): ProgressSnapshot => this.snap
}

function finish(
  snap: ProgressSnapshot,
  address: string,
  entry: Omit<ProgressEntry, 'startedAt' | 'description'> & {description?: string},
  now: number,
): ProgressSnapshot {
  const running = snap.running.find((e) => e.address === address)
  const done: ProgressEntry = {startedAt: running?.startedAt ?? now, description: running?.description ?? '', ...entry}
  return {...snap, running: snap.running.filter((e) => e.address !== address), finished: [...snap.finished, done]}
}

export function reduceProgress(snap: ProgressSnapshot, event: ApplyEvent, now: number): ProgressSnapshot {
  switch (event.type) {
    case 'apply_start':
      return {...snap, total: event.total}
    case 'change_start':
      return {
        ...snap,
        running: [
          ...snap.running,
          {
            address: event.address,
            action: event.action,
            description: event.description,
            status: 'running',
            startedAt: now,
          },
        ],
      }
    case 'change_done':
      return finish(
        snap,
        event.address,
        {
          address: event.address,
          action: event.action,
          status: 'done',
          elapsedMs: event.elapsedMs,
          detail: event.detail,
        },
        now,
      )
    case 'change_failed':
      return finish(
        snap,
        event.address,
        {
          address: event.address,
          action: event.action,
          status: 'failed',
          elapsedMs: event.elapsedMs,
          error: event.error,
        },
        now,
      )
    case 'change_skipped':
      return finish(
        snap,
        event.address,
        {address: event.address, action: event.action, status: 'skipped', reason: event.reason},
        now,
      )
    case 'state_saved':
      return {...snap, serial: event.serial}
    case 'apply_done':
      return {...snap, done: event}
  }
}
