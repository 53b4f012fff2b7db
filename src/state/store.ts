// Reading and writing the state file. The file is the only record of what dockwall
// owns on a production host, so every write is atomic (a temp file in the same
// directory, fsync, rename; then an fsync of the directory so the rename itself
// survives a power cut), mode 0600, and never blind: writeState checks that the file
// still holds the state the caller started from, and keeps a copy of the file as it
// was before this process first changed it.
//
// Never through a symbolic link (issue 15): dockwall runs as root, and a link planted
// as `<state>.backup` made write-file-atomic (which resolves links first) overwrite and
// chmod the link's target. The state and its backup are read with O_NOFOLLOW and
// refused when they are links; temp files are created with O_EXCL (which never follows
// a link) and renamed over the name (rename replaces a link, it does not follow it).
// Temp files a killed dockwall left behind (`.staged-<pid>-…`, `.tmp-<pid>-…`) are
// removed once their pid is gone.
import {Buffer} from 'node:buffer'
import {randomBytes} from 'node:crypto'
import {constants, unlinkSync} from 'node:fs'
import {chmod, chown, lstat, mkdir, open, readdir, rename, unlink} from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import process from 'node:process'

import {AbortError} from '../errors.js'
import {errnoCode} from '../util/errno.js'
import {processAlive} from '../util/process.js'
import {
  canonicalResourcesAsync,
  decodeState,
  encodeResources,
  encodeWithResources,
  sameResources,
  stateContentEqual,
} from './format.js'
import {backupPathFor} from './paths.js'
import type {Lock} from './lock.js'
import {STATE_VERSION} from './types.js'
import type {State} from './types.js'

const FILE_MODE = 0o600
const DIR_MODE = 0o700

export interface StoreOptions {
  /** Receives warnings (loose permissions fixed, file recreated); default: stderr. */
  warn?: (message: string) => void
  /** The caller's lock: checked (still held, not force-unlocked) before anything is written. */
  lock?: Pick<Lock, 'check'>
}

// Per process, by absolute path: the exact bytes last read or written (so the
// "did someone else write it?" check is a memcmp, not a parse), and the
// files already backed up (the backup is the state before this run, not before
// the last step).
const lastKnown = new Map<string, Buffer>()
const backedUp = new Set<string>()

/** The state at `path`, or null when there is no file. Throws an AbortError naming the file when it is unreadable or invalid. */
export async function readState(path: string): Promise<State | null> {
  const abs = resolve(path)
  const bytes = await readNoFollow(abs, path, 'the state file')
  if (bytes === null) return null
  const state = decodeState(bytes.toString('utf8'), path)
  lastKnown.set(abs, bytes)
  return state
}

/**
 * Writes `state` over the file that held `prev` (what readState returned, or what
 * the previous writeState returned; null when there was no file) and returns the
 * state as written, to pass as `prev` next time. Its resources are deeply frozen
 * canonical copies (readState's are deeply frozen): edit with putResource/removeResources.
 *
 * - The serial is computed here (`state.serial` is ignored): prev's serial, plus
 *   one when the resources differ; 1 for a new file. Nothing is written when the
 *   bytes would not change.
 * - Refuses to overwrite a file that no longer holds `prev` (another writer, a
 *   force-unlock misused): the new state then goes to `<path>.conflict-…` and the
 *   error says where, so neither record is lost. This is a safety net, not a
 *   substitute for the lock: a writer can still slip in between the check and the
 *   rename. Callers hold the lock (acquireLock) from their read to their last write.
 * - Before the first write in this process, the existing file is copied to
 *   `<path>.backup`.
 * - The file ends up mode 0600 even if it existed with looser permissions (with a
 *   warning); a missing directory is created with mode 0700.
 */
export async function writeState(
  path: string,
  state: State,
  prev: State | null,
  opts: StoreOptions = {},
): Promise<State> {
  const p = prepareWrite(path, state, prev)
  await ensureDir(p.abs, path)
  return finishWrite(p, path, prev, opts, () => atomicWrite(p.abs, p.bytes, path))
}

