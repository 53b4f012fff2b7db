// `apply --refresh-only`: accept what changed outside dockwall into the state, as
// Terraform's apply -refresh-only does. The plan (mode refresh-only) carries the state's
// resources as refresh found them (src/plan/refreshed.ts); recording them is one atomic
// state write under the session's lock. Nothing on the host is touched: there is no
// Docker call and no iptables transaction on this path.
import type {StateResource} from '../model/resources.js'
import type {Plan} from '../plan/types.js'
import {encodeState, newState, writeState, type State} from '../state/index.js'
import {DOCKWALL_VERSION} from '../version.js'
import type {Session} from './session.js'

function refreshedState(session: Pick<Session, 'state'>, plan: Plan): State {
  const base = session.state ?? {...newState(DOCKWALL_VERSION), lineage: plan.lineage}
  return {...base, dockwallVersion: DOCKWALL_VERSION, resources: [...(plan.refreshed ?? [])] as StateResource[]}
}

/** Whether recording a refresh-only plan would change what the state says (apart from the writer's version). */
export function refreshChangesState(session: Pick<Session, 'state'>, plan: Plan): boolean {
  const state = session.state
  if (!state) return false
  const next = refreshedState(session, plan)
  return encodeState({...state, dockwallVersion: DOCKWALL_VERSION}) !== encodeState(next)
}

/** Writes the refreshed resources as the state (atomically, 0600, with the usual backup); returns the state written. */
export async function recordRefreshed(session: Session, plan: Plan): Promise<State> {
  if (plan.mode !== 'refresh-only' || !plan.refreshed) throw new Error('recordRefreshed: not a refresh-only plan')
  const written = await writeState(session.statePath, refreshedState(session, plan), session.state, {
    lock: session.lock,
  })
  session.state = written
  return written
}
