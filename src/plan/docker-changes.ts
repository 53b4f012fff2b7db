// Planning the Docker side: networks (network-changes.ts), container attachments
// (attachment-changes.ts) and routes inside containers (route-changes.ts). What they share:
// the context they read and the partial plan each returns.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import type {Diagnostic} from '../errors.js'
import type {DesiredModel} from '../model/types.js'
import type {ActualNamespace} from '../refresh/types.js'
import type {Json, NamespaceKey, StateResource} from '../model/resources.js'
import type {ReasonCode} from './reasons.js'
import type {Resolution} from './resolve.js'
import type {Change, Drift} from './types.js'

export interface DockerPlanContext {
  /** Null in destroy mode: nothing is desired. */
  model: DesiredModel | null
  res: Resolution
  networks: readonly DockerNetwork[]
  containers: readonly DockerContainer[]
  namespaces: ReadonlyMap<NamespaceKey, ActualNamespace>
  unreadable: ReadonlyMap<NamespaceKey, string>
  prior: ReadonlyMap<string, StateResource>
  /** The prior state's lineage (null without a state): networks labelled with it are dockwall's own. */
  lineage: string | null
  /** Why a managed object the plan does not want is removed (not configured, or destroy). */
  removal: ReasonCode
  /** Addresses the operator asked to replace (`--replace`): replaced even where nothing forces it. */
  replace: ReadonlySet<string>
}

export interface PartialPlan {
  changes: Change[]
  drift: Drift[]
  errors: Diagnostic[]
}

export function emptyPlan(): PartialPlan {
  return {changes: [], drift: [], errors: []}
}

export function jsonEq(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

export function sortedRecord(r: Record<string, string>): {[k: string]: string} {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
