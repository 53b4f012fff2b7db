// The state lock: `<state>.lock`, held for the whole plan-and-apply so two dockwalls
// never interleave their reads and writes of the host and of the state.
//
// Why not proper-lockfile: it locks with mkdir and decides staleness by mtime (the
// holder touches the lock every few seconds; a lock not touched for 10 s is taken
// over). A dockwall that is alive but stalled (a long iptables-save on a big nft
// host, a SIGSTOPped process, a slow disk) would lose its lock to a second run
// while it is still changing the firewall, which is exactly what the lock exists
// to prevent. It also records nothing about the holder, and we need pid, host,
// user and operation for the "locked by" message and an id for force-unlock.
// Here a lock is only taken over when its holder provably no longer exists: same
// host, and that pid is gone (or now belongs to a process started later). A lock
// from another host (state on a shared file system) is never taken over; that is
// what force-unlock is for.
//
// Why link(): the lock's content is written and fsynced to a private temp file
// first, then link()ed to the lock path. link() fails with EEXIST if the lock
// exists, atomically (also on NFS, unlike O_EXCL on old NFS versions), and the lock
// appears complete: nobody ever reads a half-written lock. open('wx') + write
// would leave a window where another process sees an empty lock file.
import {randomUUID} from 'node:crypto'
import {constants, readFileSync, unlinkSync} from 'node:fs'
import {link, lstat, mkdir, open, readdir, readFile, unlink} from 'node:fs/promises'
import {hostname as osHostname, userInfo} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'
import process from 'node:process'
import {setTimeout as sleep} from 'node:timers/promises'

import {AbortError, StateLockedError} from '../errors.js'
import {errnoCode} from '../util/errno.js'
import {processAlive, processStart} from '../util/process.js'
import * as z from '../util/zod.js'
import {formatDuration} from './duration.js'
import {DEFAULT_STATE_FILE, lockPathFor} from './paths.js'

export interface LockInfo {
  /** Random; what `force-unlock` takes. */
  id: string
  pid: number
  hostname: string
  user: string
  /** What the holder is doing, e.g. `dockwall apply`. */
  operation: string
  /** ISO 8601, UTC. */
  created: string
  /** The holder's start time (Linux /proc/<pid>/stat field 22), to tell a reused pid from the holder. */
  pidStart?: string
}

export interface LockOptions {
  /** How long to wait for another holder, in ms; 0 fails at once (Terraform's default). */
  timeoutMs: number
  /** Shown to whoever waits for this lock, e.g. `dockwall apply`. */
  operation: string
  /** Receives warnings (a stale lock taken over); default: stderr. */
  warn?: (message: string) => void
  /**
   * On SIGINT/SIGTERM, release the lock and let the signal end the process (default
   * true). Pass false when the caller handles those signals itself (an apply that
   * finishes its current step and saves the state first): it must then release.
   */
  releaseOnSignal?: boolean
  /** Longest pause between two attempts while waiting, ms (default 1000). */
  maxPollMs?: number
}

export interface Lock {
  readonly info: LockInfo
  /** The lock file. */
  readonly path: string
  /** Removes the lock if it is still ours. Safe to call more than once. */
  release(): Promise<void>
  /** Throws an AbortError unless the lock file still holds this lock (someone ran force-unlock). */
  check(): Promise<void>
  /**
   * Whether another holder had the lock when it was first asked for (alive, or dead and taken
   * over): what was read of the host before the lock was held may predate that holder's writes.
   */
  readonly contended: boolean
}

const lockInfoSchema = z.object({
  id: z.string().check(z.minLength(1)),
  pid: z.number().check(z.int(), z.positive()),
  hostname: z.string(),
  user: z.string(),
  operation: z.string(),
  created: z.string(),
  pid_start: z.optional(z.string()),
})

type LockRead = {kind: 'held'; info: LockInfo} | {kind: 'invalid'; why: string} | null

/** The current lock, `invalid` when the file is not a dockwall lock, null when there is none. */
export async function readLock(statePath: string): Promise<LockRead> {
  return readLockFile(lockPathFor(statePath))
}

async function readLockFile(lockPath: string): Promise<LockRead> {
  let text: string
  try {
    // Never through a symbolic link: a link planted as the lock must not make root read (or later remove) another file.
    const fh = await open(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      text = await fh.readFile('utf8')
    } finally {
      await fh.close()
    }
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT') return null
    if (code === 'ELOOP')
      throw new AbortError(
        `refusing to use the state lock ${lockPath}: it is a symbolic link`,
        `if no dockwall is running, remove the link ${lockPath}`,
      )
    throw new AbortError(`cannot read the state lock ${lockPath}: ${(error as Error).message}`)
  }
  return parseLock(text)
}

