// `dockwall state mv SOURCE DESTINATION`: a resource moves to another address in the
// state, as Terraform's `state mv`, without touching the host. Only the address changes:
// the record keeps its ids, attributes and lines exactly, and its lines still carry their
// old address in their `dockwall:<address>` comments on the host, so the next plan finds
// them through the record and rewrites the comments (an update in place, src/plan).
import {AbortError} from '../errors.js'
import {parseResourceAddress} from '../model/addresses.js'
import type {ResourceType} from '../model/resources.js'
import {acquireLock, type Lock} from './lock.js'
import {backupPathFor} from './paths.js'
import {getResource, putResource, removeResources} from './resources.js'
import {requireState, unknownAddresses} from './service.js'
import {writeState} from './store.js'

export interface MoveOptions {
  statePath: string
  source: string
  destination: string
  /** Hold the state lock while moving (Terraform's -lock; false is for recovery only). */
  lock: boolean
  lockTimeoutMs: number
  /** For the lock, e.g. `dockwall state mv`. */
  operation: string
  /** Recorded in the state as the writer's version. */
  dockwallVersion: string
  dryRun?: boolean
  warn?: (message: string) => void
}

export interface MoveResult {
  source: string
  destination: string
  type: ResourceType
  /** The serial after the write (unchanged for a dry run). */
  serial: number
  /** Where the state before this command is kept; null for a dry run. */
  backup: string | null
  dryRun: boolean
}

/**
 * Moves one resource to a new address, under the lock. Refused, with nothing written, when
 * SOURCE is not in the state, DESTINATION is not a resource address, names another type, or
 * is taken already.
 */
export async function moveInState(opts: MoveOptions): Promise<MoveResult> {
  const dst = parseResourceAddress(opts.destination)
  if (!dst.ok) throw new AbortError(`cannot move to ${opts.destination}: ${dst.error}`)
  if (opts.source === opts.destination)
    throw new AbortError(`${opts.source} is already at that address: nothing to move`)
  let lock: Lock | undefined
  if (opts.lock)
    lock = await acquireLock(opts.statePath, {
      timeoutMs: opts.lockTimeoutMs,
      operation: opts.operation,
      warn: opts.warn,
    })
  else
    opts.warn?.(
      '--lock=false: the state is written without the lock; another dockwall running now could lose this change',
    )
  try {
    const state = await requireState(opts.statePath)
    const resource = getResource(state, opts.source)
    if (!resource) throw unknownAddresses(state, [opts.source], opts.statePath)
    if (resource.type !== dst.type)
      throw new AbortError(
        `cannot move ${opts.source} (a ${resource.type}) to ${opts.destination} (a ${dst.type} address): a resource keeps its type`,
        `give it an address of its own type, such as ${sameTypeExample(opts.source, resource.type)}`,
      )
    if (getResource(state, opts.destination))
      throw new AbortError(
        `cannot move ${opts.source} to ${opts.destination}: ${opts.destination} is in the state already`,
        `forget it first with \`dockwall state rm ${opts.destination}\`, or choose another address`,
      )
    const base = {source: opts.source, destination: opts.destination, type: resource.type}
    if (opts.dryRun) return {...base, serial: state.serial, backup: null, dryRun: true}
    const next = putResource(removeResources({...state, dockwallVersion: opts.dockwallVersion}, [opts.source]), {
      ...resource,
      address: opts.destination,
    })
    const written = await writeState(opts.statePath, next, state, {
      ...(opts.warn ? {warn: opts.warn} : {}),
      ...(lock ? {lock} : {}),
    })
    return {...base, serial: written.serial, backup: backupPathFor(opts.statePath), dryRun: false}
  } finally {
    await lock?.release()
  }
}

function sameTypeExample(source: string, type: ResourceType): string {
  switch (type) {
    case 'attachment':
      return 'container.NAME.network.NAME'
    case 'route':
      return 'container.NAME.route["CIDR"]'
    default:
      return `${type}.NAME (from ${source})`
  }
}
