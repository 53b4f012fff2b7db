// What the `state` commands and `force-unlock` do, as plain functions of an options
// object (command → service → model): the commands parse flags and print; these
// know nothing of oclif.
import {AbortError} from '../errors.js'
import type {ResourceType} from '../model/resources.js'
import {acquireLock, forceUnlock} from './lock.js'
import type {ForceUnlockOptions, Lock, LockInfo} from './lock.js'
import {resourceOnDisk, type DiskResource} from './format.js'
import {backupPathFor, DEFAULT_STATE_FILE} from './paths.js'
import {getResource, matchAddresses, removeResources, similarAddresses} from './resources.js'
import {readState, writeState} from './store.js'
import type {State} from './types.js'

export interface StateListResult {
  state: string
  /** 0 and null when there is no state file. */
  serial: number
  lineage: string | null
  resources: {address: string; type: ResourceType}[]
}

export async function listState(opts: {statePath: string}): Promise<StateListResult> {
  const state = await readState(opts.statePath)
  return {
    state: opts.statePath,
    serial: state?.serial ?? 0,
    lineage: state?.lineage ?? null,
    resources: (state?.resources ?? []).map((r) => ({address: r.address, type: r.type})),
  }
}

/** The resource as the file holds it (its origin and import marker inside `ids`). */
export async function showResource(opts: {statePath: string; address: string}): Promise<DiskResource> {
  const state = await requireState(opts.statePath)
  const resource = getResource(state, opts.address)
  if (!resource) throw unknownAddresses(state, [opts.address], opts.statePath)
  return resourceOnDisk(resource)
}

export interface RemoveOptions {
  statePath: string
  /** Exact addresses, or prefixes naming everything inside (`container.lb`). */
  addresses: string[]
  lockTimeoutMs: number
  /** Hold the state lock while removing (Terraform's -lock; false is for recovery only). Default true. */
  lock?: boolean
  /** For the lock, e.g. `dockwall state rm`. */
  operation: string
  /** Recorded in the state as the writer's version. */
  dockwallVersion: string
  dryRun?: boolean
  warn?: (message: string) => void
}

export interface RemoveResult {
  removed: string[]
  /** The serial after the write (unchanged for a dry run). */
  serial: number
  /** Where the state before this command is kept; null for a dry run. */
  backup: string | null
  dryRun: boolean
}

/**
 * Forgets resources without touching the host, under the lock. All or nothing:
 * an address that matches nothing is an error and nothing is removed.
 */
export async function removeFromState(opts: RemoveOptions): Promise<RemoveResult> {
  let lock: Lock | undefined
  if (opts.lock === false)
    opts.warn?.(
      '--lock=false: the state is written without the lock; another dockwall running now could lose this change',
    )
  else
    lock = await acquireLock(opts.statePath, {
      timeoutMs: opts.lockTimeoutMs,
      operation: opts.operation,
      warn: opts.warn,
    })
  try {
    const state = await requireState(opts.statePath)
    const unknown = opts.addresses.filter((a) => matchAddresses(state, a).length === 0)
    if (unknown.length > 0) throw unknownAddresses(state, unknown, opts.statePath)
    const removed = [...new Set(opts.addresses.flatMap((a) => matchAddresses(state, a)))].sort()
    if (opts.dryRun) return {removed, serial: state.serial, backup: null, dryRun: true}
    const next = removeResources({...state, dockwallVersion: opts.dockwallVersion}, removed)
    const written = await writeState(opts.statePath, next, state, {warn: opts.warn, ...(lock ? {lock} : {})})
    return {removed, serial: written.serial, backup: backupPathFor(opts.statePath), dryRun: false}
  } finally {
    await lock?.release()
  }
}

export async function unlockState(opts: {
  statePath: string
  lockId: string
  force?: boolean
  confirm?: ForceUnlockOptions['confirm']
}): Promise<LockInfo> {
  return forceUnlock(opts.statePath, opts.lockId, {
    ...(opts.force ? {force: true} : {}),
    ...(opts.confirm ? {confirm: opts.confirm} : {}),
  })
}

export async function requireState(statePath: string): Promise<State> {
  const state = await readState(statePath)
  if (!state)
    throw new AbortError(
      `no state file at ${statePath}`,
      'pass --state PATH (or set DOCKWALL_STATE) if the state is elsewhere',
    )
  return state
}

export function unknownAddresses(state: State, addresses: string[], statePath: string): AbortError {
  const list = addresses.join(', ')
  const similar = addresses.length === 1 ? similarAddresses(state, addresses[0] ?? '') : []
  const hint =
    similar.length > 0
      ? `did you mean ${similar.join(' or ')}?`
      : `\`dockwall state list${statePath === DEFAULT_STATE_FILE ? '' : ` --state ${statePath}`}\` shows every address`
  return new AbortError(`no resource in the state matches ${list}`, hint)
}

/** `state show` as text: the resource's ids, attributes and iptables lines. */
export function formatResource(r: DiskResource): string {
  const out = [`# ${r.address} (${r.type})`]
  const section = (title: string, values: {[key: string]: unknown}): void => {
    const keys = Object.keys(values).sort()
    if (keys.length === 0) return
    const width = Math.max(...keys.map((k) => k.length))
    out.push(`${title}:`)
    for (const k of keys) out.push(`  ${k.padEnd(width)} = ${JSON.stringify(values[k])}`)
  }
  section('ids', r.ids)
  section('attributes', r.attributes)
  if (r.lines && r.lines.length > 0) {
    out.push('lines:')
    for (const l of r.lines) out.push(`  ${l.namespace} ${l.table} -A ${l.chain} ${l.spec}`)
  }
  return out.join('\n')
}
