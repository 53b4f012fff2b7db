import type {AssertionChange} from './assertions.js'

// What the watch loop passes around: triggers (why a reconciliation runs), the
// outcome of one reconciliation, and the report logged and written to the status file.

export type TriggerKind =
  /** The first reconciliation after start (or the only one, with --once). */
  | 'startup'
  /** A configuration file changed (debounced). */
  | 'config'
  /** A Docker event that matters (batched over a short window). */
  | 'docker'
  /** The periodic drift check. */
  | 'interval'
  /** SIGHUP. */
  | 'signal'
  /** The Docker event stream came back (a daemon restart): reconcile everything. */
  | 'reconnect'
  /** A failed reconciliation retried after a backoff. */
  | 'retry'

export interface Trigger {
  kind: TriggerKind
  /** e.g. `container start web`, `main.hcl`, `SIGHUP`. */
  detail?: string
  /** Clock time it arrived (ms). */
  at: number
}

export interface ChangeCounts {
  /** Objects the plan imports; left out when none, so the log line and status file read as before. */
  import?: number
  add: number
  change: number
  destroy: number
  /** Changes waiting for a container that does not exist yet. */
  deferred: number
  /** Differences refresh found that were made outside dockwall. */
  drift: number
  /** Changes that failed or were skipped in the apply. */
  failed: number
}

export type ReconcileResult =
  /** The host already matched: nothing applied. */
  | 'unchanged'
  /** A plan was applied completely. */
  | 'applied'
  /** Planning or applying failed (or was refused); `error` says why. */
  | 'failed'

export interface ConfigStatus {
  /** ok: loaded; invalid: the files have errors and the last good configuration is in force; none: no good configuration yet. */
  state: 'ok' | 'invalid' | 'none'
  /** First error, `file:line:column: message`, when not ok. */
  error?: string
}

export interface Outcome {
  result: ReconcileResult
  counts: ChangeCounts
  /** Addresses of the changes applied (or that failed), sorted. */
  addresses: string[]
  error?: string
  /** The configuration's assertions on the host as planned, when it has any. */
  assertions?: AssertionChange
  /** A failure worth retrying soon (Docker or iptables trouble, the lock); not for refusals and invalid configurations. */
  retry?: boolean
  config: ConfigStatus
}

export interface ReconcileReport extends Outcome {
  /** 1, 2, ... since the watch started. */
  seq: number
  triggers: Trigger[]
  startedAt: number
  finishedAt: number
  durationMs: number
}

export function emptyCounts(): ChangeCounts {
  return {add: 0, change: 0, destroy: 0, deferred: 0, drift: 0, failed: 0}
}
