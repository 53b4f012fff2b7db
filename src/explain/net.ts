// The host's topology, prepared once per ExplainHost: each namespace's local addresses,
// routes (longest prefix, then metric) and tables; which interface of which namespace
// sits on which layer-2 segment.
import type {Ruleset} from '../netfilter/types.js'
import {
  BITS,
  contains,
  isMulticast,
  maskOf,
  parseCidr,
  parseInterfaceAddress,
  parseIp,
  type Cidr,
  type Ip,
} from './addr.js'
import {TableView} from './chains.js'
import type {AddressTypes} from './packet.js'
import type {ExplainHost, Family, NamespaceId, NamespaceInput, Proxy, Segment, SegmentMember} from './types.js'

/** A problem with the host description or the query: names what is wrong. */
export class ExplainInputError extends Error {
  override name = 'ExplainInputError'
}

/** A walk entered a namespace whose rules of a family are deferred (NamespaceInput.deferred): read them and ask again. */
export class RulesNeeded extends Error {
  override name = 'RulesNeeded'
  constructor(
    readonly namespace: NamespaceId,
    readonly family: Family,
  ) {
    super(`the ${family} rules of ${namespace} are not read yet`)
  }
}

interface RouteEntry {
  cidr: Cidr
  dev: string
  via?: Ip
  src?: Ip
  metric: number
}

export type RouteResult =
  {kind: 'local'; dev: string} | {kind: 'unicast'; dev: string; nextHop: Ip; src?: Ip} | {kind: 'none'}

interface LocalAddress {
  ip: Ip
  cidr: Cidr
  dev: string
}

const FAMILIES: readonly Family[] = ['ipv4', 'ipv6']
const LOOPBACK_V4: Cidr = {family: 'ipv4', value: 127n << 24n, mask: maskOf(8, 32), prefix: 8}

export class Netns implements AddressTypes {
  readonly id: NamespaceId
  /** Local addresses per family, in interface order. */
  private readonly locals = new Map<Family, LocalAddress[]>()
  private readonly localByValue = new Map<Family, Map<bigint, LocalAddress[]>>()
  private readonly broadcasts = new Map<bigint, string>()
  private readonly routes = new Map<Family, RouteEntry[]>()
  private readonly tables = new Map<Family, Map<string, TableView> | null>()
  private readonly deferred: Set<Family>

  constructor(
    readonly input: NamespaceInput,
    private readonly dockerBridges: ReadonlySet<string>,
    private readonly indexMinRules?: number,
  ) {
    this.deferred = new Set(input.deferred ?? [])
    this.id = input.id
    for (const f of FAMILIES) {
      this.locals.set(f, [])
      this.localByValue.set(f, new Map())
      this.routes.set(f, [])
    }
    for (const iface of input.interfaces) {
      for (const text of iface.addresses) {
        const a = parseInterfaceAddress(text)
        if (!a) throw new ExplainInputError(`namespace ${input.id}: interface ${iface.name}: bad address ${text}`)
        const local: LocalAddress = {ip: a.ip, cidr: a.cidr, dev: iface.name}
        this.locals.get(a.ip.family)!.push(local)
        const byValue = this.localByValue.get(a.ip.family)!
        byValue.set(a.ip.value, [...(byValue.get(a.ip.value) ?? []), local])
        if (a.ip.family === 'ipv4' && a.cidr.prefix !== null && a.cidr.prefix < 31)
          this.broadcasts.set(a.cidr.value | (~a.cidr.mask & 0xffffffffn), iface.name)
      }
    }
    for (const r of input.routes) {
      const cidr = parseCidr(r.destination === 'default' ? (r.family === 'ipv6' ? '::/0' : '0.0.0.0/0') : r.destination)
      if (!cidr || cidr.family !== r.family)
        throw new ExplainInputError(`namespace ${input.id}: bad ${r.family} route destination ${r.destination}`)
      const via = r.via === undefined ? undefined : parseIp(r.via)
      const src = r.src === undefined ? undefined : parseIp(r.src)
      if (via === null || src === null)
        throw new ExplainInputError(`namespace ${input.id}: route ${r.destination}: bad via or src address`)
      this.routes.get(r.family)!.push({
        cidr,
        dev: r.dev,
        ...(via ? {via} : {}),
        ...(src ? {src} : {}),
        metric: r.metric ?? 0,
      })
    }
    // Connected routes: the kernel adds one per address prefix; a dump of `ip route` has them, a hand-made description may not.
    for (const f of FAMILIES) {
      const routes = this.routes.get(f)!
      for (const l of this.locals.get(f)!) {
        if (l.cidr.prefix === BITS[f] || isLoopbackDev(l.dev)) continue
        if (!routes.some((r) => r.dev === l.dev && r.cidr.value === l.cidr.value && r.cidr.mask === l.cidr.mask))
          routes.push({cidr: l.cidr, dev: l.dev, metric: 0})
      }
      // Longest prefix first, then lowest metric.
      routes.sort((a, b) => (b.cidr.prefix ?? 0) - (a.cidr.prefix ?? 0) || a.metric - b.metric)
    }
    for (const f of FAMILIES) {
      const rs = input.rulesets[f]
      if (rs === null) this.tables.set(f, null)
      else this.tables.set(f, tableViews(input.id, f, rs, dockerBridges, indexMinRules))
    }
  }