function parseLock(text: string): LockRead {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return {kind: 'invalid', why: text.trim() === '' ? 'it is empty' : 'it is not JSON'}
  }
  const parsed = lockInfoSchema.safeParse(raw)
  if (!parsed.success)
    return {kind: 'invalid', why: `bad field ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`}
  const {pid_start: pidStart, ...rest} = parsed.data
  return {kind: 'held', info: pidStart === undefined ? rest : {...rest, pidStart}}
}

function encodeLock(info: LockInfo): string {
  const {pidStart, ...rest} = info
  return `${JSON.stringify(pidStart === undefined ? rest : {...rest, pid_start: pidStart}, null, 2)}\n`
}

/**
 * Takes the lock on `statePath`, waiting up to `timeoutMs` for another holder.
 * Fails with an AbortError naming the holder. Takes over (with a warning) a lock
 * whose holder was on this host and no longer runs.
 */
export async function acquireLock(statePath: string, opts: LockOptions): Promise<Lock> {
  const warn = opts.warn ?? ((m: string) => void process.stderr.write(`Warning: ${m}\n`))
  if (!Number.isFinite(opts.timeoutMs))
    throw new Error(`acquireLock: timeoutMs must be a finite number, got ${opts.timeoutMs}`)
  const lockPath = lockPathFor(statePath)
  const info: LockInfo = {
    id: randomUUID(),
    pid: process.pid,
    hostname: osHostname(),
    user: currentUser(),
    operation: opts.operation,
    created: new Date().toISOString(),
  }
  const start = processStart(process.pid)
  if (start !== undefined) info.pidStart = start

  try {
    await mkdir(dirname(lockPath), {recursive: true, mode: 0o700})
  } catch (error) {
    throw new AbortError(`cannot create the state directory ${dirname(lockPath)}: ${(error as Error).message}`)
  }
  const tmp = `${lockPath}.tmp-${info.pid}-${info.id}`
  const deadline = Date.now() + Math.max(0, opts.timeoutMs)
  let pause = 25
  let tmpWritten = 0
  let contended = false
  const warned = new Set<string>()
  try {
    for (;;) {
      // The lock says since when it is held: refresh the time after a long wait.
      if (Date.now() - tmpWritten > 1000) {
        info.created = new Date().toISOString()
        await unlink(tmp).catch(() => {})
        await writeSynced(tmp, encodeLock(info), 'wx')
        tmpWritten = Date.now()
      }
      if (await tryCreate(tmp, lockPath)) {
        await removeDeadCompanions(lockPath)
        return new HeldLock(lockPath, info, opts.releaseOnSignal ?? true, contended)
      }
      contended = true
      const holder = await readLockFile(lockPath)
      if (holder === null) continue // released between our attempt and our look: try again at once
      if (holder.kind === 'held' && isStale(holder.info)) {
        if (!warned.has(holder.info.id))
          warn(`taking over the state lock of ${describeHolder(holder.info)}: that process no longer exists`)
        warned.add(holder.info.id)
        // Another waiter may be removing it right now (the guard is busy): look again shortly.
        if (!(await removeLockIfId(lockPath, holder.info.id))) await sleep(20)
        continue
      }
      const left = deadline - Date.now()
      if (left <= 0) throw lockedError(statePath, lockPath, holder, opts.timeoutMs)
      await sleep(Math.min(pause, left))
      pause = Math.min(pause * 2, opts.maxPollMs ?? 1000)
    }
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

/** Whether a lock's holder provably no longer runs: `gone` (this host, pid gone or reused), `running` (this host, alive), `unknown` (another host). */
export type HolderStatus = 'gone' | 'running' | 'unknown'

export function holderStatus(info: LockInfo): HolderStatus {
  if (info.hostname !== osHostname()) return 'unknown'
  return isStale(info) ? 'gone' : 'running'
}

export interface ForceUnlockOptions {
  /** --force: remove the lock even if its holder may still run. */
  force?: boolean
  /** Asks the operator (on a terminal) whether to remove a lock whose holder may still run; absent: refuse. */
  confirm?: (holder: LockInfo, status: Exclude<HolderStatus, 'gone'>) => Promise<boolean>
}

/**
 * Removes the lock on `statePath` if, and only if, its id is `id`, and its holder is
 * provably gone (this host, pid gone or reused) or the caller says so (`force`, or
 * `confirm` answering yes). Returns what the lock said about its holder. Removing the
 * lock of a dockwall that still runs lets two runs change the host at once (issue 15:
 * a resumed apply rewrote 2,000 rules after a second apply had finished).
 */
export async function forceUnlock(statePath: string, id: string, opts: ForceUnlockOptions = {}): Promise<LockInfo> {
  const lockPath = lockPathFor(statePath)
  const holder = await readLockFile(lockPath)
  if (holder === null) throw new AbortError(`the state ${statePath} is not locked (no ${lockPath})`)
  if (holder.kind === 'invalid') {
    throw new AbortError(
      `${lockPath} is not a dockwall lock (${holder.why}), so it has no id to match`,
      `if no dockwall is running, delete ${lockPath} by hand`,
    )
  }
  if (holder.info.id !== id) {
    throw new AbortError(
      `the state lock has id ${holder.info.id} (${describeHolder(holder.info)}), not ${id}; nothing was unlocked`,
      'check the id in the "state locked by" message',
    )
  }
  const status = holderStatus(holder.info)
  if (status !== 'gone' && !opts.force) {
    const approved = opts.confirm ? await opts.confirm(holder.info, status) : false
    if (!approved) throw holderAliveError(holder.info, status, Boolean(opts.confirm))
  }
  if (!(await removeLockIfId(lockPath, id)))
    throw new AbortError(
      `the state lock ${lockPath} is being taken over by another dockwall right now; nothing was unlocked`,
    )
  return holder.info
}

function holderAliveError(info: LockInfo, status: Exclude<HolderStatus, 'gone'>, asked: boolean): AbortError {
  if (asked) return new AbortError('force-unlock cancelled; nothing was unlocked')
  const why =
    status === 'running'
      ? `pid ${info.pid} (${info.operation}) still runs on this host`
      : `the lock is held from host ${info.hostname}, where dockwall cannot check whether pid ${info.pid} still runs`
  return new AbortError(
    `refusing to remove the state lock: ${why}; removing it would let two dockwalls change the host and the state at once. Nothing was unlocked`,
    status === 'running'
      ? `wait for it to finish (or stop it); if you are sure it must go anyway, add --force`
      : `check on ${info.hostname} that it is gone, then add --force (or answer yes on a terminal)`,
  )
}

class HeldLock implements Lock {
  private released = false
  private readonly onExit = (): void => this.releaseSync()
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.releaseSync()
    // Our listener is gone now; sending the signal again gives it its default
    // effect (ending the process), or lets whoever else listens handle it.
    process.kill(process.pid, signal)
  }

  constructor(
    readonly path: string,
    readonly info: LockInfo,
    private readonly releaseOnSignal: boolean,
    readonly contended: boolean,
  ) {
    process.on('exit', this.onExit)
    if (releaseOnSignal) {
      process.on('SIGINT', this.onSignal)
      process.on('SIGTERM', this.onSignal)
    }
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    this.removeListeners()
    const current = await readLockFile(this.path)
    // Not ours any more (force-unlocked, maybe re-taken by someone): leave it alone.
    if (current?.kind === 'held' && current.info.id === this.info.id) await unlink(this.path).catch(() => {})
  }

  async check(): Promise<void> {
    const current = this.released ? null : await readLockFile(this.path)
    if (current?.kind !== 'held' || current.info.id !== this.info.id) {
      throw new AbortError(
        `dockwall no longer holds the state lock ${this.path} (released, or removed with force-unlock); stopping before changing anything more`,
      )
    }
  }

  /** For 'exit' and signal handlers, which cannot wait for promises. */
  private releaseSync(): void {
    if (this.released) return
    this.released = true
    this.removeListeners()
    try {
      const current = parseLock(readFileSync(this.path, 'utf8'))
      if (current?.kind === 'held' && current.info.id === this.info.id) unlinkSync(this.path)
    } catch {
      // Already gone, or unreadable: nothing of ours to remove.
    }
  }

  private removeListeners(): void {
    process.removeListener('exit', this.onExit)
    if (this.releaseOnSignal) {
      process.removeListener('SIGINT', this.onSignal)
      process.removeListener('SIGTERM', this.onSignal)
    }
  }
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])

