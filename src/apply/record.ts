// What the state records after a change succeeded. Used by apply after every
// step (so a crash mid-apply leaves an accurate record) and by tests.
import {sameStateResource, type StateResource} from '../model/resources.js'
import type {Change} from '../plan/types.js'
import type {DockerResult} from './host-ops.js'

/** Updates `resources` (by address) for a change that completed; `done` is what its Docker operation returned. */
export function recordChange(resources: Map<string, StateResource>, change: Change, done?: DockerResult): void {
  if (change.type === 'chain') return // owned chains are found by name; the state need not list them
  const origin = done?.origin ?? change.origin
  switch (change.action) {
    case 'create':
    case 'update':
    case 'replace':
    case 'no-op': {
      const r: StateResource = {
        address: change.address,
        type: change.type,
        ids: {...change.ids, ...done?.ids},
        ...(origin ? {origin} : {}),
        attributes: change.after ?? {},
      }
      if (change.lines) r.lines = change.lines.after
      // The record already there when nothing changed: the state remembers its text, so a save
      // of 20,000 rules re-encodes only those that changed.
      const prev = resources.get(change.address)
      resources.set(change.address, prev !== undefined && sameStateResource(prev, r) ? prev : r)
      return
    }
    case 'delete':
      resources.delete(change.address)
      return
    case 'deferred': {
      // Its lines were removed until it can be rendered again; keep the entry so the resource stays known.
      const prev = resources.get(change.address)
      if (prev && change.lines && change.lines.before.length > 0) resources.set(change.address, {...prev, lines: []})
      return
    }
  }
}
