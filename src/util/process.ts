// Is a process still the one we knew? A pid alone is not enough (pids are reused): the
// start time (Linux /proc/<pid>/stat field 22) tells a reused pid from the original.
import {readFileSync} from 'node:fs'
import process from 'node:process'

import {errnoCode} from './errno.js'

/** Start time of a process in clock ticks since boot (Linux), undefined elsewhere or when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    // Field 22 (starttime) is the 20th after the comm.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Whether `pid` runs and, when `start` is known, is still the process that started then. */
export function processAlive(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists, under another user. Only ESRCH means gone.
    if (errnoCode(error) !== 'EPERM') return false
  }
  if (start === undefined) return true
  const now = processStart(pid)
  return now === undefined || now === start
}