  /** The rules of a deferred family, read now (null: they could not be read). */
  provideRules(family: Family, ruleset: Ruleset | null | undefined): void {
    this.deferred.delete(family)
    this.tables.set(
      family,
      ruleset === null ? null : tableViews(this.id, family, ruleset, this.dockerBridges, this.indexMinRules),
    )
  }

  /** null when that family's rules could not be read. */
  tablesOf(family: Family): Map<string, TableView> | null {
    if (this.deferred.has(family)) throw new RulesNeeded(this.id, family)
    const t = this.tables.get(family)
    return t === undefined ? new Map() : t
  }

  forwarding(family: Family): boolean {
    return this.input.forwarding[family]
  }

  bridgeNetfilter(family: Family): boolean {
    return this.input.bridgeNetfilter?.[family] ?? false
  }

  isLocal(ip: Ip): boolean {
    if (ip.family === 'ipv4' && contains(LOOPBACK_V4, ip)) return true
    if (ip.family === 'ipv6' && ip.value === 1n) return true
    return this.localByValue.get(ip.family)!.has(ip.value)
  }

  /** The interface holding a local address (`lo` for loopback addresses). */
  localDev(ip: Ip): string | undefined {
    if (ip.family === 'ipv4' && contains(LOOPBACK_V4, ip)) return 'lo'
    if (ip.family === 'ipv6' && ip.value === 1n) return 'lo'
    return this.localByValue.get(ip.family)!.get(ip.value)?.[0]?.dev
  }

  hasAddressOn(dev: string, ip: Ip): boolean {
    return (this.localByValue.get(ip.family)!.get(ip.value) ?? []).some((l) => l.dev === dev)
  }

  addressesOn(dev: string, family: Family): LocalAddress[] {
    return this.locals.get(family)!.filter((l) => l.dev === dev)
  }

  route(dst: Ip): RouteResult {
    if (this.isLocal(dst)) return {kind: 'local', dev: this.localDev(dst) ?? 'lo'}
    for (const r of this.routes.get(dst.family)!) {
      if (!contains(r.cidr, dst)) continue
      return {kind: 'unicast', dev: r.dev, nextHop: r.via ?? dst, ...(r.src ? {src: r.src} : {})}
    }
    return {kind: 'none'}
  }

  /** The source address the kernel picks for a packet out of `dev` toward `nextHop`. */
  sourceFor(dev: string, nextHop: Ip): Ip | undefined {
    const on = this.addressesOn(dev, nextHop.family)
    const same = on.find((l) => contains(l.cidr, nextHop))
    if (same) return same.ip
    if (on[0]) return on[0].ip
    return this.locals.get(nextHop.family)!.find((l) => !isLoopbackDev(l.dev))?.ip
  }

