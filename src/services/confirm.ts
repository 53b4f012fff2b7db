// `apply --confirm-within DURATION`: the apply is kept only if someone confirms it in
// time (a key on the terminal that ran it, or `dockwall confirm` from a new session,
// which proves a new connection still works); otherwise dockwall's chains and jumps go
// back to exactly what they were, one transaction per table, and so does the state.
//
// Who rolls back: a detached timer process (`dockwall rollback-timer FILE`, its own
// session, no terminal), started before anything is written. It survives the apply
// being killed (SIGKILL included) and the SSH session dropping. Not systemd-run: it
// needs no systemd (containers, the test sandboxes), and a timer unit would have to
// carry the same program anyway. What it does not survive is a reboot, which loses
// dockwall's rules in any case; a timer that is gone (killed, crashed) is noticed by
// the next dockwall that opens the state, which then rolls back itself.
//
// Files beside the state (all 0600, written atomically, never through a symlink):
// `<state>.confirm` (pending: the deadline, the previous state's bytes, the snapshot of
// each table), `<state>.confirm.timer` (the timer's pid once it has read the pending
// file), `<state>.confirm.result` (how it ended: confirmed or rolled back). Whoever
// first renames the pending file away (confirm, or the timer at the deadline) decides.
import {Buffer} from 'node:buffer'
import {randomUUID} from 'node:crypto'
import {constants} from 'node:fs'
import {lstat, open, rename, unlink} from 'node:fs/promises'
import {resolve} from 'node:path'
import process from 'node:process'
import {setTimeout as sleep} from 'node:timers/promises'

import writeFileAtomic from 'write-file-atomic'

import {rollbackInput, snapshotForPlan, snapshotOfRuleset, type TableSnapshot} from '../apply/rollback.js'
import {AbortError} from '../errors.js'
import {FIREWALL_TABLES} from '../model/resources.js'
import {IptablesRunner} from '../netfilter/index.js'
import type {Plan} from '../plan/types.js'
import type {ActualModel} from '../refresh/types.js'
import {
  acquireLock,
  decodeState,
  encodeState,
  formatDuration,
  readState,
  restoreStateBytes,
  writeState,
  type Lock,
  type State,
} from '../state/index.js'
import {errnoCode} from '../util/errno.js'
import {confirmPaths} from './confirm-paths.js'
import {spawnDetached, type NetnsTarget} from '../util/exec.js'
import {processAlive, processStart} from '../util/process.js'
import * as z from '../util/zod.js'

/** The window when --confirm-within is on by default (SSH session known, the plan changes its path). */
export const DEFAULT_CONFIRM_MS = 120_000
/** How long apply waits for the timer to report that it runs before applying nothing. */
const TIMER_START_MS = 20_000
const POLL_MS = 200
/** How long the rollback waits for the state lock (an apply still running past its deadline). */
const ROLLBACK_LOCK_MS = 600_000

const targetSchema = z.union([
  z.object({kind: z.literal('current')}),
  z.object({kind: z.literal('path'), path: z.string()}),
  z.object({kind: z.literal('pid'), pid: z.number().check(z.int(), z.positive())}),
])

const tableSchema = z.object({
  namespace: z.string().check(z.regex(/^(host|container\.[A-Za-z0-9_.-]+)$/)),
  family: z.enum(['ipv4', 'ipv6']),
  backend: z.enum(['nft', 'legacy']),
  table: z.enum(FIREWALL_TABLES as unknown as ['filter', 'nat', 'raw']),
  chains: z.array(z.object({name: z.string().check(z.regex(/^DOCKWALL-[A-Z0-9_-]+$/)), rules: z.array(z.string())})),
  jumps: z.array(z.object({from: z.string().check(z.regex(/^[A-Za-z0-9_.-]+$/)), spec: z.string()})),
  target: targetSchema,
})

const pendingSchema = z.object({
  version: z.literal(1),
  id: z.string().check(z.minLength(1)),
  statePath: z.string().check(z.minLength(1)),
  createdAt: z.string(),
  windowMs: z.number().check(z.int(), z.positive()),
  /** False until the apply has seen the timer running; the deadline counts only once armed. */
  armed: z.boolean(),
  deadline: z.number(),
  applyPid: z.number().check(z.int()),
  applyStart: z.optional(z.string()),
  previousState: z.nullable(z.string()),
  tables: z.array(tableSchema),
})

