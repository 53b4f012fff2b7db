// Resolution: the desired model's symbolic references (container.X, network.X)
// bound to what Docker reports. The planner and the firewall renderer read this,
// never the raw Docker snapshot, so the rules for "what addresses does a
// container have" live in one place.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import {parseCidr, type Cidr} from '../config/ipv4.js'
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

export interface BridgeSubnet {
  cidr: Cidr
  /**
   * Replies to its containers are dropped in raw too: the network does not masquerade
   * (`com.docker.network.bridge.enable_ip_masquerade=false`), so a reply from another
   * bridge arrives addressed to the container itself, not to the gateway. Verified on
   * Docker 28.5: a reply opening is then needed, and without masquerading it is not.
   */
  replyDrops: boolean
}

const MASQUERADE_OPTION = 'com.docker.network.bridge.enable_ip_masquerade'
const GATEWAY_MODE_OPTION = 'com.docker.network.bridge.gateway_mode_ipv4'

/** From a network's driver options: a nat-mode network without masquerading (routed and nat-unprotected ones have no raw drops). */
function dropsReplies(options: Record<string, string>, internal: boolean): boolean {
  const mode = options[GATEWAY_MODE_OPTION] ?? 'nat'
  return !internal && mode === 'nat' && options[MASQUERADE_OPTION] === 'false'
}

export interface Resolution {
  containers: Map<string, ResolvedContainer>
  networks: Map<string, ResolvedNetwork>
  /**
   * The engine drops direct access to containers in raw PREROUTING (Docker 28+): forward
   * accepts towards containers get raw openings. Set by the planner from the engine and the raw table.
   */
  rawOpenings: boolean
  /** IPv4 subnets of every Docker bridge network and of the configured ones: where those raw drops can apply. */
  bridges: BridgeSubnet[]
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
  // The configured networks count too: one created by this apply is a bridge the moment it exists.
  const bridges = [
    ...networks
      .filter((n) => n.driver === 'bridge')
      .flatMap((n) => n.subnets.map((s) => ({subnet: s.subnet, replyDrops: dropsReplies(n.options, n.internal)}))),
    ...model.networks.map((n) => ({subnet: n.subnet, replyDrops: dropsReplies(n.options, n.internal)})),
  ].reduce<BridgeSubnet[]>((acc, b) => {
    // One entry per subnet: a configured network and Docker's copy of it are the same bridge.
    const cidr = parseCidr(b.subnet)
    if (!cidr) return acc
    const same = acc.find((x) => x.cidr.ip === cidr.ip && x.cidr.prefix === cidr.prefix)
    if (same) same.replyDrops ||= b.replyDrops
    else acc.push({cidr, replyDrops: b.replyDrops})
    return acc
  }, [])
  const out: Resolution = {
    containers: new Map(),
    networks: new Map(),
    unreadable: new Map(),
    rawOpenings: false,
    bridges,
  }
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
