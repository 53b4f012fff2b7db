// Refresh: the actual model from Docker (one list call each for networks and
// containers, inspects only for the containers that matter) and from
// iptables-save in the host namespace and in each container namespace dockwall
// writes to or has written to.
import type {DockerReader} from '../docker/client.js'
import {INSPECT_CONCURRENCY, readDocker, type DockerLists} from '../docker/read.js'
import {readDockerProxies} from '../docker/proxies.js'
import type {Diagnostic} from '../errors.js'
import {addressFamily, FAMILIES, type BackendSetting, type DesiredModel, type Family} from '../model/types.js'
import type {PriorState} from '../model/resources.js'
import type {NamespaceKey} from '../model/resources.js'
import {mapLimit} from '../util/pool.js'
import type {NetnsTarget} from '../util/exec.js'
import {readNamespace, type NamespaceSaves} from './namespace.js'
import {readRoutes} from './routes.js'
import type {HostSaves} from './host-dump.js'
import type {ActualModel, ActualNamespace} from './types.js'

export interface RefreshOptions {
  docker: DockerReader
  /** The namespace that plays the host: the current one, or `--netns`. */
  host: NetnsTarget
  backend: BackendSetting
  model: DesiredModel | null
  prior: PriorState | null
  /** Also read the namespace of every running container (import --all scans them all). */
  allContainers?: boolean
  /** Inspect every container (explain needs every running container's PID), reading the namespaces as usual. */
  inspectAll?: boolean
  concurrency?: number
  /**
   * The host's saves (readNamespaceSaves of `host` with `backend`, IPv6 too), already
   * started: a session starts them as soon as it holds the lock (src/services/session.ts).
   */
  hostSaves?: Promise<NamespaceSaves>
  /** Docker's list calls, already started by the session, likewise. */
  dockerLists?: Promise<DockerLists>
}

export interface RefreshResult {
  actual: ActualModel
  /** Backend warnings and the like, for the plan's warnings. */
  diagnostics: Diagnostic[]
  /** The host's iptables-save output of both backends (IPv4, all tables), as read: the SSH guard evaluates it. */
  hostSaves: HostSaves
}

interface NamespaceNeed {
  label: string
  /** Docker container name. */
  name: string
  /** Route families to read (none: routes are not read). */
  routes: Family[]
  /** The state records ip6tables lines there: read ip6tables even if the container lost its IPv6 address. */
  ipv6Lines: boolean
}

/** Containers whose namespaces refresh must read: named by in_container or routes in the config, or holding dockwall lines/routes in the state. */
export function namespaceNeeds(model: DesiredModel | null, prior: PriorState | null): NamespaceNeed[] {
  const needs = new Map<string, NamespaceNeed>()
  const add = (label: string, name: string | undefined, routes: readonly Family[], ipv6Lines = false): void => {
    const cur = needs.get(label)
    const resolved = name ?? model?.containers.find((c) => c.label === label)?.name ?? label
    const families = FAMILIES.filter((f) => cur?.routes.includes(f) || routes.includes(f))
    needs.set(label, {
      label,
      name: cur?.name ?? resolved,
      routes: families,
      ipv6Lines: (cur?.ipv6Lines ?? false) || ipv6Lines,
    })
  }
  for (const c of model?.containers ?? [])
    if (c.routes.length > 0)
      add(
        c.label,
        c.name,
        c.routes.map((r) => r.family),
      )
  for (const r of model?.rules ?? []) if (r.inContainer) add(r.inContainer, undefined, [])
  for (const p of model?.portForwards ?? []) if (p.inContainer) add(p.inContainer, undefined, [])
  for (const m of model?.masquerades ?? []) if (m.inContainer) add(m.inContainer, undefined, [])
  for (const r of prior?.resources ?? []) {
    const containerName =
      typeof r.attributes.container === 'string'
        ? r.attributes.container
        : typeof r.attributes.container_name === 'string'
          ? r.attributes.container_name
          : undefined
    if (r.type === 'route')
      add(r.address.split('.')[1] ?? '', containerName, [addressFamily(String(r.attributes.destination ?? ''))])
    for (const l of r.lines ?? [])
      if (l.namespace !== 'host') add(l.namespace.slice('container.'.length), containerName, [], l.family === 'ipv6')
  }
  return [...needs.values()].sort((a, b) => (a.label < b.label ? -1 : 1))
}

