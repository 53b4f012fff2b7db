// The topology part of an ExplainHost from iproute2's JSON (`ip -j -d link`, `ip -j addr`,
// `ip -j -4 route`, `ip -j -6 route`) read in each namespace. Pure functions: whoever
// runs the commands (refresh, a test) hands their output here.
import type {Family, Interface, NamespaceId, Route, Segment, SegmentMember, Socket} from './types.js'

interface IpAddrInfo {
  family?: string
  local?: string
  prefixlen?: number
  scope?: string
  /** IPv6 duplicate address detection not done (the link is down: a bridge with no port) or failed. */
  tentative?: boolean
  dadfailed?: boolean
}

interface IpAddrEntry {
  ifname?: string
  addr_info?: IpAddrInfo[]
}

/** `ip -j addr` → interfaces with their addresses (IPv6 link-local and tentative ones left out: the model does not route the first, the kernel does not use the second). */
export function interfacesFromIpAddr(json: string): Interface[] {
  const entries = JSON.parse(json || '[]') as IpAddrEntry[]
  return entries
    .filter((e) => typeof e.ifname === 'string')
    .map((e) => ({
      name: e.ifname as string,
      addresses: (e.addr_info ?? [])
        .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.local && a.prefixlen !== undefined)
        .filter((a) => !(a.family === 'inet6' && a.scope === 'link'))
        // A tentative IPv6 address is not the host's yet: the kernel neither delivers to it nor
        // sends from it (Docker 20.10's gateway on a bridge without containers stays so).
        .filter((a) => !(a.family === 'inet6' && (a.tentative || a.dadfailed)))
        .map((a) => `${a.local}/${a.prefixlen}`),
    }))
}

interface IpRouteEntry {
  type?: string
  dst?: string
  gateway?: string
  dev?: string
  prefsrc?: string
  metric?: number
  table?: string
}

/** `ip -j route` (one family) → routes of the main table; unreachable, blackhole and the like are left out. */
export function routesFromIpRoute(json: string, family: Family): Route[] {
  const entries = JSON.parse(json || '[]') as IpRouteEntry[]
  const out: Route[] = []
  for (const e of entries) {
    if (e.type !== undefined && e.type !== 'unicast') continue
    if (!e.dst || !e.dev) continue
    if (family === 'ipv6' && e.dst.startsWith('fe80:')) continue
    const r: Route = {family, destination: e.dst === 'default' ? 'default' : e.dst, dev: e.dev}
    if (e.gateway) r.via = e.gateway
    if (e.prefsrc) r.src = e.prefsrc
    if (e.metric !== undefined) r.metric = e.metric
    out.push(r)
  }
  return out
}

interface IpLinkEntry {
  ifindex?: number
  ifname?: string
  /** Peer name, when the veth peer is in the same namespace. */
  link?: string
  link_index?: number
  link_netnsid?: number
  master?: string
  linkinfo?: {info_kind?: string}
}

/** What segmentsFromLinks needs of one interface. */
export interface LinkInfo {
  ifindex: number
  name: string
  kind?: string
  master?: string
  /** veth peer: its name when in the same namespace, else its ifindex in the namespace `peerNetnsId` names. */
  peerName?: string
  peerIndex?: number
  peerNetnsId?: number
}

/** `ip -j -d link` → the facts about each interface that decide which segment it is on. */
export function linksFromIpLink(json: string): LinkInfo[] {
  const entries = JSON.parse(json || '[]') as IpLinkEntry[]
  const out: LinkInfo[] = []
  for (const e of entries) {
    if (e.ifindex === undefined || !e.ifname) continue
    const l: LinkInfo = {ifindex: e.ifindex, name: e.ifname}
    if (e.linkinfo?.info_kind) l.kind = e.linkinfo.info_kind
    if (e.master) l.master = e.master
    if (e.link) l.peerName = e.link
    if (e.link_index !== undefined) l.peerIndex = e.link_index
    if (e.link_netnsid !== undefined) l.peerNetnsId = e.link_netnsid
    out.push(l)
  }
  return out
}

/**
 * Joins namespaces' links into segments: each bridge with the far ends of its veth ports,
 * and veth pairs outside bridges. A veth peer in another namespace is found by ifindex:
 * the end whose ifindex is this end's peer index and whose peer index is this end's
 * ifindex (ifindexes are per namespace, so both directions must agree).
 */
export function segmentsFromLinks(namespaces: ReadonlyArray<{id: NamespaceId; links: readonly LinkInfo[]}>): Segment[] {
  type End = {ns: NamespaceId; link: LinkInfo}
  const ends: End[] = namespaces.flatMap((n) => n.links.map((link) => ({ns: n.id, link})))
  const peerOf = (e: End): End | undefined => {
    if (e.link.kind !== undefined && e.link.kind !== 'veth') return undefined
    if (e.link.peerName !== undefined && e.link.peerIndex === undefined)
      return ends.find((x) => x.ns === e.ns && x.link.name === e.link.peerName)
    if (e.link.peerIndex === undefined) return undefined
    const same = e.link.peerNetnsId === undefined
    const candidates = ends.filter(
      (x) =>
        x !== e &&
        x.link.ifindex === e.link.peerIndex &&
        (same ? x.ns === e.ns : x.ns !== e.ns) &&
        (x.link.peerIndex === undefined || x.link.peerIndex === e.link.ifindex),
    )
    return candidates.length === 1 ? candidates[0] : undefined
  }
  const segments: Segment[] = []
  const used = new Set<End>()
  for (const n of namespaces) {
    for (const br of n.links.filter((l) => l.kind === 'bridge')) {
      const members: SegmentMember[] = []
      for (const e of ends.filter((x) => x.ns === n.id && x.link.master === br.name)) {
        used.add(e)
        const peer = peerOf(e)
        if (!peer) continue
        used.add(peer)
        members.push({namespace: peer.ns, interface: peer.link.name, port: e.link.name})
      }
      segments.push({bridge: {namespace: n.id, name: br.name}, members})
    }
  }
  for (const e of ends) {
    if (used.has(e) || e.link.master !== undefined) continue
    const peer = peerOf(e)
    if (!peer || used.has(peer) || peer.link.master !== undefined) continue
    used.add(e)
    used.add(peer)
    segments.push({
      members: [
        {namespace: e.ns, interface: e.link.name},
        {namespace: peer.ns, interface: peer.link.name},
      ],
    })
  }
  return segments
}

/** `1\n` from /proc/sys → true. */
export function sysctlFlag(text: string): boolean {
  return text.trim() === '1'
}

/**
 * `ss -H -l -n -t -u` → listening sockets. `*` (a dual-stack IPv6 socket) listens on both
 * families; `[::]` only on IPv6; an `%iface` suffix is dropped (the model does not bind to devices).
 */
export function socketsFromSs(text: string): Socket[] {
  const out: Socket[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 5) continue
    const proto = f[0]
    if (proto !== 'tcp' && proto !== 'udp') continue
    const local = f[4]!
    const colon = local.lastIndexOf(':')
    const port = Number(local.slice(colon + 1))
    if (colon < 0 || !Number.isInteger(port)) continue
    let addr = local.slice(0, colon).replace(/%.*$/, '')
    if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1)
    if (addr === '*') {
      out.push({proto, address: '0.0.0.0', port}, {proto, address: '::', port})
      continue
    }
    out.push({proto, address: addr, port})
  }
  return out
}
