// Apply events folded into progress: what runs, what finished and how. The plain
// logger reads it for its lines and summary, the Ink view subscribes to it
// (useSyncExternalStore), so events that arrive before Ink has loaded are kept.
//
// Every event costs O(1): a 20,000-rule apply sends 40,000 events, and copying the
// finished list per event (as this store once did) made apply quadratic (68% of a
// 36 s apply). Finished rows are appended in place; a snapshot is a small object
// made at most once per event, and only when someone reads it.
//
// A large firewall phase (more than SUMMARISE_ABOVE changes riding the same
// iptables transactions) is shown as one step: its changes are counted per action,
// and only failures keep their addresses, so the log of a 20,000-rule apply is a few
// lines, not 40,000.
import type {ApplyEvent, ApplyListener} from '../apply/events.js'
import type {Action} from '../plan/types.js'
import {grouped} from '../util/text.js'

export type ProgressStatus = 'running' | 'done' | 'failed' | 'skipped'

/** Batches with more changes than this are reported as one step (counts per action). */
export const SUMMARISE_ABOVE = 20

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

/** A firewall phase shown as one step. */
export interface BatchProgress {
  label: string
  changes: number
  transactions: readonly string[]
  startedAt: number
  /** Finished changes per action and outcome. */
  done: Partial<Record<Action, number>>
  failed: number
  /** Failures grouped by their message (a failed transaction fails every change it carries). */
  failures: Array<{error: string; count: number; addresses: string[]}>
  elapsedMs?: number
}

/** A finished row, in finish order: one step, or a summarised batch. */
export type ProgressRow = {kind: 'step'; entry: ProgressEntry} | {kind: 'batch'; batch: BatchProgress}

export type ApplyDoneEvent = Extract<ApplyEvent, {type: 'apply_done'}>

export interface ProgressSnapshot {
  total: number | null
  /** Steps in progress, in start order (the changes of a summarised batch are not listed). */
  running: readonly ProgressEntry[]
  /** A summarised batch in progress. */
  batch: BatchProgress | null
  /** Finished rows; only ever appended to (Ink's <Static> relies on it). */
  rows: readonly ProgressRow[]
  /** Steps finished so far, those of summarised batches included. */
  finishedCount: number
  /** Addresses that failed, and that were skipped, in finish order. */
  failed: readonly string[]
  skipped: readonly string[]
  /** True when some steps were summarised: the summary then names the slowest steps. */
  summarised: boolean
  /** The slowest finished rows (steps and batches), slowest first; at most SLOWEST. */
  slowest: ReadonlyArray<{name: string; elapsedMs: number}>
  done: ApplyDoneEvent | null
  /** Serial of the last state save. */
  serial: number | null
}

const SLOWEST = 3
/** Addresses kept per failure message of a batch (the rest are counted). */
const FAILURE_ADDRESSES = 5

export class ApplyProgressStore {
  private total: number | null = null
  private readonly running = new Map<string, ProgressEntry>()
  private batch: BatchProgress | null = null
  /** Set while a summarised batch runs: its changes are counted, not listed. */
  private batchMembers: Set<string> | null = null
  private readonly rows: ProgressRow[] = []
  private finishedCount = 0
  private readonly failed: string[] = []
  private readonly skipped: string[] = []
  private summarised = false
  private slowest: Array<{name: string; elapsedMs: number}> = []
  private done: ApplyDoneEvent | null = null
  private serial: number | null = null
  private snap: ProgressSnapshot | null = null
  /** A copy of `rows` for snapshots, renewed when rows were added: Ink's <Static> notices new items by a new array. */
  private rowsView: readonly ProgressRow[] = []
  private readonly subscribers = new Set<() => void>()

  constructor(private readonly now: () => number = Date.now) {}

  readonly listener: ApplyListener = (event) => {
    this.reduce(event, this.now())
    this.snap = null
    for (const fn of this.subscribers) fn()
  }

  readonly subscribe = (fn: () => void): (() => void) => {
    this.subscribers.add(fn)
    return () => {
      this.subscribers.delete(fn)
    }
  }

