// Removing a sandbox, gracefully or not: what `stop()` finishes with, what the
// process exit hook does, and what `Sandbox.gc()` does for sandboxes whose owner
// died. It is synchronous on purpose (see spawn.ts): an 'exit' handler can run it.
//
// Everything is found from the sandbox record, never by process name:
//   processes  - in one of the sandbox's network namespaces (engine, external
//                clients, Docker's container namespaces mounted under the root),
//                or with the sandbox root in their argv (containerd, shims),
//                or in the sandbox's cgroup parent (container processes);
//   mounts     - every mount point under the sandbox root (overlays, netns files,
//                shm), from /proc/self/mountinfo;
//   cgroups    - <each cgroup hierarchy>/<cgroupParent>;
//   sockets    - /run/containerd/s/<sha256(address/moby/id)> for its containers.
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, rmdirSync, rmSync, statSync, unlinkSync} from 'node:fs'
import {join} from 'node:path'

import {
  cgroupMountPoints,
  isProcessAlive,
  listPids,
  mountsUnder,
  nsfsInode,
  nsfsInodesUnder,
  readMounts,
  readProcess,
  signalProcess,
  waitGoneSync,
} from './procfs.js'
import {NAME_PREFIX, netnsMountDir, readRecord, SANDBOX_BASE, type SandboxRecord} from './record.js'
import {runSync} from './spawn.js'

/** containerd 1.6 puts every shim's socket here, whatever its state directory. */
const SHIM_SOCKET_DIR = '/run/containerd/s'

function cgroupLineMatches(cgroup: string, parent: string): boolean {
  // Lines look like `4:memory:/dwsb-123-1/<container id>` (v1) or `0::/dwsb-123-1/<id>` (v2).
  return cgroup.split('\n').some((line) => {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1)
    return path === `/${parent}` || path.startsWith(`/${parent}/`)
  })
}

/** What identifies a sandbox's processes; any one criterion is enough. */
export interface ProcessMatch {
  /** A directory whose path appears in the argv (containerd, shims) and whose nsfs mounts are namespaces of the sandbox. */
  root?: string
  /** `ip netns` names. */
  netns?: readonly string[]
  cgroupParent?: string
}

/** PIDs of live processes that match (never our own). */
export function findProcesses(match: ProcessMatch): number[] {
  const mounts = readMounts()
  const netnsDir = netnsMountDir()
  const inodes = new Set<number>(match.root ? nsfsInodesUnder(match.root, mounts) : [])
  for (const name of match.netns ?? []) {
    const inode = nsfsInode(join(netnsDir, name), mounts)
    if (inode !== undefined) inodes.add(inode)
  }
  const rootPrefix = match.root ? `${match.root}/` : undefined
  const found: number[] = []
  for (const pid of listPids()) {
    if (pid === process.pid) continue
    const info = readProcess(pid)
    if (!info || info.state === 'Z' || info.state === 'X') continue
    const mine =
      (info.netns !== undefined && inodes.has(info.netns)) ||
      (rootPrefix !== undefined && info.argv.some((arg) => arg.includes(rootPrefix))) ||
      (match.cgroupParent !== undefined && cgroupLineMatches(info.cgroup, match.cgroupParent))
    if (mine) found.push(pid)
  }
  return found
}

export function sandboxProcesses(rec: Pick<SandboxRecord, 'root' | 'netns' | 'clients' | 'cgroupParent'>): number[] {
  return findProcesses({root: rec.root, netns: [rec.netns, ...rec.clients], cgroupParent: rec.cgroupParent})
}

/** SIGKILLs matching processes until none is left (three rounds); returns the PIDs that survived. */
export function killProcesses(match: ProcessMatch): number[] {
  let left: number[] = []
  for (let round = 0; round < 3; round++) {
    const victims = findProcesses(match)
    if (victims.length === 0) return []
    for (const pid of victims) signalProcess(pid, 'SIGKILL')
    left = waitGoneSync(victims, 5000)
  }
  return left.filter((pid) => isProcessAlive(pid))
}

function removeCgroupTree(dir: string, problems: string[]): void {
  let entries
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return
  }
  for (const entry of entries) {
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name), problems)
  }
  try {
    rmdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(`cannot remove cgroup ${dir}: ${(error as Error).message}`)
  }
}

export function removeCgroups(parent: string, problems: string[]): void {
  if (!parent.startsWith(NAME_PREFIX) || parent.includes('/')) return
  for (const mountPoint of cgroupMountPoints()) {
    const dir = join(mountPoint, parent)
    if (existsSync(dir)) removeCgroupTree(dir, problems)
  }
}

function removeShimSockets(rec: SandboxRecord): void {
  let ids: string[]
  try {
    ids = readdirSync(join(rec.root, 'data', 'containers'))
  } catch {
    return
  }
  for (const id of ids) {
    // containerd 1.6 runtime/v2/shim.SocketAddress: sha256(filepath.Join(address, namespace, id)).
    const hash = createHash('sha256')
      .update(join(rec.containerdAddress, 'moby', id))
      .digest('hex')
    try {
      unlinkSync(join(SHIM_SOCKET_DIR, hash))
    } catch {
      // already removed by the shim
    }
  }
}