async function tryCreate(tmp: string, lockPath: string): Promise<boolean> {
  try {
    await link(tmp, lockPath)
    return true
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'EEXIST') return false
    if (code !== undefined && LINK_UNSUPPORTED.has(code)) {
      // A file system without hard links: fall back to O_EXCL. Readers may then see
      // the lock empty for a moment; they treat that as held and wait.
      try {
        await writeSynced(lockPath, await readFile(tmp, 'utf8'), 'wx')
        return true
      } catch (error2) {
        if (errnoCode(error2) === 'EEXIST') return false
        throw error2
      }
    }
    throw new AbortError(`cannot create the state lock ${lockPath}: ${(error as Error).message}`)
  }
}

async function writeSynced(path: string, text: string, flag: 'wx'): Promise<void> {
  const fh = await open(path, flag, 0o600)
  try {
    await fh.writeFile(text, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
}

// Removing someone else's lock must not race with another remover: two waiters both
// see the same stale lock, the first removes it and takes the lock, the second then
// deletes the first one's fresh lock. A short-lived guard file serialises removers
// (stale takeovers and force-unlock), and each re-reads the lock under it, so only
// the lock it judged is removed. (force-unlock of a live holder still has a window of
// microseconds between that re-read and the unlink; it is documented as only for a
// holder that is gone.)
const GUARD_STALE_MS = 10_000

async function removeLockIfId(lockPath: string, id: string): Promise<boolean> {
  const guard = `${lockPath}.takeover`
  try {
    await writeSynced(guard, `${process.pid}\n`, 'wx')
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error
    // Held for milliseconds by a live remover; one older than this died mid-removal.
    const st = await lstat(guard).catch(() => null)
    if (st && Date.now() - st.mtimeMs > GUARD_STALE_MS) await unlink(guard).catch(() => {})
    return false
  }
  try {
    const current = await readLockFile(lockPath)
    if (current?.kind === 'held' && current.info.id === id) await unlink(lockPath)
    return true
  } finally {
    await unlink(guard).catch(() => {})
  }
}

/**
 * What a dockwall killed while it took the lock, or took over a stale one, leaves beside it:
 * its temp lock file (`<lock>.tmp-<pid>-<id>`, between its write and its link()) and the
 * takeover guard (which holds the remover's pid). The new holder removes those whose writer
 * is gone; a live writer's (another dockwall waiting, a force-unlock under way) stay.
 */
async function removeDeadCompanions(lockPath: string): Promise<void> {
  const dir = dirname(lockPath)
  const prefix = `${basename(lockPath)}.tmp-`
  const names = await readdir(dir).catch(() => [])
  for (const name of names) {
    const pid = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length))?.[1] : undefined
    if (pid !== undefined && !processAlive(Number(pid))) await unlink(join(dir, name)).catch(() => {})
  }
  const guard = `${lockPath}.takeover`
  // Never through a symbolic link (a link planted as the guard is left alone).
  const text = await open(guard, constants.O_RDONLY | constants.O_NOFOLLOW).then(
    (fh) => fh.readFile('utf8').finally(() => void fh.close()),
    () => undefined,
  )
  // An empty guard (its writer died before writing its pid) ages out in removeLockIfId.
  if (text !== undefined && /^\d+\n$/.test(text) && !processAlive(Number(text))) await unlink(guard).catch(() => {})
}