/** A state write prepared ahead of time by stageState. */
export interface StagedState {
  /** The state commit() writes (serial computed as writeState does). */
  readonly state: State
  /** Does what writeState does from its checks on, installing the prepared file by a rename; returns the state as written. */
  commit(): Promise<State>
  /** Removes the prepared file; the state file is untouched. */
  discard(): Promise<void>
}

/**
 * Prepares `writeState(path, state, prev, opts)` so that it can be finished later at the
 * cost of a rename: encodes the state and writes the bytes, synced, mode 0600, to a
 * temporary file beside the state file, which stays untouched. Apply stages the state
 * it will record if its iptables transactions commit while they run (the encoding and
 * the fsync of a large state cost about as much as an iptables-restore of its rules;
 * measured with `npm run bench`), then commits or discards it.
 *
 * commit() makes exactly writeState's checks at that moment (the lock, another writer,
 * permissions), the backup and the same bytes, and fails the same way; a crash before
 * it leaves the state file as it was and, at worst, the temporary file.
 */
export async function stageState(
  path: string,
  state: State,
  prev: State | null,
  opts: StoreOptions = {},
): Promise<StagedState> {
  // Encoded resource by resource, yielding in between: apply stages while iptables-restore
  // reads its input from this process, which must keep feeding it.
  const p = prepareWrite(path, {...state, resources: await canonicalResourcesAsync(state.resources)}, prev)
  await ensureDir(p.abs, path)
  const target = p.abs
  await refuseLink(target, path)
  const tmp = `${target}.staged-${process.pid}-${randomBytes(4).toString('hex')}`
  let pending = true
  const onExit = (): void => {
    try {
      unlinkSync(tmp)
    } catch {
      // already gone
    }
  }
  process.once('exit', onExit)
  const discard = async (): Promise<void> => {
    if (!pending) return
    pending = false
    process.off('exit', onExit)
    await unlink(tmp).catch(() => {})
  }
  try {
    await writeSynced(tmp, target, p.bytes)
  } catch (error) {
    await discard()
    throw fsError('write', path, error)
  }
  return {
    state: p.next,
    discard,
    async commit() {
      if (!pending) throw new Error('stageState: commit after commit or discard')
      try {
        return await finishWrite(p, path, prev, opts, async () => {
          try {
            await rename(tmp, target)
          } catch (error) {
            throw fsError('write', path, error)
          }
          pending = false
          process.off('exit', onExit)
          await fsyncDir(dirname(target))
        })
      } finally {
        await discard()
      }
    },
  }
}

/**
 * Puts back exactly `bytes` as the state file (the rollback of an unconfirmed apply
 * restores the file as it was), or removes the file when `bytes` is null (there was
 * none). The bytes must hold a valid state; the write is atomic, mode 0600, after the
 * lock check; the file is not backed up again (its previous content is what is restored).
 */
export async function restoreStateBytes(
  path: string,
  bytes: Buffer | null,
  opts: Pick<StoreOptions, 'lock'> = {},
): Promise<void> {
  const abs = resolve(path)
  if (bytes !== null) decodeState(bytes.toString('utf8'), path)
  await opts.lock?.check()
  if (bytes === null) {
    await unlink(abs).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw fsError('remove', path, error)
    })
    await fsyncDir(dirname(abs))
    lastKnown.delete(abs)
    return
  }
  await atomicWrite(abs, bytes, path)
  lastKnown.set(abs, bytes)
}

interface PreparedWrite {
  abs: string
  next: State
  bytes: Buffer
}

/** What writeState checks and computes before touching the disk (throws if the state is invalid). */
function prepareWrite(path: string, state: State, prev: State | null): PreparedWrite {
  const abs = resolve(path)
  if (prev && state.lineage !== prev.lineage)
    throw new Error(`writeState: lineage changed from ${prev.lineage} to ${state.lineage}; the lineage is set once`)
  // Throws before touching the disk if the state is invalid.
  const encoded = encodeResources(state.resources)
  const changed = prev === null || !sameResources(prev.resources, encoded.resources)
  const serial = prev === null ? 1 : changed ? prev.serial + 1 : prev.serial
  const next: State = {...state, version: STATE_VERSION, serial, resources: encoded.resources}
  const text = encodeWithResources(next, encoded.text)
  return {abs, next, bytes: Buffer.from(text, 'utf8')}
}

