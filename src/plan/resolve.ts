// Resolution: the desired model's symbolic references (container.X, network.X)
// bound to what Docker reports. The planner and the firewall renderer read this,
// never the raw Docker snapshot, so the rules for "what addresses does a
// container have" live in one place.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import {parseCidr, type Cidr} from '../config/ipv4.js'
import {parseCidr6, type Cidr6} from '../config/ipv6.js'
import type {ContainerSpec, DesiredModel, Family, NetworkSpec} from '../model/types.js'

export interface ResolvedContainer {
  spec: ContainerSpec
  docker?: DockerContainer
  /**
   * Every address the container has or will have, per family: declared static IPs plus
   * whatever Docker reports. A rule about "traffic from X" must match all of them,
   * because a container on two networks sends from the address of the interface its route uses.
   */
  addresses: Record<Family, string[]>
  running: boolean
  pid?: number
}

export interface ResolvedNetwork {
  spec: NetworkSpec
  docker?: DockerNetwork
}

/** A network's subnet of one family: the declared one, else (IPv6 only) the one Docker chose; undefined without. */
export function subnetOf(n: ResolvedNetwork, family: Family): string | undefined {
  if (family === 'ipv4') return n.spec.subnet
  if (!n.spec.ipv6) return undefined
  return n.spec.ipv6.subnet ?? n.docker?.subnets6[0]?.subnet
}

/** A Docker bridge's subnet of one family. */
export type BridgeSubnet = ({family: 'ipv4'; cidr: Cidr} | {family: 'ipv6'; cidr: Cidr6}) & {
  /**
   * Replies to its containers are dropped in raw too: the network does not masquerade
   * (`com.docker.network.bridge.enable_ip_masquerade=false`), so a reply from another
   * bridge arrives addressed to the container itself, not to the gateway. Verified on
   * Docker 28.5: a reply opening is then needed, and without masquerading it is not.
   */
  replyDrops: boolean
}

const MASQUERADE_OPTION = 'com.docker.network.bridge.enable_ip_masquerade'
const GATEWAY_MODE_OPTION: Record<Family, string> = {
  ipv4: 'com.docker.network.bridge.gateway_mode_ipv4',
  ipv6: 'com.docker.network.bridge.gateway_mode_ipv6',
}

/** From a network's driver options: a nat-mode network without masquerading (routed and nat-unprotected ones have no raw drops). */
function dropsReplies(options: Record<string, string>, internal: boolean, family: Family): boolean {
  const mode = options[GATEWAY_MODE_OPTION[family]] ?? 'nat'
  return !internal && mode === 'nat' && options[MASQUERADE_OPTION] === 'false'
}

/** The bridge subnets of both families, one entry per subnet (a configured network and Docker's copy of it are one bridge). */
function bridgeSubnets(model: DesiredModel, networks: readonly DockerNetwork[]): BridgeSubnet[] {
  const found: Array<{family: Family; subnet: string; replyDrops: boolean}> = []
  for (const n of networks) {
    if (n.driver !== 'bridge') continue
    for (const s of n.subnets)
      found.push({family: 'ipv4', subnet: s.subnet, replyDrops: dropsReplies(n.options, n.internal, 'ipv4')})
    for (const s of n.subnets6)
      found.push({family: 'ipv6', subnet: s.subnet, replyDrops: dropsReplies(n.options, n.internal, 'ipv6')})
  }
  // The configured networks count too: one created by this apply is a bridge the moment it exists.
  for (const n of model.networks) {
    found.push({family: 'ipv4', subnet: n.subnet, replyDrops: dropsReplies(n.options, n.internal, 'ipv4')})
    if (n.ipv6?.subnet)
      found.push({family: 'ipv6', subnet: n.ipv6.subnet, replyDrops: dropsReplies(n.options, n.internal, 'ipv6')})
  }
  const out: BridgeSubnet[] = []
  for (const b of found) {
    const parsed: BridgeSubnet | undefined =
      b.family === 'ipv4'
        ? ((c) => (c ? {family: 'ipv4' as const, cidr: c, replyDrops: b.replyDrops} : undefined))(parseCidr(b.subnet))
        : ((c) => (c ? {family: 'ipv6' as const, cidr: c, replyDrops: b.replyDrops} : undefined))(parseCidr6(b.subnet))
    if (!parsed) continue
    const same = out.find(
      (x) => x.family === parsed.family && x.cidr.ip === parsed.cidr.ip && x.cidr.prefix === parsed.cidr.prefix,
    )
    if (same) same.replyDrops ||= parsed.replyDrops
    else out.push(parsed)
  }
  return out
}