  readonly getSnapshot = (): ProgressSnapshot => {
    if (this.rowsView.length !== this.rows.length) this.rowsView = this.rows.slice()
    this.snap ??= {
      total: this.total,
      running: [...this.running.values()],
      batch: this.batch,
      rows: this.rowsView,
      finishedCount: this.finishedCount,
      failed: this.failed,
      skipped: this.skipped,
      summarised: this.summarised,
      slowest: this.slowest,
      done: this.done,
      serial: this.serial,
    }
    return this.snap
  }

  /** The last finished row (the text logger prints it as it arrives). */
  lastRow(): ProgressRow | undefined {
    return this.rows.at(-1)
  }

  /** The summarised batch in progress, if any. */
  currentBatch(): BatchProgress | null {
    return this.batch
  }

  runningCount(): number {
    return this.running.size
  }

  private reduce(event: ApplyEvent, now: number): void {
    switch (event.type) {
      case 'apply_start':
        this.total = event.total
        return
      case 'batch_start':
        if (event.changes > SUMMARISE_ABOVE) {
          this.summarised = true
          this.batchMembers = new Set()
          this.batch = {
            label: event.label,
            changes: event.changes,
            transactions: event.transactions,
            startedAt: now,
            done: {},
            failed: 0,
            failures: [],
          }
        }
        return
      case 'batch_done': {
        const batch = this.batch
        if (!batch) return
        batch.elapsedMs = event.elapsedMs
        this.rows.push({kind: 'batch', batch})
        this.noteSlow(`${batch.label} (${grouped(batch.changes)} changes)`, event.elapsedMs)
        this.batch = null
        this.batchMembers = null
        return
      }
      case 'change_start':
        if (this.batchMembers) {
          this.batchMembers.add(event.address)
          return
        }
        this.running.set(event.address, {
          address: event.address,
          action: event.action,
          description: event.description,
          status: 'running',
          startedAt: now,
        })
        return
      case 'change_done':
      case 'change_failed':
      case 'change_skipped': {
        const status: ProgressStatus =
          event.type === 'change_done' ? 'done' : event.type === 'change_failed' ? 'failed' : 'skipped'
        this.finishedCount++
        if (status === 'failed') this.failed.push(event.address)
        if (status === 'skipped') this.skipped.push(event.address)
        if (this.batch && this.batchMembers?.has(event.address)) {
          this.countInBatch(this.batch, event)
          return
        }
        const started = this.running.get(event.address)
        this.running.delete(event.address)
        const entry: ProgressEntry = {
          address: event.address,
          action: event.action,
          description: started?.description ?? '',
          status,
          startedAt: started?.startedAt ?? now,
        }
        if (event.type !== 'change_skipped') entry.elapsedMs = event.elapsedMs
        if (event.type === 'change_done' && event.detail !== undefined) entry.detail = event.detail
        if (event.type === 'change_failed') entry.error = event.error
        if (event.type === 'change_skipped') entry.reason = event.reason
        this.rows.push({kind: 'step', entry})
        if (entry.elapsedMs !== undefined) this.noteSlow(entry.address, entry.elapsedMs)
        return
      }
      case 'state_saved':
        this.serial = event.serial
        return
      case 'apply_done':
        this.done = event
        return
    }
  }

  private countInBatch(
    batch: BatchProgress,
    event: Extract<ApplyEvent, {type: 'change_done' | 'change_failed' | 'change_skipped'}>,
  ): void {
    if (event.type === 'change_done') {
      batch.done[event.action] = (batch.done[event.action] ?? 0) + 1
      return
    }
    batch.failed++
    const error = event.type === 'change_failed' ? event.error : `skipped (${event.reason})`
    let group = batch.failures.find((f) => f.error === error)
    if (!group) {
      group = {error, count: 0, addresses: []}
      batch.failures.push(group)
    }
    group.count++
    if (group.addresses.length < FAILURE_ADDRESSES) group.addresses.push(event.address)
  }

  /** Keeps the SLOWEST slowest rows; a new array when it changes, so old snapshots stay as they were. */
  private noteSlow(name: string, elapsedMs: number): void {
    const last = this.slowest.at(-1)
    if (this.slowest.length >= SLOWEST && last && last.elapsedMs >= elapsedMs) return
    this.slowest = [...this.slowest, {name, elapsedMs}].sort((a, b) => b.elapsedMs - a.elapsedMs).slice(0, SLOWEST)
  }
}
