// The first step of the pipeline: what Docker and iptables hold now. Every command that
// reads the host comes through here (plan, apply, destroy, import, show --actual, watch),
// so refresh is asked one way.
import type {DockerReader} from '../docker/client.js'
import type {PriorState} from '../model/resources.js'
import type {BackendSetting, DesiredModel} from '../model/types.js'
import {refresh, type RefreshResult} from '../refresh/refresh.js'
import type {NetnsTarget} from '../util/exec.js'

/** What a refresh reads with and for: a session has all of it; show and import --all make one without a lock. */
export interface RefreshScope {
  /** Only read: dockerode's connection or the small reader (a plan's session). */
  docker: DockerReader
  host: NetnsTarget
  backend: BackendSetting
  /** The configuration, when there is one: it says which container namespaces matter. */
  model: DesiredModel | null
  /** The state: namespaces dockwall wrote to before are read too. */
  state: PriorState | null
}

export function refreshSession(
  scope: RefreshScope,
  opts: {allContainers?: boolean; inspectAll?: boolean} = {},
): Promise<RefreshResult> {
  return refresh({
    docker: scope.docker,
    host: scope.host,
    backend: scope.backend,
    model: scope.model,
    prior: scope.state,
    ...(opts.allContainers ? {allContainers: true} : {}),
    ...(opts.inspectAll ? {inspectAll: true} : {}),
  })
}