export interface Resolution {
  containers: Map<string, ResolvedContainer>
  networks: Map<string, ResolvedNetwork>
  /**
   * The engine drops direct access to containers in raw PREROUTING (Docker 28+): forward
   * accepts towards containers get raw openings. Set by the planner from the engine and the raw table.
   */
  rawOpenings: boolean
  /** Subnets of every Docker bridge network and of the configured ones, both families: where those raw drops can apply. */
  bridges: BridgeSubnet[]
  /** Container namespaces refresh could not read (the container died under it), by key, with the reason. */
  unreadable: Map<string, string>
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

/** IPv4 addresses in numeric order, each once. */
export function sortIps(ips: Iterable<string>): string[] {
  return [...new Set(ips)].sort((a, b) => ipKey(a) - ipKey(b))
}

/** The 128-bit value of a hexadecimal IPv6 address (`fd00::5`); written here so the UI, which reaches this module, loads no address library. */
function ip6Key(ip: string): bigint {
  const [head = '', tail] = ip.split('::')
  const words = (t: string): string[] => (t === '' ? [] : t.split(':'))
  const h = words(head)
  const t = tail === undefined ? [] : words(tail)
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  return all.reduce((acc, w) => (acc << 16n) | BigInt(`0x${w || '0'}`), 0n)
}

/**
 * IPv6 addresses in numeric order, each once. Both sources spell them in RFC 5952 (Docker
 * prints Go's net.IP form, the configuration keeps the canonical form), so equal addresses
 * are equal strings.
 */
export function sortIps6(ips: Iterable<string>): string[] {
  return [...new Set(ips)].sort((a, b) => {
    const d = ip6Key(a) - ip6Key(b)
    return d < 0n ? -1 : d > 0n ? 1 : 0
  })
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
  const out: Resolution = {
    containers: new Map(),
    networks: new Map(),
    unreadable: new Map(),
    rawOpenings: false,
    bridges: bridgeSubnets(model, networks),
  }
  for (const spec of model.networks) {
    const docker = netByName.get(spec.name)
    out.networks.set(spec.label, docker ? {spec, docker} : {spec})
  }
  for (const spec of model.containers) {
    const docker = byName.get(spec.name)
    const kept = (docker?.endpoints ?? []).filter((e) => !leaving(spec.name, e.networkName))
    const v4 = [
      ...spec.attachments.flatMap((a) => (a.ipv4Address ? [a.ipv4Address] : [])),
      ...kept.flatMap((e) => (e.ipv4Address ? [e.ipv4Address] : [])),
    ]
    const v6 = [
      ...spec.attachments.flatMap((a) => (a.ipv6Address ? [a.ipv6Address] : [])),
      ...kept.flatMap((e) => (e.ipv6Address ? [e.ipv6Address] : [])),
    ]
    const rc: ResolvedContainer = {
      spec,
      addresses: {ipv4: sortIps(v4), ipv6: sortIps6(v6)},
      running: docker?.status === 'running',
    }
    if (docker) rc.docker = docker
    if (docker?.pid) rc.pid = docker.pid
    out.containers.set(spec.label, rc)
  }
  return out
}
