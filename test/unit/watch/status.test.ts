// The status file: what it says after successes and failures, and that it is written atomically.
import {mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {StatusTracker, writeStatusFile} from '../../../src/watch/status.js'
import {emptyCounts, type ReconcileReport} from '../../../src/watch/types.js'

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0)

function report(seq: number, result: ReconcileReport['result'], error?: string): ReconcileReport {
  return {
    seq,
    triggers: [{kind: 'interval', at: T0 + seq * 1000}],
    startedAt: T0 + seq * 1000,
    finishedAt: T0 + seq * 1000 + 40,
    durationMs: 40,
    result,
    counts: emptyCounts(),
    addresses: [],
    config: {state: 'ok'},
    ...(error ? {error} : {}),
  }
}

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, {recursive: true, force: true})))
})

describe('status file', () => {
  it('says when and how the last reconciliation ended, and counts consecutive failures', () => {
    const tracker = new StatusTracker({pid: 42, started: '2026-11-23T11:59:59.000Z', intervalMs: 30_000})
    const ok = tracker.update(report(1, 'applied'))
    expect(ok).toMatchObject({
      version: 1,
      pid: 42,
      time: '2026-11-23T12:00:01.040Z',
      result: 'applied',
      healthy: true,
      seq: 1,
      duration_ms: 40,
      last_success: '2026-11-23T12:00:01.040Z',
      consecutive_failures: 0,
      interval_ms: 30_000,
      triggers: [{kind: 'interval', count: 1, details: []}],
    })
    tracker.update(report(2, 'failed', 'docker down'))
    const failed = tracker.update(report(3, 'failed', 'docker down'))
    expect(failed).toMatchObject({
      result: 'failed',
      healthy: false,
      error: 'docker down',
      last_success: '2026-11-23T12:00:01.040Z',
      consecutive_failures: 2,
    })
    expect(tracker.update(report(4, 'unchanged'))).toMatchObject({
      healthy: true,
      consecutive_failures: 0,
      last_success: '2026-11-23T12:00:04.040Z',
    })
    expect(ok).not.toHaveProperty('error')
  })

  it('replaces the file atomically, mode 0644, leaving no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-status-'))
    dirs.push(dir)
    const file = join(dir, 'status.json')
    await writeFile(file, 'old and longer content that must disappear entirely\n')
    const tracker = new StatusTracker({pid: 1, started: 'x', intervalMs: 1000})
    await writeStatusFile(file, tracker.update(report(1, 'unchanged')))
    await writeStatusFile(file, tracker.update(report(2, 'failed', 'boom')))
    const parsed = JSON.parse(await readFile(file, 'utf8')) as {seq: number; result: string}
    expect(parsed).toMatchObject({seq: 2, result: 'failed'})
    expect((await stat(file)).mode & 0o777).toBe(0o644)
    expect(await readdir(dir)).toEqual(['status.json'])
  })
})
