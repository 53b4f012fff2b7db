// Where sandboxes live on disk, and the record each one keeps in its directory:
// enough for any process (the exit hook, `Sandbox.gc()` in a later test run) to
// find and remove everything it created.
import {lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {processStartTicks} from './procfs.js'

/** Every sandbox's private directory lives here; nothing else is written outside it except `/run/netns/<name>`. */
export const SANDBOX_BASE = '/tmp/dockwall-sandbox'
export const NAME_PREFIX = 'dwsb-'
/** `ip netns` keeps its bind mounts here (`/var/run/netns` on Debian is the same directory). */
export const NETNS_DIR = '/var/run/netns'

export type Backend = 'nft' | 'legacy'

export interface SandboxRecord {
  version: 1
  name: string
  root: string
  backend: Backend
  engine: string
  /** Network namespace of the engine (`ip netns` name). */
  netns: string
  /** Network namespaces of external clients, recorded before they are created. */
  clients: string[]
  /** Docker's --cgroup-parent, relative to each cgroup hierarchy's root. */
  cgroupParent: string
  /** containerd's gRPC socket; shim sockets in /run/containerd/s are named by a hash of it. */
  containerdAddress: string
  /** The process that owns the sandbox: when it is gone, the sandbox is stale. */
  owner: {pid: number; startTicks: number}
  createdAt: string
}

export const RECORD_FILE = 'sandbox.json'

/** The netns directory as the kernel reports it in mountinfo (symlinks resolved). */
export function netnsMountDir(): string {
  try {
    return realpathSync(NETNS_DIR)
  } catch {
    return '/run/netns'
  }
}

export function ownerIdentity(): {pid: number; startTicks: number} {
  return {pid: process.pid, startTicks: processStartTicks(process.pid) ?? 0}
}

/** Creates SANDBOX_BASE (mode 0700) and refuses to use it if it is not a plain directory owned by root. */
export function ensureBaseDir(): void {
  mkdirSync(SANDBOX_BASE, {recursive: true, mode: 0o700})
  const st = lstatSync(SANDBOX_BASE)
  if (!st.isDirectory() || st.uid !== 0) {
    throw new Error(
      `${SANDBOX_BASE} must be a directory owned by root (found ${st.isSymbolicLink() ? 'a symlink' : `uid ${st.uid}`}); remove it and retry`,
    )
  }
}

export function writeRecord(record: SandboxRecord): void {
  const file = join(record.root, RECORD_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, {mode: 0o600})
  renameSync(tmp, file)
}

export function readRecord(root: string): SandboxRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(root, RECORD_FILE), 'utf8')) as SandboxRecord
    return parsed.version === 1 && typeof parsed.name === 'string' ? parsed : undefined
  } catch {
    return undefined
  }
}