  /** A non-loopback address of the family, if the namespace has one. */
  anyAddress(family: Family): Ip | undefined {
    return this.locals.get(family)!.find((l) => !isLoopbackDev(l.dev))?.ip
  }

  addrType(family: Family, value: bigint, dev: string | null): string {
    const ip: Ip = {family, value}
    if (family === 'ipv4' && (value === 0n || value === 0xffffffffn)) return 'BROADCAST'
    if (isMulticast(ip)) return 'MULTICAST'
    if (this.isLocal(ip)) {
      if (dev === null) return 'LOCAL'
      const owner = this.localDev(ip)
      return owner === dev ? 'LOCAL' : 'UNICAST'
    }
    if (family === 'ipv4') {
      const b = this.broadcasts.get(value)
      if (b !== undefined && (dev === null || dev === b)) return 'BROADCAST'
      return 'UNICAST'
    }
    return this.route(ip).kind === 'none' ? 'UNREACHABLE' : 'UNICAST'
  }
}

function isLoopbackDev(dev: string): boolean {
  return dev === 'lo'
}

function tableViews(
  ns: NamespaceId,
  family: Family,
  ruleset: Ruleset | undefined,
  dockerBridges: ReadonlySet<string>,
  indexMinRules: number | undefined,
): Map<string, TableView> {
  const out = new Map<string, TableView>()
  for (const t of ruleset?.tables ?? []) out.set(t.name, new TableView(ns, family, t, dockerBridges, indexMinRules))
  return out
}

export interface SegmentEnd {
  segment: Segment
  /** The interface is the segment's bridge device, or one of its members. */
  role: 'bridge' | 'member'
  member?: SegmentMember
}

export class Network {
  readonly namespaces = new Map<NamespaceId, Netns>()
  private readonly ends = new Map<string, SegmentEnd>()
  readonly proxies: readonly Proxy[]

  constructor(
    readonly host: ExplainHost,
    opts: {indexMinRules?: number} = {},
  ) {
    const bridges = new Set(host.dockerBridges ?? [])
    for (const n of host.namespaces) {
      if (this.namespaces.has(n.id)) throw new ExplainInputError(`namespace ${n.id} is described twice`)
      this.namespaces.set(n.id, new Netns(n, bridges, opts.indexMinRules))
    }
    for (const s of host.segments) {
      if (s.bridge) this.addEnd(s.bridge.namespace, s.bridge.name, {segment: s, role: 'bridge'})
      for (const m of s.members) this.addEnd(m.namespace, m.interface, {segment: s, role: 'member', member: m})
    }
    this.proxies = host.proxies ?? []
  }

  private addEnd(ns: NamespaceId, iface: string, end: SegmentEnd): void {
    if (!this.namespaces.has(ns)) throw new ExplainInputError(`a segment names namespace ${ns}, which is not described`)
    const key = `${ns}\u0000${iface}`
    if (this.ends.has(key)) throw new ExplainInputError(`interface ${iface} of ${ns} is on two segments`)
    this.ends.set(key, end)
  }

  ns(id: NamespaceId): Netns {
    const n = this.namespaces.get(id)
    if (!n) throw new ExplainInputError(`no namespace ${id} in the host description`)
    return n
  }

  end(ns: NamespaceId, iface: string): SegmentEnd | undefined {
    return this.ends.get(`${ns}\u0000${iface}`)
  }

  /** The namespace (other than `except`) whose interfaces hold `ip`, for "which namespace is this address". */
  owners(ip: Ip): NamespaceId[] {
    const out: NamespaceId[] = []
    for (const n of this.namespaces.values()) if (n.isLocal(ip) && !isLoopbackAddress(ip)) out.push(n.id)
    return out
  }
}

function isLoopbackAddress(ip: Ip): boolean {
  return ip.family === 'ipv4' ? contains(LOOPBACK_V4, ip) : ip.value === 1n
}