const timerSchema = z.object({id: z.string(), pid: z.number().check(z.int()), start: z.optional(z.string())})

const resultSchema = z.object({
  id: z.string(),
  outcome: z.enum(['confirmed', 'rolled-back']),
  at: z.string(),
  ok: z.boolean(),
  detail: z.array(z.string()),
})

export type PendingFile = z.infer<typeof pendingSchema>
export type ConfirmResult = z.infer<typeof resultSchema>
type TableRollback = TableSnapshot & {target: NetnsTarget}

// ---------------------------------------------------------------- files

/** Reads a companion file without following a symlink; null when it does not exist. */
async function readNoFollow(path: string): Promise<string | null> {
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT') return null
    if (code === 'ELOOP') throw new AbortError(`refusing to read ${path}: it is a symbolic link`)
    throw new AbortError(`cannot read ${path}: ${(error as Error).message}`)
  }
  try {
    return await fh.readFile('utf8')
  } finally {
    await fh.close()
  }
}

async function writeFile(path: string, data: unknown): Promise<void> {
  const st = await lstat(path).catch(() => undefined)
  if (st?.isSymbolicLink()) throw new AbortError(`refusing to write ${path}: it is a symbolic link`)
  await writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`, {mode: 0o600, fsync: true})
}

function parseFile<T>(schema: z.ZodMiniType<T>, text: string, path: string): T {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new AbortError(`${path} is not JSON`, `if no apply is waiting for confirmation, remove ${path}`)
  }
  const r = schema.safeParse(raw)
  if (!r.success)
    throw new AbortError(
      `${path} is not a dockwall confirmation file (${r.error.issues.map((i) => i.path.join('.')).join(', ')})`,
      `if no apply is waiting for confirmation, remove ${path}`,
    )
  return r.data
}

export async function readPending(statePath: string): Promise<PendingFile | null> {
  const path = confirmPaths(statePath).pending
  const text = await readNoFollow(path)
  return text === null ? null : parseFile(pendingSchema, text, path)
}

export async function readResult(statePath: string): Promise<ConfirmResult | null> {
  const path = confirmPaths(statePath).result
  const text = await readNoFollow(path)
  return text === null ? null : parseFile(resultSchema, text, path)
}

async function readTimer(statePath: string): Promise<z.infer<typeof timerSchema> | null> {
  const path = confirmPaths(statePath).timer
  const text = await readNoFollow(path).catch(() => null)
  if (text === null) return null
  try {
    return timerSchema.parse(JSON.parse(text))
  } catch {
    return null
  }
}

/** Takes the pending file for `who` (rename: atomic, only one taker wins). The taken file's path, or null when someone was first. */
async function claim(
  statePath: string,
  who: 'confirm' | 'rollback',
): Promise<{path: string; pending: PendingFile} | null> {
  const {pending} = confirmPaths(statePath)
  const taken = `${pending}.${who}-${process.pid}`
  try {
    const st = await lstat(pending)
    if (st.isSymbolicLink()) throw new AbortError(`refusing to use ${pending}: it is a symbolic link`)
    await rename(pending, taken)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null
    throw error
  }
  const text = await readNoFollow(taken)
  if (text === null) return null
  return {path: taken, pending: parseFile(pendingSchema, text, taken)}
}

function timeOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
}

// ---------------------------------------------------------------- arming (apply)

export interface ArmOptions {
  windowMs: number
  /** The program and arguments that start `dockwall rollback-timer` (the pending file is appended). */
  timerCommand: readonly string[]
  statePath: string
  host: NetnsTarget
  plan: Plan
  actual: ActualModel
  /** How long to wait for the timer to report that it runs (default 20 s). */
  timerStartMs?: number
}

/** A rollback armed before an apply: extend() after the apply, then wait for its outcome. */
export interface ArmedConfirmation {
  id: string
  statePath: string
  windowMs: number
  /** Current deadline (epoch ms). */
  deadline: number
  timerPid: number
  /** Moves the deadline to now + the window (the apply is done: the window counts from here). */
  extend(): Promise<void>
}

function tablesFor(opts: ArmOptions): TableRollback[] {
  const out: TableRollback[] = []
  for (const snap of snapshotForPlan(opts.plan, opts.actual)) {
    if (snap.namespace === 'host') {
      out.push({...snap, target: opts.host})
      continue
    }
    const pid = opts.actual.namespaces.find((n) => n.key === snap.namespace)?.container?.pid
    if (pid) out.push({...snap, target: {kind: 'pid', pid}})
  }
  return out
}

/**
 * Writes the pending file and starts the timer, before anything is applied; refuses
 * (applying nothing) when the timer does not report that it runs.
 */
export async function armRollback(opts: ArmOptions): Promise<ArmedConfirmation> {
  const paths = confirmPaths(opts.statePath)
  if (await readPending(opts.statePath))
    throw new AbortError(
      `an earlier apply still waits for confirmation (${paths.pending})`,
      'confirm it with `dockwall confirm`, or wait for its rollback',
    )
  const previous = await readNoFollow(resolve(opts.statePath))
  const id = randomUUID()
  const pending: PendingFile = {
    version: 1,
    id,
    statePath: resolve(opts.statePath),
    createdAt: new Date().toISOString(),
    windowMs: opts.windowMs,
    armed: false,
    deadline: Date.now() + opts.windowMs,
    applyPid: process.pid,
    ...(processStart(process.pid) ? {applyStart: processStart(process.pid)} : {}),
    previousState: previous,
    tables: tablesFor(opts),
  }
  await unlink(paths.timer).catch(() => {})
  await writeFile(paths.pending, pending)
  const [file, ...args] = opts.timerCommand
  let pid: number
  try {
    pid = spawnDetached(file!, [...args, paths.pending])
  } catch (error) {
    await unlink(paths.pending).catch(() => {})
    throw error
  }
  const until = Date.now() + (opts.timerStartMs ?? TIMER_START_MS)
  for (;;) {
    const timer = await readTimer(opts.statePath)
    if (timer?.id === id) break
    if (Date.now() > until || !processAlive(pid)) {
      await unlink(paths.pending).catch(() => {})
      if (processAlive(pid)) process.kill(pid, 'SIGKILL')
      throw new AbortError(
        'the rollback timer of --confirm-within did not start: nothing was applied',
        'run again, or apply with --confirm-within off if you accept no automatic rollback',
      )
    }
    await sleep(POLL_MS)
  }
  // The timer runs: from now on, the window counts.
  const deadline = Date.now() + opts.windowMs
  await writeFile(paths.pending, {...pending, armed: true, deadline})
  const armed: ArmedConfirmation = {
    id,
    statePath: opts.statePath,
    windowMs: opts.windowMs,
    deadline,
    timerPid: pid,
    async extend() {
      const current = await readPending(opts.statePath)
      if (current?.id !== id) return
      armed.deadline = Date.now() + opts.windowMs
      await writeFile(paths.pending, {...current, deadline: armed.deadline})
    },
  }
  return armed
}

// ---------------------------------------------------------------- the timer

/** The body of `dockwall rollback-timer FILE`: wait for the deadline, then roll back unless confirmed. */
export async function runTimer(pendingPath: string): Promise<ConfirmResult | null> {
  if (!pendingPath.endsWith('.confirm')) throw new AbortError(`${pendingPath} is not a confirmation file`)
  const statePath = pendingPath.slice(0, -'.confirm'.length)
  const first = await readPending(statePath)
  if (!first) return null
  const paths = confirmPaths(statePath)
  const start = processStart(process.pid)
  await writeFile(paths.timer, {id: first.id, pid: process.pid, ...(start ? {start} : {})})
  for (;;) {
    const p = await readPending(statePath)
    // Gone (confirmed), or replaced by a later apply's: nothing left to do here. A confirm
    // that came before this timer wrote its file could not remove it: the timer does.
    if (!p || p.id !== first.id) {
      if ((await readTimer(statePath))?.pid === process.pid) await unlink(paths.timer).catch(() => {})
      return null
    }
    if (!p.armed) {
      // The apply has not seen us yet; if it is gone, it applied nothing.
      if (!processAlive(p.applyPid, p.applyStart)) {
        const dropped = await claim(statePath, 'rollback')
        if (dropped) await unlink(dropped.path).catch(() => {})
        await unlink(paths.timer).catch(() => {})
        return null
      }
      await sleep(POLL_MS)
      continue
    }
    const left = p.deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(POLL_MS * 5, left))
  }
  const claimed = await claim(statePath, 'rollback')
  if (!claimed || claimed.pending.id !== first.id) return null
  return rollBack(claimed)
}

const FIREWALL_TYPES = new Set(['rule', 'port_forward', 'masquerade', 'firewall', 'chain'])

/** Rolls back a claimed pending file: each table, then the state; writes the result and removes the file. */
async function rollBack(claimed: {path: string; pending: PendingFile}): Promise<ConfirmResult> {
  const p = claimed.pending
  const detail: string[] = []
  let ok = true
  try {
    const lock = await acquireLock(p.statePath, {
      timeoutMs: ROLLBACK_LOCK_MS,
      operation: 'rollback of an unconfirmed apply',
      warn: (m) => detail.push(m),
    })
    try {
      for (const t of p.tables) {
        const where = `${t.namespace} ${t.family === 'ipv6' ? 'ip6tables' : 'iptables'}-${t.backend} ${t.table}`
        if (t.target.kind === 'pid' && !processAlive(t.target.pid)) {
          detail.push(`${where}: skipped, the container's process is gone (a new one starts without dockwall's rules)`)
          continue
        }
        try {
          const runner = new IptablesRunner({netns: t.target, backend: t.backend, family: t.family})
          const now = snapshotOfRuleset(await runner.save([t.table]), t.table)
          const input = rollbackInput(t.table, now, t)
          if (input === null) {
            detail.push(`${where}: unchanged`)
            continue
          }
          await runner.restore(input, {noflush: true})
          detail.push(`${where}: restored`)
        } catch (error) {
          ok = false
          detail.push(`${where}: NOT restored (${(error as Error).message.split('\n')[0]})`)
        }
      }
      detail.push(await restoreState(p, lock))
    } finally {
      await lock.release()
    }
  } catch (error) {
    ok = false
    detail.push(`rollback failed: ${(error as Error).message.split('\n')[0]}`)
  }
  const result: ConfirmResult = {id: p.id, outcome: 'rolled-back', at: new Date().toISOString(), ok, detail}
  await writeFile(confirmPaths(p.statePath).result, result)
  await unlink(claimed.path).catch(() => {})
  await unlink(confirmPaths(p.statePath).timer).catch(() => {})
  return result
}

/**
 * The state as it was, for what the rollback restored: the firewall resources of the
 * previous state, and the current record of the Docker side (networks, attachments and
 * routes are not rolled back, so the state keeps telling the truth about them). When
 * that is the previous state, its exact bytes are put back.
 */
async function restoreState(p: PendingFile, lock: Lock): Promise<string> {
  const previous: State | null = p.previousState === null ? null : decodeState(p.previousState, p.statePath)
  const current = await readState(p.statePath)
  const keep = (current?.resources ?? []).filter((r) => !FIREWALL_TYPES.has(r.type))
  const back = (previous?.resources ?? []).filter((r) => FIREWALL_TYPES.has(r.type))
  const merged = [...back, ...keep]
  const same = (a: State['resources'], b: State['resources']): boolean =>
    encodeState({...(previous ?? current)!, resources: a}) === encodeState({...(previous ?? current)!, resources: b})
  if (previous === null && merged.length === 0) {
    await restoreStateBytes(p.statePath, null, {lock})
    return 'state: removed (there was none before)'
  }
  if (previous !== null && same(merged, previous.resources)) {
    await restoreStateBytes(p.statePath, Buffer.from(p.previousState!, 'utf8'), {lock})
    return `state: restored as it was (serial ${previous.serial})`
  }
  const base = current ?? previous!
  const written = await writeState(p.statePath, {...base, resources: merged}, current, {lock})
  return `state: firewall resources as before the apply, Docker resources as they are (serial ${written.serial})`
}

// ---------------------------------------------------------------- confirm

export type ConfirmOutcome =
  {kind: 'confirmed'; pending: PendingFile} | {kind: 'none'} | {kind: 'too-late'; result: ConfirmResult | null}

/** `dockwall confirm` (and the keypress): keeps the pending apply, if the timer has not taken it yet. */
export async function confirmPending(statePath: string, by: string): Promise<ConfirmOutcome> {
  const claimed = await claim(statePath, 'confirm')
  if (!claimed) {
    // The timer may have taken it a moment ago: its result says.
    const timer = await readTimer(statePath)
    if (timer) for (let i = 0; i < 50 && (await readResult(statePath))?.id !== timer.id; i++) await sleep(POLL_MS)
    const result = await readResult(statePath)
    // A confirmed result is an earlier confirm's: nothing is waiting now.
    if (result?.outcome === 'confirmed') return {kind: 'none'}
    return timer || result?.outcome === 'rolled-back' ? {kind: 'too-late', result} : {kind: 'none'}
  }
  const result: ConfirmResult = {
    id: claimed.pending.id,
    outcome: 'confirmed',
    at: new Date().toISOString(),
    ok: true,
    detail: [`confirmed by ${by}`],
  }
  await writeFile(confirmPaths(statePath).result, result)
  await unlink(claimed.path).catch(() => {})
  // The timer sees the pending file gone at its next look and exits; its file goes now.
  await unlink(confirmPaths(statePath).timer).catch(() => {})
  return {kind: 'confirmed', pending: claimed.pending}
}

/** Waits until the armed apply is confirmed or rolled back (the result file with its id), or `signal` aborts. */
export async function waitForOutcome(armed: ArmedConfirmation, signal?: AbortSignal): Promise<ConfirmResult | null> {
  for (;;) {
    const r = await readResult(armed.statePath)
    if (r?.id === armed.id) return r
    if (signal?.aborted) return null
    // The timer is gone and the deadline long past: nobody will write the result; the next dockwall settles it.
    const pending = await readPending(armed.statePath)
    if (pending?.id === armed.id && pending.deadline + 30_000 < Date.now() && !processAlive(armed.timerPid)) return null
    await sleep(POLL_MS, undefined, signal ? {signal} : {}).catch(() => {})
  }
}

// ---------------------------------------------------------------- at session open

/**
 * Before a command takes the state lock: an apply waiting for confirmation blocks
 * changes (plan and the like only hear about it); one whose timer is gone is rolled
 * back now, since nobody confirmed it in time.
 */
export async function settlePending(statePath: string, changes: boolean, warn: (m: string) => void): Promise<void> {
  const pending = await readPending(statePath)
  if (!pending) return
  const timer = await readTimer(statePath)
  const timerAlive = timer?.id === pending.id && processAlive(timer.pid, timer.start)
  if (!pending.armed && !timerAlive && !processAlive(pending.applyPid, pending.applyStart)) {
    // An apply that died before its timer ran applied nothing: the file is all that is left.
    const dropped = await claim(statePath, 'rollback')
    if (dropped) await unlink(dropped.path).catch(() => {})
    return
  }
  const expired = pending.armed && pending.deadline < Date.now()
  if (timerAlive || !expired) {
    const when = `${timeOf(pending.deadline)} (in ${formatDuration(Math.max(0, pending.deadline - Date.now()))})`
    if (!changes) {
      warn(`an apply waits for confirmation: it rolls back at ${when} unless \`dockwall confirm\` keeps it`)
      return
    }
    throw new AbortError(
      `an apply made at ${pending.createdAt} waits for confirmation until ${when}`,
      'keep it with `dockwall confirm` (from a new SSH session), or wait for its rollback',
    )
  }
  const claimed = await claim(statePath, 'rollback')
  if (!claimed) return
  const result = await rollBack(claimed)
  warn(
    `rolled back the apply made at ${pending.createdAt}: not confirmed by ${timeOf(pending.deadline)} and its timer was gone\n${result.detail.map((d) => `  ${d}`).join('\n')}`,
  )
}

export function describeDeadline(armed: ArmedConfirmation): string {
  return `${timeOf(armed.deadline)} (in ${formatDuration(Math.max(0, Math.round((armed.deadline - Date.now()) / 1000) * 1000))})`
}
