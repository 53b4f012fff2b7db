// Small immutable edits on a State, for apply (save after every step) and `state rm`.
// Each returns a new State with resources still sorted by address; none of them
// touches the serial, which only writeState sets.
import {randomUUID} from 'node:crypto'

import {compareAddresses, sortResources} from './format.js'
import {STATE_VERSION} from './types.js'
import type {State, StateResource} from './types.js'

/** A state that was never written: serial 0, a fresh lineage. */
export function newState(dockwallVersion: string): State {
  return {version: STATE_VERSION, serial: 0, lineage: randomUUID(), dockwallVersion, resources: []}
}

export function getResource(state: State, address: string): StateResource | undefined {
  return state.resources.find((r) => r.address === address)
}

/** Adds the resource, or replaces the one with the same address. */
export function putResource(state: State, resource: StateResource): State {
  return {
    ...state,
    resources: sortResources([...state.resources.filter((r) => r.address !== resource.address), resource]),
  }
}

export function removeResources(state: State, addresses: Iterable<string>): State {
  const gone = new Set(addresses)
  return {...state, resources: state.resources.filter((r) => !gone.has(r.address))}
}

/**
 * The addresses `pattern` names: the resource with exactly that address, or else
 * every resource inside it (`container.lb` names `container.lb.network.frontend`
 * and `container.lb.route["10.8.0.0/24"]`), as Terraform does for modules.
 */
export function matchAddresses(state: State, pattern: string): string[] {
  if (state.resources.some((r) => r.address === pattern)) return [pattern]
  return state.resources
    .map((r) => r.address)
    .filter((a) => a.startsWith(`${pattern}.`) || a.startsWith(`${pattern}[`))
    .sort(compareAddresses)
}

/** Addresses close to a mistyped one, for "did you mean" hints. */
export function similarAddresses(state: State, wanted: string, max = 3): string[] {
  const scored = state.resources
    .map((r) => ({address: r.address, d: editDistance(wanted, r.address)}))
    .filter((x) => x.d <= Math.max(2, Math.floor(wanted.length / 4)) || x.address.includes(wanted))
    .sort((x, y) => x.d - y.d || compareAddresses(x.address, y.address))
  return scored.slice(0, max).map((x) => x.address)
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length] ?? 0
}
