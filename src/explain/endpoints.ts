// From what a person writes (`container.web`, `network.front`, `host`, `external:eth0`,
// an IP or CIDR, a bare name) to the evaluator's questions. A container on several
// networks, or a network as a source, gives several questions ("flows"): the answer
// holds for all of them or says which differ. Pure: the names and addresses come from
// a Directory (Docker's view, the configuration's labels) and the host description.
import {contains, formatIp, parseCidr, parseInterfaceAddress, parseIp, type Cidr, type Ip} from './addr.js'
import {ExplainInputError} from './net.js'
import type {Endpoint, ExplainHost, Family, NamespaceId, NamespaceInput} from './types.js'
import {compareText} from '../util/text.js'

/** What was asked for, parsed but not yet looked up. */
export type EndpointSpec =
  | {kind: 'host'}
  | {kind: 'external'; interface: string}
  | {kind: 'container'; name: string}
  | {kind: 'network'; name: string}
  /** An IP (`10.0.0.5`) or a CIDR (`192.168.1.0/24`: its first address stands for it). */
  | {kind: 'address'; text: string}
  /** A bare name: a container's, else a network's. */
  | {kind: 'name'; name: string}

export interface DirectoryContainer {
  /** Docker's name; its namespace is `container.<name>`. */
  name: string
  /** Configuration labels naming it (`container.<label>`). */
  labels: string[]
  running: boolean
  endpoints: Array<{network: string; ipv4?: string; ipv6?: string}>
}

export interface DirectoryNetwork {
  name: string
  labels: string[]
  /** IPv4 and IPv6 subnets. */
  subnets: string[]
  /** Gateway addresses (the host's addresses on the bridge). */
  gateways: string[]
}

/** Docker's names for what the host description holds. */
export interface Directory {
  containers: DirectoryContainer[]
  networks: DirectoryNetwork[]
}

export interface ResolvedFlow {
  from: Endpoint
  /** For people: `container.web (10.31.1.10)`. */
  fromLabel: string
  to: string
  toLabel: string
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** Parses FROM or TO as written on the command line (`which` names it in errors). */
export function parseEndpoint(text: string, which: 'FROM' | 'TO'): EndpointSpec {
  const t = text.trim()
  if (t === 'host') return {kind: 'host'}
  if (t.startsWith('external:')) {
    const iface = t.slice('external:'.length)
    if (!/^[A-Za-z0-9_.:@+-]{1,15}$/.test(iface))
      throw new ExplainInputError(`${which} ${JSON.stringify(text)}: external:IF needs a host interface name`)
    return {kind: 'external', interface: iface}
  }
  if (/^(container|network)\.$/.test(t))
    throw new ExplainInputError(`${which} ${JSON.stringify(text)}: the name is missing`)
  const ref = /^(container|network)\.(.+)$/.exec(t)
  if (ref) {
    const name = ref[2]!
    if (!NAME.test(name)) throw new ExplainInputError(`${which} ${JSON.stringify(text)}: ${name} is not a valid name`)
    return {kind: ref[1] as 'container' | 'network', name}
  }
  if (parseIp(t) || (t.includes('/') && parseCidr(t))) return {kind: 'address', text: t}
  if (NAME.test(t) && !/^[\d.]+$/.test(t)) return {kind: 'name', name: t}
  throw new ExplainInputError(
    `${which} ${JSON.stringify(text)} is not container.NAME, network.NAME, host, external:IF, an IP address, a CIDR or a name`,
  )
}

export interface ResolveOptions {
  /** --in-interface: the host interface a client's packets arrive on. */
  inInterface?: string
}

function ipOfInterface(text: string): Ip | undefined {
  return parseInterfaceAddress(text)?.ip
}

/** Every non-loopback interface address of a namespace, with its subnet. */
function addressesOf(ns: NamespaceInput): Array<{dev: string; ip: Ip; cidr: Cidr}> {
  const out: Array<{dev: string; ip: Ip; cidr: Cidr}> = []
  for (const i of ns.interfaces) {
    if (i.name === 'lo') continue
    for (const a of i.addresses) {
      const p = parseInterfaceAddress(a)
      if (p && !isLinkLocal(p.ip)) out.push({dev: i.name, ...p})
    }
  }
  return out
}

function isLinkLocal(ip: Ip): boolean {
  return ip.family === 'ipv6' ? ip.value >> 118n === 0x3fan : ip.value >> 16n === 0xa9fen
}

export class EndpointResolver {
  private readonly host: NamespaceInput

  constructor(
    private readonly explainHost: ExplainHost,
    private readonly dir: Directory,
  ) {
    const h = explainHost.namespaces.find((n) => n.id === 'host')
    if (!h) throw new ExplainInputError('the host description has no host namespace')
    this.host = h
  }

