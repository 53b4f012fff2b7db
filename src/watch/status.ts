// The status file (`--status-file`): the time and result of the last reconciliation
// as JSON, rewritten atomically after each one so a health check never reads half a
// file. Example:
//   {"version":1,"pid":4242,"started":"...","time":"...","result":"applied","healthy":true,...}
// `healthy` is false while the last reconciliation failed; a checker should also
// treat a `time` older than a few drift intervals as unhealthy (the loop is stuck).
import writeFileAtomic from 'write-file-atomic'

import {groupTriggers, type TriggerGroup} from './log.js'
import type {ChangeCounts, ConfigStatus, ReconcileReport, ReconcileResult} from './types.js'

export const STATUS_VERSION = 1

export interface WatchStatus {
  version: typeof STATUS_VERSION
  pid: number
  /** When this watch started (ISO 8601). */
  started: string
  /** When the last reconciliation finished. */
  time: string
  result: ReconcileResult
  healthy: boolean
  seq: number
  duration_ms: number
  triggers: TriggerGroup[]
  counts: ChangeCounts
  addresses: string[]
  error?: string
  config: ConfigStatus
  /** When a reconciliation last succeeded (unchanged or applied); null if none has. */
  last_success: string | null
  consecutive_failures: number
  /** Drift check period, so a checker can judge how old `time` may be. */
  interval_ms: number
}

export class StatusTracker {
  private lastSuccess: string | null = null
  private failures = 0

  constructor(private readonly meta: {pid: number; started: string; intervalMs: number}) {}

  /** The status after `report`. */
  update(report: ReconcileReport): WatchStatus {
    const time = new Date(report.finishedAt).toISOString()
    if (report.result === 'failed') this.failures++
    else {
      this.failures = 0
      this.lastSuccess = time
    }
    const status: WatchStatus = {
      version: STATUS_VERSION,
      pid: this.meta.pid,
      started: this.meta.started,
      time,
      result: report.result,
      healthy: report.result !== 'failed',
      seq: report.seq,
      duration_ms: Math.round(report.durationMs),
      triggers: groupTriggers(report.triggers),
      counts: report.counts,
      addresses: report.addresses,
      config: report.config,
      last_success: this.lastSuccess,
      consecutive_failures: this.failures,
      interval_ms: this.meta.intervalMs,
    }
    if (report.error !== undefined) status.error = report.error
    return status
  }
}

/** Writes the status atomically (temp file + rename), mode 0644: health checks may run as another user. */
export async function writeStatusFile(path: string, status: WatchStatus): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(status, null, 2)}\n`, {mode: 0o644})
}
