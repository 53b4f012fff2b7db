// Resolution: the desired model's symbolic references (container.X, network.X)
// bound to what Docker reports. The planner and the firewall renderer read this,
// never the raw Docker snapshot, so the rules for "what addresses does a
// container have" live in one place.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import type {ContainerSpec, DesiredModel, NetworkSpec} from '../model/types.js'

export interface ResolvedContainer {
  spec: ContainerSpec
  docker?: DockerContainer
  /**
   * Every IPv4 address the container has or will have: declared static IPs plus
   * whatever Docker reports. A rule about "traffic from X" must match all of them,
   * because a container on two networks sends from the address of the interface its route uses.
   */
  ips: string[]
  running: boolean
  pid?: number
}

export interface ResolvedNetwork {
  spec: NetworkSpec
  docker?: DockerNetwork
}

export interface Resolution {
  containers: Map<string, ResolvedContainer>
  networks: Map<string, ResolvedNetwork>
  /** Container namespaces refresh could not read (the container died under it), by key, with the reason. */
  unreadable: Map<string, string>
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

export function sortIps(ips: Iterable<string>): string[] {
  return [...new Set(ips)].sort((a, b) => ipKey(a) - ipKey(b))
}

/**
 * Says whether a container's endpoint on a network goes away in this plan (its attachment is
 * replaced or deleted, or its network is replaced or deleted), so rules are rendered with the
 * addresses the container will have after apply, and one apply converges.
 */
export type EndpointLeaving = (containerName: string, networkName: string) => boolean

export function resolve(
  model: DesiredModel,
  containers: readonly DockerContainer[],
  networks: readonly DockerNetwork[],
  leaving: EndpointLeaving = () => false,
): Resolution {
  const byName = new Map(containers.filter((c) => c.status !== 'gone').map((c) => [c.name, c]))
  const netByName = new Map(networks.map((n) => [n.name, n]))
  const out: Resolution = {containers: new Map(), networks: new Map(), unreadable: new Map()}
  for (const spec of model.networks) {
    const docker = netByName.get(spec.name)
    out.networks.set(spec.label, docker ? {spec, docker} : {spec})
  }
  for (const spec of model.containers) {
    const docker = byName.get(spec.name)
    const declared = spec.attachments.flatMap((a) => (a.ipv4Address ? [a.ipv4Address] : []))
    const reported =
      docker?.endpoints.flatMap((e) => (e.ipv4Address && !leaving(spec.name, e.networkName) ? [e.ipv4Address] : [])) ??
      []
    const rc: ResolvedContainer = {
      spec,
      ips: sortIps([...declared, ...reported]),
      running: docker?.status === 'running',
    }
    if (docker) rc.docker = docker
    if (docker?.pid) rc.pid = docker.pid
    out.containers.set(spec.label, rc)
  }
  return out
}