  /** The flows from FROM to TO; `family` is IPv6 only when an address asked for is. */
  resolve(from: EndpointSpec, to: EndpointSpec, opts: ResolveOptions = {}): ResolvedFlow[] {
    const family: Family =
      (from.kind === 'address' && addressFamily(from.text) === 'ipv6') ||
      (to.kind === 'address' && addressFamily(to.text) === 'ipv6')
        ? 'ipv6'
        : 'ipv4'
    const sources = this.sources(from, family, opts)
    const flows: ResolvedFlow[] = []
    for (const s of sources)
      for (const d of this.destinations(to, s, family))
        flows.push({from: s.endpoint, fromLabel: s.label, to: d.address, toLabel: d.label})
    if (flows.length === 0) throw new ExplainInputError(`nothing to ask: ${describe(from)} to ${describe(to)}`)
    return flows
  }

  // ------------------------------------------------------------ lookups

  private container(name: string, which: string): DirectoryContainer {
    const c =
      this.dir.containers.find((x) => x.labels.includes(name)) ?? this.dir.containers.find((x) => x.name === name)
    if (!c) {
      const known = this.dir.containers.map((x) => x.name).sort()
      throw new ExplainInputError(
        `${which}: no container ${name}${known.length ? ` (containers: ${known.join(', ')})` : ' (Docker reports none)'}`,
      )
    }
    if (!c.running)
      throw new ExplainInputError(
        `${which}: container ${c.name} is not running: it has no network namespace to explain`,
      )
    if (!this.explainHost.namespaces.some((n) => n.id === nsOf(c)))
      throw new ExplainInputError(`${which}: the namespace of container ${c.name} could not be read`)
    return c
  }

  private network(name: string, which: string): DirectoryNetwork {
    const n = this.dir.networks.find((x) => x.labels.includes(name)) ?? this.dir.networks.find((x) => x.name === name)
    if (!n) {
      const known = this.dir.networks.map((x) => x.name).sort()
      throw new ExplainInputError(`${which}: no network ${name} (networks: ${known.join(', ') || 'none'})`)
    }
    return n
  }

  private bareName(name: string, which: string): EndpointSpec {
    const c = this.dir.containers.some((x) => x.labels.includes(name) || x.name === name)
    const n = this.dir.networks.some((x) => x.labels.includes(name) || x.name === name)
    if (c && n)
      throw new ExplainInputError(
        `${which}: ${name} names a container and a network: write container.${name} or network.${name}`,
      )
    if (c) return {kind: 'container', name}
    if (n) return {kind: 'network', name}
    throw new ExplainInputError(`${which}: no container or network is named ${name}`)
  }

  /** The namespace holding `ip` (not as loopback), if any. */
  private ownerOf(ip: Ip): NamespaceInput | undefined {
    return this.explainHost.namespaces.find((n) =>
      addressesOf(n).some((a) => a.ip.value === ip.value && a.ip.family === ip.family),
    )
  }

  /** Whether an address lies on a network the host knows: a Docker subnet, an address's subnet, a route other than the default. */
  private known(ip: Ip): boolean {
    if (this.ownerOf(ip)) return true
    for (const n of this.dir.networks)
      for (const s of n.subnets) {
        const c = parseCidr(s)
        if (c && contains(c, ip)) return true
      }
    for (const a of addressesOf(this.host)) if (contains(a.cidr, ip)) return true
    for (const r of this.host.routes) {
      if (r.destination === 'default' || r.family !== ip.family) continue
      const c = parseCidr(r.destination, r.family)
      if (c && c.prefix !== 0 && contains(c, ip)) return true
    }
    return false
  }

  private knownNetworksText(family: Family): string {
    const subnets = this.dir.networks.flatMap((n) =>
      n.subnets.filter((s) => addressFamily(s) === family).map((s) => `${n.name} ${s}`),
    )
    const docker = new Set(this.dir.networks.flatMap((n) => n.subnets))
    const routes = this.host.routes
      .filter((r) => r.family === family && r.destination !== 'default' && !docker.has(r.destination))
      .map((r) => `${r.destination} on ${r.dev}`)
    return [...subnets, ...routes].join(', ') || 'none'
  }

  /** An address standing for a client beyond `iface`: the last one of its subnet that no namespace holds. */
  private clientOn(iface: string, family: Family, which: string): Ip {
    const i = this.host.interfaces.find((x) => x.name === iface)
    if (!i) throw new ExplainInputError(`${which}: the host has no interface ${iface}`)
    for (const a of i.addresses) {
      const p = parseInterfaceAddress(a)
      if (!p || p.ip.family !== family || isLinkLocal(p.ip) || p.cidr.prefix === null) continue
      const bits = family === 'ipv4' ? 32 : 128
      if (p.cidr.prefix >= bits - 1) continue
      const last = p.cidr.value | (~p.cidr.mask & ((1n << BigInt(bits)) - 1n))
      for (let v = last - (family === 'ipv4' ? 1n : 0n); v > p.cidr.value; v--) {
        const ip: Ip = {family, value: v}
        if (!this.ownerOf(ip)) return ip
      }
    }
    throw new ExplainInputError(
      `${which}: interface ${iface} has no ${family} subnet to stand a client in: give the client's address instead, with --in-interface ${iface}`,
    )
  }