export async function refresh(opts: RefreshOptions): Promise<RefreshResult> {
  let needs = namespaceNeeds(opts.model, opts.prior)
  const inspect =
    opts.allContainers || opts.inspectAll
      ? 'all'
      : [...new Set([...needs.map((n) => n.name), ...(opts.model?.containers.map((c) => c.name) ?? [])])]
  const [docker, hostRead] = await Promise.all([
    readDocker(opts.docker, {inspect, concurrency: INSPECT_CONCURRENCY}, opts.dockerLists),
    // The host's ip6tables are always read: input_policy closes both families, Docker's userland proxy
    // serves published ports over IPv6, and show and import list them. Cost measured with `npm run bench`.
    readNamespace(opts.host, opts.backend, {ipv6: true}, opts.hostSaves),
  ])
  if (opts.allContainers) {
    const known = new Set(needs.map((n) => n.name))
    // Keyed by Docker name: the generator turns names into labels.
    needs = [
      ...needs,
      ...docker.containers
        .filter((c) => c.status === 'running' && !known.has(c.name))
        .map((c) => ({label: c.name, name: c.name, routes: [] as Family[], ipv6Lines: false})),
    ]
  }
  const diagnostics: Diagnostic[] = []
  if (hostRead.warning) diagnostics.push({severity: 'warning', summary: `host: ${hostRead.warning}`})
  const host: ActualNamespace = {
    key: 'host',
    backend: hostRead.backend,
    backendReason: hostRead.reason,
    tables: hostRead.tables,
  }
  if (hostRead.tables6) host.tables6 = hostRead.tables6
  if (hostRead.stale) host.stale = hostRead.stale
  const namespaces: ActualNamespace[] = [host]
  const fallback = {
    backend: hostRead.backend,
    reason: `${hostRead.backend}: no rules here yet; Docker writes containers' rules with the host's iptables-${hostRead.backend}`,
  }
  const unreadable: ActualModel['unreadable'] = []
  const byName = new Map(docker.containers.map((c) => [c.name, c]))

  await mapLimit(needs, opts.concurrency ?? 8, async (need) => {
    const key: NamespaceKey = `container.${need.label}`
    const c = byName.get(need.name)
    if (!c || c.status === 'gone') return // not an error: its changes are deferred
    if (c.status !== 'running' || !c.pid) return
    const target: NetnsTarget = {kind: 'pid', pid: c.pid}
    try {
      const [read, routes] = await Promise.all([
        // ip6tables only where IPv6 concerns the container: it has an IPv6 address, or the state has IPv6 lines there.
        readNamespace(target, opts.backend, {fallback, ipv6: need.ipv6Lines || c.endpoints.some((e) => e.ipv6Address)}),
        need.routes.length > 0 ? readRoutes(target, need.routes) : Promise.resolve(undefined),
      ])
      if (read.warning) diagnostics.push({severity: 'warning', summary: `container ${need.name}: ${read.warning}`})
      const ns: ActualNamespace = {
        key,
        container: {name: c.name, id: c.id, pid: c.pid},
        backend: read.backend,
        backendReason: read.reason,
        tables: read.tables,
      }
      if (read.tables6) ns.tables6 = read.tables6
      if (routes) ns.routes = routes
      if (read.stale) ns.stale = read.stale
      namespaces.push(ns)
    } catch (err) {
      // The container stopped between inspect and nsenter: report it, do not crash.
      unreadable.push({key, reason: err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err)})
    }
  })
  namespaces.sort((a, b) => (a.key === 'host' ? -1 : b.key === 'host' ? 1 : a.key < b.key ? -1 : 1))
  unreadable.sort((a, b) => (a.key < b.key ? -1 : 1))
  // What listens on published ports (over IPv6 too): a scan of /proc, no process started.
  const proxies = readDockerProxies(opts.host)
  return {
    actual: {docker, namespaces, unreadable, proxies},
    diagnostics,
    hostSaves: {family: 'ipv4', saves: hostRead.saves},
  }
}