/** On this host, and that process is gone (or the pid now belongs to a newer process). */
function isStale(info: LockInfo): boolean {
  if (info.hostname !== osHostname()) return false
  try {
    process.kill(info.pid, 0)
  } catch (error) {
    // EPERM: it exists, under another user. Only ESRCH means gone.
    return errnoCode(error) === 'ESRCH'
  }
  if (info.pidStart === undefined) return false
  const now = processStart(info.pid)
  return now !== undefined && now !== info.pidStart
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    // No passwd entry (a container with an arbitrary uid).
    return `uid ${process.getuid?.() ?? '?'}`
  }
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} (${info.operation}, user ${info.user}) on host ${info.hostname} since ${formatSince(info.created)}`
}

function formatSince(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const pad = (n: number): string => String(n).padStart(2, '0')
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  const now = new Date()
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate()
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

function lockedError(
  statePath: string,
  lockPath: string,
  holder: Exclude<LockRead, null>,
  timeoutMs: number,
): StateLockedError {
  const waited = timeoutMs > 0 ? `timed out after ${formatDuration(timeoutMs)} waiting for the state lock: ` : ''
  const retry = timeoutMs > 0 ? undefined : 'add --lock-timeout 5m to wait for the other dockwall to finish'
  if (holder.kind === 'invalid') {
    return new StateLockedError(
      `${waited}state locked by ${lockPath}, which is not a dockwall lock (${holder.why})`,
      `if no dockwall is running, delete ${lockPath} by hand`,
      lockPath,
    )
  }
  const stateFlag = isDefaultStatePath(statePath) ? '' : ` --state ${statePath}`
  return new StateLockedError(
    `${waited}state locked by ${describeHolder(holder.info)}; wait, or run \`dockwall force-unlock ${holder.info.id}${stateFlag}\` if that process is gone`,
    retry,
    lockPath,
  )
}

/** Whether `force-unlock` without --state would find this state (so the hint can leave the flag out). */
function isDefaultStatePath(statePath: string): boolean {
  const env = process.env.DOCKWALL_STATE
  return resolve(statePath) === resolve(env && env !== '' ? env : DEFAULT_STATE_FILE)
}