  // ------------------------------------------------------------ sources

  private sources(
    spec: EndpointSpec,
    family: Family,
    opts: ResolveOptions,
  ): Array<{endpoint: Endpoint; label: string; container?: DirectoryContainer}> {
    const which = 'FROM'
    switch (spec.kind) {
      case 'name':
        return this.sources(this.bareName(spec.name, which), family, opts)
      case 'host':
        return [{endpoint: {kind: 'namespace', namespace: 'host'}, label: 'host'}]
      case 'container': {
        const c = this.container(spec.name, which)
        return [{endpoint: {kind: 'namespace', namespace: nsOf(c)}, label: `container.${c.name}`, container: c}]
      }
      case 'network': {
        const n = this.network(spec.name, which)
        const members = this.dir.containers
          .filter((c) => c.running && c.endpoints.some((e) => e.network === n.name) && this.hasNamespace(c))
          .sort((a, b) => compareText(a.name, b.name))
        if (members.length === 0)
          throw new ExplainInputError(`${which}: network ${n.name} has no running container to send from`)
        // Each sends as it would: from the address its route picks, which for a container on
        // several networks need not be its address on this one.
        return members.map((c) => ({
          endpoint: {kind: 'namespace', namespace: nsOf(c)},
          label: `container.${c.name} (on network.${n.name})`,
          container: c,
        }))
      }
      case 'external': {
        const iface = opts.inInterface ?? spec.interface
        const ip = this.clientOn(spec.interface, family, which)
        return [
          {
            endpoint: {kind: 'client', namespace: 'host', interface: iface, address: formatIp(ip)},
            label: `a client on ${iface} (${formatIp(ip)})`,
          },
        ]
      }
      case 'address': {
        const ip = representative(spec.text, which, (x) => this.ownerOf(x) !== undefined)
        const owner = this.ownerOf(ip)
        const shown = formatIp(ip) === spec.text ? spec.text : `${formatIp(ip)}, standing for ${spec.text}`
        if (owner && !opts.inInterface)
          return [
            {
              endpoint: {kind: 'namespace', namespace: owner.id, address: formatIp(ip)},
              label: `${owner.id} (${shown})`,
              ...this.containerOf(owner.id),
            },
          ]
        if (!opts.inInterface && !this.known(ip))
          throw new ExplainInputError(
            `${which}: ${formatIp(ip)} is on no known network (${this.knownNetworksText(ip.family)}); for a client arriving from elsewhere, name the host interface it arrives on with --in-interface IF`,
          )
        return [
          {
            endpoint: {
              kind: 'client',
              namespace: 'host',
              address: formatIp(ip),
              ...(opts.inInterface ? {interface: opts.inInterface} : {}),
            },
            label: `a client at ${shown}${opts.inInterface ? ` on ${opts.inInterface}` : ''}`,
          },
        ]
      }
    }
  }

  private hasNamespace(c: DirectoryContainer): boolean {
    return this.explainHost.namespaces.some((n) => n.id === nsOf(c))
  }

  private containerOf(id: NamespaceId): {container?: DirectoryContainer} {
    const c = this.dir.containers.find((x) => nsOf(x) === id)
    return c ? {container: c} : {}
  }

  // ------------------------------------------------------------ destinations

