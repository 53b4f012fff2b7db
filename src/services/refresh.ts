// The first step of the pipeline: what Docker and iptables hold now. Every command that
// reads the host comes through here (plan, apply, destroy, import, show --actual, watch),
// so refresh is asked one way.
import type {DockerReader} from '../docker/client.js'
import type {DockerLists} from '../docker/read.js'
import type {PriorState} from '../model/resources.js'
import type {BackendSetting, DesiredModel} from '../model/types.js'
import type {NamespaceSaves} from '../refresh/namespace.js'
import {refresh, type RefreshResult} from '../refresh/refresh.js'
import type {NetnsTarget} from '../util/exec.js'

/** What a refresh reads with and for: a session has all of it; show and import --all make one without a lock. */
export interface RefreshScope {
  /** Only read: the small reader (src/docker/client.ts). */
  docker: DockerReader
  host: NetnsTarget
  backend: BackendSetting
  /** The configuration, when there is one: it says which container namespaces matter. */
  model: DesiredModel | null
  /** The state: namespaces dockwall wrote to before are read too. */
  state: PriorState | null
  /** The host's saves a session started early, for its first refresh (Session.takeHostSaves). */
  takeHostSaves?: (host: NetnsTarget, backend: BackendSetting) => Promise<NamespaceSaves> | undefined
  /** Docker's list calls a session started early, likewise (Session.takeDockerLists). */
  takeDockerLists?: () => Promise<DockerLists> | undefined
}

export function refreshSession(
  scope: RefreshScope,
  opts: {allContainers?: boolean; inspectAll?: boolean} = {},
): Promise<RefreshResult> {
  const hostSaves = scope.takeHostSaves?.(scope.host, scope.backend)
  const dockerLists = scope.takeDockerLists?.()
  return refresh({
    docker: scope.docker,
    host: scope.host,
    backend: scope.backend,
    model: scope.model,
    prior: scope.state,
    ...(hostSaves ? {hostSaves} : {}),
    ...(dockerLists ? {dockerLists} : {}),
    ...(opts.allContainers ? {allContainers: true} : {}),
    ...(opts.inspectAll ? {inspectAll: true} : {}),
  })
}