async function ensureDir(abs: string, path: string): Promise<void> {
  try {
    await mkdir(dirname(abs), {recursive: true, mode: DIR_MODE})
  } catch (error) {
    throw fsError('create the state directory for', path, error)
  }
  await removeStaleTemporaries(abs)
}

/**
 * Refuses (AbortError naming the file) a state or backup file that is a symbolic link,
 * and removes the temp files of dockwalls that are gone. Sessions call it once the lock
 * is theirs, before anything is read from the host or written to it.
 */
export async function checkStateFiles(path: string): Promise<void> {
  const abs = resolve(path)
  await refuseLink(abs, path)
  await refuseLink(`${abs}.backup`, backupPathFor(path))
  await removeStaleTemporaries(abs)
}

const cleaned = new Set<string>()

/**
 * `<state>.staged-<pid>-<hex>`, `<state>.tmp-<pid>-<hex>` and the backup's `<state>.backup.tmp-<pid>-<hex>`
 * whose pid no longer runs: a killed dockwall's.
 */
async function removeStaleTemporaries(abs: string): Promise<void> {
  if (cleaned.has(abs)) return
  cleaned.add(abs)
  const dir = dirname(abs)
  const prefix = `${basename(abs)}.`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const m = /^(?:backup\.)?(?:staged|tmp)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length))
    if (!m) continue
    const pid = Number(m[1])
    // A live pid may be another dockwall staging right now (or a reused pid): leave it.
    if (pid === process.pid || processAlive(pid)) continue
    await unlink(join(dir, name)).catch(() => {})
  }
}

/** writeState from the lock check on; `install` puts the new bytes in place (atomically). */
async function finishWrite(
  p: PreparedWrite,
  path: string,
  prev: State | null,
  opts: StoreOptions,
  install: () => Promise<void>,
): Promise<State> {
  const warn = opts.warn ?? defaultWarn
  const {abs, next, bytes} = p
  await opts.lock?.check()
  const current = await readCurrent(abs, path)

  const conflict = conflictWith(current, prev, abs, path)
  if (conflict) {
    const saved = `${abs}.conflict-${new Date().toISOString().replaceAll(/[:.]/g, '')}-${process.pid}`
    await atomicWrite(saved, bytes, path)
    throw new AbortError(
      `not overwriting state file ${path}: ${conflict}. The state dockwall meant to write (serial ${next.serial}) is saved in ${saved}`,
      `compare the two files and move the right one to ${path}; never run force-unlock while another dockwall is running`,
    )
  }
  if (prev && !current) warn(`state file ${path} had disappeared since dockwall read it; writing it again`)

  if (current && (current.mode & 0o077) !== 0) {
    try {
      await chmod(abs, FILE_MODE)
    } catch (error) {
      throw fsError('restrict the permissions of', path, error)
    }
    warn(
      `state file ${path} was accessible to other users (mode ${(current.mode & 0o777).toString(8).padStart(4, '0')}); changed it to 0600`,
    )
  }

  if (current?.bytes.equals(bytes)) {
    lastKnown.set(abs, bytes)
    return next
  }

  if (!backedUp.has(abs)) {
    // Exact bytes, not a re-encoding: the backup is for recovery, and should be
    // the file as it was even if it came from an older format.
    if (current) await atomicWrite(`${abs}.backup`, current.bytes, backupPathFor(path))
    backedUp.add(abs)
  }
  await install()
  lastKnown.set(abs, bytes)
  return next
}

/**
 * Writes `bytes` to the new file `tmp` as write-file-atomic does before its rename: mode
 * 0600, synced, owned like the file it will replace (`target`) when that exists.
 */
async function writeSynced(tmp: string, target: string, bytes: Buffer): Promise<void> {
  const existing = await lstat(target).catch(() => undefined)
  const fh = await open(tmp, 'wx', FILE_MODE)
  try {
    await fh.writeFile(bytes)
    await fh.sync()
  } finally {
    await fh.close()
  }
  if (existing && process.getuid)
    await chown(tmp, existing.uid, existing.gid).catch((error: unknown) => {
      if (!chownErrorOk(error)) throw error
    })
  await chmod(tmp, FILE_MODE)
}

