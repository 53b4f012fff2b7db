// `dockwall show`: the state, or what is on the host now, read without a lock (show
// changes nothing, so it must not wait for, or block, a running apply).
import type {BackendSetting} from '../model/types.js'
import type {RefreshResult} from '../refresh/refresh.js'
import {resourceOnDisk, type DiskResource, type State} from '../state/index.js'
import {refreshSession} from './refresh.js'
import {connectHost, type SessionSettings} from './session.js'
import type {ShowContext} from './show-context.js'

export {readShowContext, type ShowContext} from './show-context.js'

/** What Docker and iptables hold now, for `show --actual` (its --backend defaults to auto, not to the configuration's). */
export async function readActual(
  ctx: ShowContext,
  settings: Pick<SessionSettings, 'netns' | 'dockerHost'>,
  backend: BackendSetting,
): Promise<RefreshResult> {
  const {docker, host} = await connectHost(settings)
  return refreshSession({docker, host, backend, model: ctx.model, state: ctx.state})
}

/** Version of the `show --json` view of the state (docs/PLAN-JSON.md); minor bumps only add fields. */
export const STATE_JSON_FORMAT_VERSION = '1.0'

/** `show --json`: the state as read, its resources as the file spells them (origin and import marker inside ids). */
export function stateJsonView(
  state: State | null,
):
  | ({format_version: typeof STATE_JSON_FORMAT_VERSION} & Omit<State, 'resources'> & {resources: DiskResource[]})
  | {format_version: typeof STATE_JSON_FORMAT_VERSION; resources: []} {
  return state
    ? {format_version: STATE_JSON_FORMAT_VERSION, ...state, resources: state.resources.map(resourceOnDisk)}
    : {format_version: STATE_JSON_FORMAT_VERSION, resources: []}
}
