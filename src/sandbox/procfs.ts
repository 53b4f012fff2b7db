// Read-only views of /proc: mounts, processes, their namespaces and cgroups,
// listening sockets. The sandbox finds what belongs to it here (by path,
// namespace inode or cgroup), never by process name.
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'

export interface MountEntry {
  id: number
  parentId: number
  /** Root of the mount inside its filesystem; for nsfs mounts `net:[inode]`. */
  root: string
  mountPoint: string
  fsType: string
  source: string
}

/** Undoes the octal escapes (`\040` for a space, ...) the kernel uses in mountinfo paths. */
export function unescapeMountField(field: string): string {
  return field.replaceAll(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
}

/** Parses /proc/<pid>/mountinfo (proc(5)): optional fields end at a lone `-`. */
export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const fields = line.split(' ')
    const sep = fields.indexOf('-', 6)
    if (sep < 0 || fields.length < sep + 3) continue
    mounts.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescapeMountField(fields[3] ?? ''),
      mountPoint: unescapeMountField(fields[4] ?? ''),
      fsType: fields[sep + 1] ?? '',
      source: unescapeMountField(fields[sep + 2] ?? ''),
    })
  }
  return mounts
}

export function readMounts(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
}

/** True when `path` is `dir` or lies below it (plain string prefix on whole components). */
export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`)
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string, mounts: MountEntry[] = readMounts()): string[] {
  const points = [...new Set(mounts.filter((m) => isUnder(m.mountPoint, dir)).map((m) => m.mountPoint))]
  return points.sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length)
}

/** The network namespace inode a netns mount (`/run/netns/X`, a Docker sandbox key) refers to. */
export function nsfsInode(path: string, mounts: MountEntry[] = readMounts()): number | undefined {
  // The last mount on a path is the visible one.
  const entry = mounts.filter((m) => m.mountPoint === path && m.fsType === 'nsfs').at(-1)
  const match = entry ? /^net:\[(\d+)\]$/.exec(entry.root) : null
  return match ? Number(match[1]) : undefined
}

/** Network namespace inodes of every nsfs mount at or below `dir` (Docker's container namespaces under exec-root/netns). */
export function nsfsInodesUnder(dir: string, mounts: MountEntry[] = readMounts()): number[] {
  const out: number[] = []
  for (const m of mounts) {
    if (m.fsType !== 'nsfs' || !isUnder(m.mountPoint, dir)) continue
    const match = /^net:\[(\d+)\]$/.exec(m.root)
    if (match) out.push(Number(match[1]))
  }
  return out
}

/** Cgroup hierarchies (v1 controllers and/or v2) mounted in this mount namespace. */
export function cgroupMountPoints(mounts: MountEntry[] = readMounts()): string[] {
  return [...new Set(mounts.filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => m.mountPoint))]
}

export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

export interface ProcessInfo {
  pid: number
  /** argv; empty for kernel threads and zombies. */
  argv: string[]
  /** Network namespace inode, when readable. */
  netns?: number
  /** Content of /proc/<pid>/cgroup. */
  cgroup: string
  state: string
}

/** One process's identity, or undefined when it has gone away meanwhile. */
export function readProcess(pid: number): ProcessInfo | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  const cmdline = readOrUndefined(`/proc/${pid}/cmdline`) ?? ''
  let netns: number | undefined
  try {
    const match = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))
    if (match) netns = Number(match[1])
  } catch {
    // Zombies and kernel threads have no readable namespace links.
  }
  return {
    pid,
    argv: cmdline.split('\0').filter((arg) => arg !== ''),
    netns,
    cgroup: readOrUndefined(`/proc/${pid}/cgroup`) ?? '',
    state: parseStat(stat)?.state ?? '?',
  }
}

function parseStat(stat: string): {state: string; startTicks: number} | undefined {
  // comm (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const state = rest[0]
  const startTicks = Number(rest[19]) // field 22, starttime
  return state === undefined || !Number.isFinite(startTicks) ? undefined : {state, startTicks}
}

/** Start time of a process in clock ticks since boot: with the PID, it identifies a process across PID reuse. */
export function processStartTicks(pid: number): number | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`)
  return stat === undefined ? undefined : parseStat(stat)?.startTicks
}

/** Whether the process exists and is not a zombie (and, given `startTicks`, is the same process). */
export function isProcessAlive(pid: number, startTicks?: number): boolean {
  const stat = readOrUndefined(`/proc/${pid}/stat`)
  if (stat === undefined) return false
  const parsed = parseStat(stat)
  if (!parsed || parsed.state === 'Z' || parsed.state === 'X') return false
  return startTicks === undefined || parsed.startTicks === startTicks
}

/** Sends a signal, ignoring processes that are already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** Synchronous sleep, for the exit-time teardown where no timer can run. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Waits until none of `pids` is alive; returns those still alive at the deadline. */
export function waitGoneSync(pids: readonly number[], timeoutMs: number): number[] {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter((pid) => isProcessAlive(pid))
  while (alive.length > 0 && Date.now() < deadline) {
    sleepSync(20)
    alive = alive.filter((pid) => isProcessAlive(pid))
  }
  return alive
}

export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter((pid) => isProcessAlive(pid))
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(25)
    alive = alive.filter((pid) => isProcessAlive(pid))
  }
  return alive
}

/** TCP ports in LISTEN state in the network namespace of `pid` (IPv4 and IPv6 sockets). */
export function listeningTcpPorts(pid: number): Set<number> {
  const ports = new Set<number>()
  for (const file of ['tcp', 'tcp6']) {
    const text = readOrUndefined(`/proc/${pid}/net/${file}`) ?? ''
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // fields: sl local_address rem_address st ...; 0A is TCP_LISTEN.
      if (fields[3] !== '0A') continue
      const port = fields[1]?.split(':')[1]
      if (port) ports.add(Number.parseInt(port, 16))
    }
  }
  return ports
}