  private destinations(
    spec: EndpointSpec,
    source: {endpoint: Endpoint; container?: DirectoryContainer},
    family: Family,
  ): Array<{address: string; label: string}> {
    const which = 'TO'
    switch (spec.kind) {
      case 'name':
        return this.destinations(this.bareName(spec.name, which), source, family)
      case 'container': {
        const c = this.container(spec.name, which)
        const all = c.endpoints
          .flatMap((e) => {
            const a = family === 'ipv6' ? e.ipv6 : e.ipv4
            return a ? [{network: e.network, address: a}] : []
          })
          .sort((a, b) => compareText(a.network, b.network))
        if (all.length === 0) throw new ExplainInputError(`${which}: container ${c.name} has no ${family} address`)
        // From a container on a shared network, the address there (what Docker's DNS answers).
        const shared = source.container
          ? all.filter((a) => source.container!.endpoints.some((e) => e.network === a.network))
          : []
        return (shared.length > 0 ? shared : all).map((a) => ({
          address: a.address,
          label: `container.${c.name} (${a.address} on ${a.network})`,
        }))
      }
      case 'network': {
        const n = this.network(spec.name, which)
        const gw = n.gateways.find((g) => addressFamily(g) === family)
        if (!gw) throw new ExplainInputError(`${which}: network ${n.name} has no ${family} gateway`)
        return [{address: gw, label: `network.${n.name} gateway (${gw})`}]
      }
      case 'host': {
        const addr = this.hostAddressFor(source.endpoint, family)
        return [{address: addr, label: `host (${addr})`}]
      }
      case 'external': {
        const ip = this.clientOn(spec.interface, family, which)
        return [{address: formatIp(ip), label: `an address beyond ${spec.interface} (${formatIp(ip)})`}]
      }
      case 'address': {
        const ip = representative(spec.text, which, (x) => this.ownerOf(x) !== undefined)
        if (!this.known(ip))
          throw new ExplainInputError(
            `${which}: ${formatIp(ip)} is on no known network: it is no address of the host or a container, and lies in no Docker network or route of the host (${this.knownNetworksText(ip.family)})`,
          )
        const owner = this.ownerOf(ip)
        const shown = formatIp(ip) === spec.text ? spec.text : `${formatIp(ip)}, standing for ${spec.text}`
        return [{address: formatIp(ip), label: owner ? `${owner.id} (${shown})` : shown}]
      }
    }
  }

  /** The device of the host's longest matching route to `ip`. */
  private routeDev(ip: Ip | null): string | undefined {
    if (!ip) return undefined
    let best: {len: number; dev: string} | undefined
    for (const r of this.host.routes) {
      if (r.family !== ip.family) continue
      const c = parseCidr(r.destination, r.family)
      if (!c || c.prefix === null || !contains(c, ip)) continue
      if (!best || c.prefix > best.len) best = {len: c.prefix, dev: r.dev}
    }
    return best?.dev
  }

  /** The host's address a source reaches it by: a container's gateway, a client's interface address, loopback. */
  private hostAddressFor(from: Endpoint, family: Family): string {
    if (from.kind === 'namespace' && from.namespace !== 'host') {
      const ns = this.explainHost.namespaces.find((n) => n.id === from.namespace)
      const via = ns?.routes.find((r) => r.family === family && r.destination === 'default' && r.via)?.via
      if (via) return via
      const mine = ns ? addressesOf(ns).filter((a) => a.ip.family === family) : []
      for (const h of addressesOf(this.host)) if (mine.some((m) => contains(m.cidr, h.ip))) return formatIp(h.ip)
    }
    if (from.kind === 'client') {
      // The address of the interface the client arrives on: named, or the one the host routes it by.
      const client = parseIp(from.address)
      const onLink = client ? addressesOf(this.host).find((a) => contains(a.cidr, client)) : undefined
      const dev = from.interface ?? onLink?.dev ?? this.routeDev(client)
      const i = this.host.interfaces.find((x) => x.name === dev)
      const a = i?.addresses.map(ipOfInterface).find((ip) => ip && ip.family === family && !isLinkLocal(ip))
      if (a) return formatIp(a)
      const any = addressesOf(this.host).find((x) => x.ip.family === family)
      if (any) return formatIp(any.ip)
    }
    return family === 'ipv4' ? '127.0.0.1' : '::1'
  }
}

function nsOf(c: DirectoryContainer): NamespaceId {
  return `container.${c.name}`
}

function addressFamily(text: string): Family {
  return text.includes(':') ? 'ipv6' : 'ipv4'
}

/**
 * An IP as is; for a CIDR, its first address that no namespace holds (a client of that
 * range, not the host's own address in it); a /32 or /128: that address.
 */
function representative(text: string, which: string, held: (ip: Ip) => boolean): Ip {
  const ip = parseIp(text)
  if (ip) return ip
  const c = parseCidr(text)
  if (!c || c.prefix === null) throw new ExplainInputError(`${which}: ${text} is not an IP address or a CIDR`)
  const bits = c.family === 'ipv4' ? 32 : 128
  if (c.prefix >= bits - 1) return {family: c.family, value: c.value}
  const last = c.value | (~c.mask & ((1n << BigInt(bits)) - 1n))
  for (let v = c.value + 1n; v < last && v < c.value + 1024n; v++) {
    const candidate: Ip = {family: c.family, value: v}
    if (!held(candidate)) return candidate
  }
  return {family: c.family, value: c.value + 1n}
}

function describe(s: EndpointSpec): string {
  switch (s.kind) {
    case 'host':
      return 'host'
    case 'external':
      return `external:${s.interface}`
    case 'container':
    case 'network':
      return `${s.kind}.${s.name}`
    case 'address':
      return s.text
    case 'name':
      return s.name
  }
}
