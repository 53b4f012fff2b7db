// Reading a network namespace's /proc/net files without starting a process: /proc/<pid>/net
// shows the namespace of that process, so any process living in the target namespace opens
// a window onto it. Used where a `cat` through nsenter would otherwise cost a process.
import {readdirSync, readFileSync, readlinkSync, statSync} from 'node:fs'

import type {NetnsTarget} from './exec.js'

/** The inode of a network namespace, which every process in it shows in /proc/<pid>/ns/net. */
export function netnsInode(target: NetnsTarget): number | undefined {
  const path =
    target.kind === 'current'
      ? '/proc/self/ns/net'
      : target.kind === 'path'
        ? target.path
        : `/proc/${target.pid}/ns/net`
  try {
    return statSync(path).ino
  } catch {
    return undefined
  }
}

/** The numeric /proc entries whose network namespace has inode `inode`, in /proc's order. */
export function* pidsInNetns(inode: number): Generator<string> {
  const link = `net:[${inode}]`
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // One syscall per process: most live elsewhere.
      if (readlinkSync(`/proc/${name}/ns/net`) === link) yield name
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
}

/** A process found in a namespace, by inode: a refresh asks several times (each family, each call). */
const resident = new Map<number, string>()

function livesIn(pid: string, inode: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) === `net:[${inode}]`
  } catch {
    return false
  }
}

/** A /proc/<pid>/net directory showing the target's namespace, or undefined when no process lives there. */
function procNetDir(target: NetnsTarget): string | undefined {
  if (target.kind === 'current') return '/proc/self/net'
  if (target.kind === 'pid') return `/proc/${target.pid}/net`
  const inode = netnsInode(target)
  if (inode === undefined) return undefined
  // dockwall itself may live there (`--netns` naming its own namespace): no /proc scan then.
  if (inode === netnsInode({kind: 'current'})) return '/proc/self/net'
  // The process found last time, if it still lives there: one readlink instead of a /proc scan.
  const known = resident.get(inode)
  if (known !== undefined && livesIn(known, inode)) return `/proc/${known}/net`
  for (const pid of pidsInNetns(inode)) {
    resident.set(inode, pid)
    return `/proc/${pid}/net`
  }
  resident.delete(inode)
  return undefined
}

/**
 * The lines of a /proc/net file as the target namespace shows it; [] when the file does not
 * exist there (the module that provides it is not loaded); undefined when the namespace
 * cannot be seen without a process (a named namespace nobody lives in, a process gone).
 */
export function readProcNet(target: NetnsTarget, file: string): string[] | undefined {
  const dir = procNetDir(target)
  if (dir === undefined) return undefined
  try {
    return readFileSync(`${dir}/${file}`, 'utf8')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // The directory is there but not the file: no such module, hence no such table.
    if (code === 'ENOENT' && existsDir(dir)) return []
    return undefined
  }
}

function existsDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}
