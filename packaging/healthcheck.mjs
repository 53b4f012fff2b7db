#!/usr/bin/env node
/* global process, console */
// Health check for `dockwall watch --status-file FILE` (the Docker image's HEALTHCHECK,
// or any monitor): exit 0 when the last reconciliation succeeded and is recent, else 1
// with the reason on stderr.
//   node packaging/healthcheck.mjs /run/dockwall/status.json [MAX_AGE_SECONDS]
// Recent: within three drift intervals plus a minute (the status file is rewritten after
// every reconciliation, at least once per interval), or MAX_AGE_SECONDS when given.
import {readFileSync} from 'node:fs'

const file = process.argv[2] ?? '/run/dockwall/status.json'
const fail = (why) => {
  console.error(`unhealthy: ${why}`)
  process.exit(1)
}

let status
try {
  status = JSON.parse(readFileSync(file, 'utf8'))
} catch (error) {
  fail(`cannot read ${file}: ${error.message}`)
}
const ageMs = Date.now() - Date.parse(status.time)
const intervalMs = Number(status.interval_ms) > 0 ? Number(status.interval_ms) : 30_000
const maxAgeMs = process.argv[3] ? Number(process.argv[3]) * 1000 : 3 * intervalMs + 60_000
if (!Number.isFinite(ageMs)) fail(`${file} has no valid time`)
if (status.healthy !== true)
  fail(
    `last reconciliation ${status.result}: ${status.error ?? 'no error given'} (${status.consecutive_failures} in a row)`,
  )
if (ageMs > maxAgeMs)
  fail(`last reconciliation was ${Math.round(ageMs / 1000)} s ago (more than ${Math.round(maxAgeMs / 1000)} s)`)
console.log(
  `healthy: ${status.result} ${Math.round(ageMs / 1000)} s ago${status.config?.state === 'invalid' ? `; configuration invalid, last good one in force: ${status.config.error}` : ''}`,
)
