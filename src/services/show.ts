// `dockwall show`: the state, or what is on the host now, read without a lock (show
// changes nothing, so it must not wait for, or block, a running apply).
import {ConfigNotFoundError} from '../errors.js'
import type {BackendSetting, DesiredModel} from '../model/types.js'
import type {RefreshResult} from '../refresh/refresh.js'
import {readState, resolveStatePath, resourceOnDisk, type DiskResource, type State} from '../state/index.js'
import {refreshSession} from './refresh.js'
import {connectHost, loadModel, type SessionSettings} from './session.js'

export interface ShowContext {
  /** The configuration, when there is one: it names the state file and the container namespaces that matter. */
  model: DesiredModel | null
  statePath: string
  state: State | null
}

/** Loads the configuration if there is one (a broken one is reported through `warn`, then left out), and the state. */
export async function readShowContext(
  settings: SessionSettings,
  warn: (message: string) => void,
): Promise<ShowContext> {
  let model: DesiredModel | null = null
  try {
    model = (await loadModel(settings)).model
  } catch (err) {
    // No configuration at all is fine here; a broken one is worth saying, since it narrows what is read.
    if (!(err instanceof ConfigNotFoundError)) {
      const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)
      warn(`configuration not loaded (${message}): showing the host and the containers in the state only`)
    }
  }
  const statePath = resolveStatePath(settings.state, model?.settings.statePath)
  return {model, statePath, state: await readState(statePath)}
}

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
