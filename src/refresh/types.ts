// The actual model: what refresh found on the host, in the shape the planner
// compares against. Built by src/refresh from src/docker and src/netfilter.
import type {DockerProxy} from '../docker/proxies.js'
import type {DockerSnapshot} from '../docker/types.js'
import type {Backend, Family} from '../model/types.js'
import type {FirewallTable, NamespaceKey} from '../model/resources.js'

/** The tables refresh reads in a namespace (raw: Docker 28's direct-access drops and dockwall's openings). */
export type ActualTables = Partial<Record<FirewallTable, ActualTable>>

export interface ActualRule {
  /** The rule's arguments after `-A CHAIN`, in iptables-save's normal form (comparison key). */
  spec: string
  /** Comment text when the rule has `-m comment`; `dockwall:<address>` marks dockwall's rules. */
  comment?: string
  /** `-j`/`-g` target. */
  target?: string
}

export interface ActualChain {
  name: string
  /** Built-in chains have a policy (ACCEPT, DROP); user chains have none. */
  policy: string | null
  rules: ActualRule[]
}

export interface ActualTable {
  name: FirewallTable
  /** In iptables-save order. */
  chains: ActualChain[]
}

export interface ActualRoute {
  destination: string
  family: Family
  via?: string
  dev?: string
}

export interface ActualNamespace {
  key: NamespaceKey
  /** For containers: the Docker container name and the PID used for nsenter. */
  container?: {name: string; id: string; pid: number}
  /** One backend for both families: Docker runs iptables and ip6tables of the same kind. */
  backend: Backend
  backendReason: string
  /** IPv4 (iptables-save). */
  tables: ActualTables
  /** IPv6 (ip6tables-save); absent when refresh did not read it (nothing IPv6 concerns this namespace). */
  tables6?: ActualTables
  /** Routes of the families the container's declared or recorded routes use (read only for those). */
  routes?: ActualRoute[]
  /** dockwall chains left in the backend this namespace no longer uses; the planner removes them. */
  stale?: {backend: Backend; tables: ActualTables; tables6?: ActualTables}
}

export interface ActualModel {
  docker: DockerSnapshot
  namespaces: ActualNamespace[]
  /** Namespaces that could not be read, with the reason (a container stopped mid-refresh). */
  unreadable: {key: NamespaceKey; reason: string}[]
  /** Docker's userland proxies in the namespace that plays the host (absent where not read). */
  proxies?: DockerProxy[]
}

/** The tables of one family in a namespace; undefined when that family was not read. */
export function familyTables(
  ns: {tables: ActualTables; tables6?: ActualTables} | undefined,
  family: Family,
): ActualTables | undefined {
  if (!ns) return undefined
  return family === 'ipv4' ? ns.tables : ns.tables6
}