/** write-file-atomic's rule: ownership that cannot be kept is fine unless root should have been able to. */
function chownErrorOk(error: unknown): boolean {
  const code = errnoCode(error)
  if (code === 'ENOSYS') return true
  const nonroot = !process.getuid || process.getuid() !== 0
  return nonroot && (code === 'EINVAL' || code === 'EPERM')
}

interface CurrentFile {
  bytes: Buffer
  mode: number
}

async function readCurrent(abs: string, path: string): Promise<CurrentFile | null> {
  return readNoFollowWith(abs, path, 'the state file', async (fh) => {
    const [bytes, st] = await Promise.all([fh.readFile(), fh.stat()])
    return {bytes, mode: st.mode}
  })
}

/** A file's bytes, read without following a symbolic link (refused, naming it); null when there is none. */
function readNoFollow(abs: string, shownAs: string, what: string): Promise<Buffer | null> {
  return readNoFollowWith(abs, shownAs, what, (fh) => fh.readFile())
}

/** Opens a file without following a symbolic link (refused, naming it) and reads it with `read`; null when there is none. */
async function readNoFollowWith<T>(
  abs: string,
  shownAs: string,
  what: string,
  read: (fh: FileHandle) => Promise<T>,
): Promise<T | null> {
  let fh
  try {
    fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT') return null
    if (code === 'ELOOP') throw linkError(shownAs)
    throw fsError(`read ${what}`, shownAs, error)
  }
  try {
    return await read(fh)
  } catch (error) {
    throw fsError(`read ${what}`, shownAs, error)
  } finally {
    await fh.close()
  }
}

async function refuseLink(abs: string, shownAs: string): Promise<void> {
  const st = await lstat(abs).catch(() => undefined)
  if (st?.isSymbolicLink()) throw linkError(shownAs)
}

function linkError(shownAs: string): AbortError {
  return new AbortError(
    `refusing to use ${shownAs}: it is a symbolic link, and dockwall (running as root) never reads or writes its state through one`,
    `replace the link with the file itself (or remove it), or point --state at the real file`,
  )
}

/** Why the file on disk is not the one the caller read, or null when it is. */
function conflictWith(current: CurrentFile | null, prev: State | null, abs: string, path: string): string | null {
  if (prev === null)
    return current ? 'the file appeared after dockwall found none (another dockwall running without the lock?)' : null
  if (!current) return null
  if (lastKnown.get(abs)?.equals(current.bytes)) return null
  let disk: State
  try {
    disk = decodeState(current.bytes.toString('utf8'), path)
  } catch (error) {
    return `it no longer holds a readable state (${(error as Error).message.split('\n')[0]})`
  }
  if (disk.lineage !== prev.lineage)
    return `it now holds a different state (lineage ${disk.lineage}, dockwall read ${prev.lineage})`
  if (disk.serial !== prev.serial || !stateContentEqual(disk, prev))
    return `it changed since dockwall read it (serial ${prev.serial}, now ${disk.serial})`
  return null
}

async function atomicWrite(abs: string, data: string | Buffer, shownAs: string): Promise<void> {
  await refuseLink(abs, shownAs)
  const tmp = `${abs}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await writeSynced(tmp, abs, Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'))
    await rename(tmp, abs)
  } catch (error) {
    await unlink(tmp).catch(() => {})
    if (error instanceof AbortError) throw error
    throw fsError('write', shownAs, error)
  }
  await fsyncDir(dirname(abs))
}

/**
 * rename() is atomic, but only durable once the directory entry is on disk.
 * Best effort: some file systems refuse fsync on a directory, and the data itself
 * is already safe by then.
 */
async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    // see above
  }
}

function defaultWarn(message: string): void {
  process.stderr.write(`Warning: ${message}\n`)
}

function fsError(action: string, path: string, error: unknown): AbortError {
  const code = errnoCode(error)
  const why =
    code === 'EACCES' || code === 'EPERM' ? 'permission denied (dockwall runs as root)' : (error as Error).message
  return new AbortError(`cannot ${action} ${path}: ${why}`)
}
