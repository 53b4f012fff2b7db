// Where apply --confirm-within keeps its files beside the state (src/services/confirm.ts),
// apart from that module so a session can look for a pending confirmation without loading
// the confirm window's machinery (apply's rollback, zod schemas, write-file-atomic).
import {lstat} from 'node:fs/promises'
import {resolve} from 'node:path'

import {errnoCode} from '../util/errno.js'

export function confirmPaths(statePath: string): {pending: string; timer: string; result: string} {
  const abs = resolve(statePath)
  return {pending: `${abs}.confirm`, timer: `${abs}.confirm.timer`, result: `${abs}.confirm.result`}
}

/**
 * Whether anything is at the pending confirmation's path (a file, or a symbolic link that
 * settlePending then refuses): false only when there is nothing, as on most runs.
 */
export async function mayHavePending(statePath: string): Promise<boolean> {
  try {
    await lstat(confirmPaths(statePath).pending)
    return true
  } catch (error) {
    return errnoCode(error) !== 'ENOENT'
  }
}