export function unmountUnder(dir: string, problems: string[]): void {
  for (const mountPoint of mountsUnder(dir)) {
    if (runSync('umount', [mountPoint]).exitCode === 0) continue
    const lazy = runSync('umount', ['--lazy', mountPoint])
    if (lazy.exitCode !== 0 && mountsUnder(mountPoint).includes(mountPoint)) {
      problems.push(`cannot unmount ${mountPoint}: ${lazy.stderr.trim()}`)
    }
  }
}

export function deleteNetns(name: string, problems: string[]): void {
  const path = join(netnsMountDir(), name)
  const mounted = nsfsInode(path) !== undefined
  if (!mounted && !existsSync(path)) return
  if (runSync('ip', ['netns', 'delete', name]).exitCode === 0) return
  // `ip netns delete` refuses some half-created states; do what it does by hand.
  if (mounted) runSync('umount', ['--lazy', path])
  try {
    unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(`cannot delete netns ${name}: ${(error as Error).message}`)
  }
}

/**
 * Removes everything the sandbox created. Safe to call at any stage of a start, any
 * number of times. Returns the problems it could not fix (empty when all is gone).
 */
export function reapSync(rec: SandboxRecord): string[] {
  const problems: string[] = []
  const survivors = killProcesses({root: rec.root, netns: [rec.netns, ...rec.clients], cgroupParent: rec.cgroupParent})
  if (survivors.length > 0) problems.push(`processes still running: ${survivors.join(', ')}`)
  removeCgroups(rec.cgroupParent, problems)
  removeShimSockets(rec)
  unmountUnder(rec.root, problems)
  for (const name of [...rec.clients, rec.netns]) deleteNetns(name, problems)
  const stillMounted = mountsUnder(rec.root)
  if (stillMounted.length > 0) {
    // Never delete through a mount point.
    problems.push(`not removing ${rec.root}: still mounted: ${stillMounted.join(', ')}`)
  } else {
    rmSync(rec.root, {recursive: true, force: true})
  }
  return problems
}

export interface GcReport {
  /** Sandboxes (and stray namespaces or cgroups) removed. */
  removed: string[]
  /** Live sandboxes left alone (their owner process is running). */
  kept: string[]
  problems: string[]
}

/** A directory without a readable record is a sandbox whose creation was interrupted; give a concurrent creator time. */
const UNRECORDED_GRACE_MS = 60_000

/**
 * Removes sandboxes whose owner process is gone, with everything they hold (their
 * dockerd too, if it survived its owner), plus `dwsb-*` network namespaces and
 * cgroups that no live sandbox claims.
 */
export function gcSync(): GcReport {
  const report: GcReport = {removed: [], kept: [], problems: []}
  const claimedNetns = new Set<string>()
  const claimedCgroups = new Set<string>()
  let entries: string[] = []
  try {
    entries = readdirSync(SANDBOX_BASE).filter((name) => name.startsWith(NAME_PREFIX))
  } catch {
    // no sandbox was ever started here
  }
  for (const name of entries) {
    const root = join(SANDBOX_BASE, name)
    const rec = readRecord(root)
    if (rec && isProcessAlive(rec.owner.pid, rec.owner.startTicks)) {
      report.kept.push(name)
      for (const ns of [rec.netns, ...rec.clients]) claimedNetns.add(ns)
      claimedCgroups.add(rec.cgroupParent)
      continue
    }
    if (!rec) {
      let age = Number.POSITIVE_INFINITY
      try {
        age = Date.now() - statSync(root).mtimeMs
      } catch {
        continue
      }
      if (age < UNRECORDED_GRACE_MS) {
        report.kept.push(name)
        claimedNetns.add(name)
        claimedCgroups.add(name)
        continue
      }
    }
    const stale: SandboxRecord = rec ?? {
      version: 1,
      name,
      root,
      backend: 'nft',
      engine: 'unknown',
      netns: name,
      clients: [],
      cgroupParent: name,
      containerdAddress: join(root, 'exec', 'containerd', 'containerd.sock'),
      owner: {pid: 0, startTicks: 0},
      createdAt: '',
    }
    report.problems.push(...reapSync(stale).map((p) => `${name}: ${p}`))
    report.removed.push(name)
  }

  // Namespaces and cgroups named like ours that no live sandbox claims.
  let namespaces: string[] = []
  try {
    namespaces = readdirSync(netnsMountDir()).filter((n) => n.startsWith(NAME_PREFIX) && !claimedNetns.has(n))
  } catch {
    // no netns directory yet
  }
  for (const ns of namespaces) {
    const survivors = killProcesses({netns: [ns]})
    if (survivors.length > 0) report.problems.push(`netns ${ns}: processes still running: ${survivors.join(', ')}`)
    deleteNetns(ns, report.problems)
    report.removed.push(`netns ${ns}`)
  }
  for (const mountPoint of cgroupMountPoints()) {
    let groups: string[] = []
    try {
      groups = readdirSync(mountPoint).filter((g) => g.startsWith(NAME_PREFIX) && !claimedCgroups.has(g))
    } catch {
      continue
    }
    for (const group of groups) {
      killProcesses({cgroupParent: group})
      removeCgroups(group, report.problems)
      report.removed.push(`cgroup ${group}`)
    }
  }
  report.removed = [...new Set(report.removed)]
  return report
}
