// Checks across blocks, on the built specs: subnets that overlap, gateways and static
// IPs outside their subnet or on a reserved address, an IP given twice in one network,
// routes through a gateway the container cannot reach, Docker names claimed twice,
// and import targets. Each error names the other block and where it is.
import type {Diagnostic} from '../errors.js'
import type {AttachmentSpec, ContainerSpec, NetworkSpec, RouteSpec, SourcePos} from '../model/types.js'
import type {Built, Locator} from './build.js'
import {
  type Cidr,
  broadcastOf,
  cidrContains,
  cidrContainsCidr,
  cidrsOverlap,
  formatIPv4,
  networkOf,
  parseCidr,
  parseIPv4,
} from './ipv4.js'
import {
  type Cidr6,
  cidr6Contains,
  cidr6ContainsCidr,
  cidrs6Overlap,
  formatIPv6,
  networkOf6,
  parseCidr6,
  parseIPv6,
} from './ipv6.js'
import {closest} from './suggest.js'

export function crossChecks(built: Built, declared: ReadonlySet<string>, fileOrder: readonly string[]): Diagnostic[] {
  const c = new CrossChecks(built, fileOrder)
  for (const net of c.byPosition(built.networks)) c.network(net)
  for (const ctr of c.byPosition(built.containers)) c.container(ctr)
  built.imports.forEach((imp, i) => c.importTarget(imp, i, declared))
  return c.diags
}

interface Subnet4 {
  net: NetworkSpec
  cidr: Cidr
  gateway?: number
}

/** What the checks have seen so far, in source order: an error names the block that came first. */
class CrossChecks {
  readonly diags: Diagnostic[] = []
  private readonly subnets = new Map<string, Subnet4>()
  private readonly subnets6 = new Map<string, Subnet6>()
  private readonly networkNames = new Map<string, NetworkSpec>()
  private readonly containerNames = new Map<string, {address: string; at: SourcePos}>()
  /** Static addresses by `network/ip`, both families. */
  private readonly taken = new Map<string, {address: string; at: SourcePos}>()
  private readonly importedAt = new Map<string, SourcePos>()

  constructor(
    private readonly built: Built,
    private readonly fileOrder: readonly string[],
  ) {}

  readonly error = (at: SourcePos, address: string, summary: string): void => {
    this.diags.push({severity: 'error', summary, at, address})
  }

  private warn(at: SourcePos, address: string, summary: string): void {
    this.diags.push({severity: 'warning', summary, at, address})
  }

  readonly loc = (address: string): Locator =>
    this.built.locators.get(address) ?? (() => ({file: this.fileOrder[0] ?? '', line: 1, column: 1}))

  byPosition<T extends {at: SourcePos}>(xs: T[]): T[] {
    const order = this.fileOrder
    return [...xs].sort(
      (a, b) =>
        order.indexOf(a.at.file) - order.indexOf(b.at.file) || a.at.line - b.at.line || a.at.column - b.at.column,
    )
  }

  /** Networks: gateway, ip_range, overlaps, Docker names. */
  network(net: NetworkSpec): void {
    const at = this.loc(net.address)
    const c = parseCidr(net.subnet)!
    let gateway: number | undefined
    if (net.gateway !== undefined) {
      gateway = parseIPv4(net.gateway)!
      if (!cidrContains(c, gateway))
        this.error(at(['gateway']), net.address, `gateway ${net.gateway} is outside the subnet ${net.subnet}`)
      else if (gateway === networkOf(c))
        this.error(
          at(['gateway']),
          net.address,
          `gateway ${net.gateway} is the network address of ${net.subnet}; use a host address such as ${formatIPv4(networkOf(c) + 1)}`,
        )
      else if (gateway === broadcastOf(c))
        this.error(at(['gateway']), net.address, `gateway ${net.gateway} is the broadcast address of ${net.subnet}`)
    }
    if (net.ipRange !== undefined && !cidrContainsCidr(c, parseCidr(net.ipRange)!)) {
      this.error(at(['ip_range']), net.address, `ip_range ${net.ipRange} is not inside the subnet ${net.subnet}`)
    }
    for (const other of this.subnets.values()) {
      if (cidrsOverlap(c, other.cidr)) {
        this.error(
          at(['subnet']),
          net.address,
          `subnet ${net.subnet} overlaps ${other.net.address} (${other.net.subnet}, at ${where(other.net.at)})`,
        )
      }
    }
    const sameName = this.networkNames.get(net.name)
    if (sameName)
      this.error(
        at(net.name === net.label ? [] : ['name']),
        net.address,
        `Docker network name "${net.name}" is also used by ${sameName.address} (at ${where(sameName.at)})`,
      )
    else this.networkNames.set(net.name, net)
    this.subnets.set(net.label, {net, cidr: c, ...(gateway !== undefined ? {gateway} : {})})
    checkIpv6Network(net, at, this.error, this.subnets6, where)
  }

  /** Containers: Docker names, their attachments' static IPs, their routes. */
  container(ctr: ContainerSpec): void {
    const sameName = this.containerNames.get(ctr.name)
    if (sameName)
      this.error(
        this.loc(ctr.address)(ctr.name === ctr.label ? [] : ['name']),
        ctr.address,
        `Docker container name "${ctr.name}" is also used by ${sameName.address} (at ${where(sameName.at)})`,
      )
    else this.containerNames.set(ctr.name, {address: ctr.address, at: ctr.at})

    for (const att of ctr.attachments) {
      const net = this.subnets.get(att.network)
      checkIpv6Address(att, net?.net, this.subnets6.get(att.network), this.loc, this.error, this.taken, where)
      if (net) this.ipv4Address(att, net)
    }
    this.routes(ctr)
  }

  /** A static IPv4 address inside the subnet, not reserved, not taken twice. */
  private ipv4Address(att: AttachmentSpec, net: Subnet4): void {
    if (att.ipv4Address === undefined) return
    const at = this.loc(att.address)(['ipv4_address'])
    const ip = parseIPv4(att.ipv4Address)!
    const {cidr, gateway} = net
    const subnet = net.net.subnet
    if (!cidrContains(cidr, ip)) {
      this.error(
        at,
        att.address,
        `ipv4_address ${att.ipv4Address} is outside the subnet of network.${att.network} (${subnet})`,
      )
      return
    }
    if (ip === networkOf(cidr))
      this.error(at, att.address, `ipv4_address ${att.ipv4Address} is the network address of ${subnet}`)
    else if (ip === broadcastOf(cidr))
      this.error(at, att.address, `ipv4_address ${att.ipv4Address} is the broadcast address of ${subnet}`)
    else if (gateway !== undefined && ip === gateway)
      this.error(at, att.address, `ipv4_address ${att.ipv4Address} is the gateway of network.${att.network}`)
    else if (gateway === undefined && ip === networkOf(cidr) + 1) {
      this.warn(
        at,
        att.address,
        `ipv4_address ${att.ipv4Address} is the address Docker gives the gateway when none is set; set gateway on network.${att.network} or pick another address`,
      )
    }
    const key = `${att.network}/${att.ipv4Address}`
    const first = this.taken.get(key)
    if (first)
      this.error(
        at,
        att.address,
        `ipv4_address ${att.ipv4Address} is already assigned to ${first.address} (at ${where(first.at)}) on network.${att.network}`,
      )
    else this.taken.set(key, {address: att.address, at})
  }

  /** Routes: the gateway must be reachable through one of the declared attachments. */
  private routes(ctr: ContainerSpec): void {
    const attached = ctr.attachments.map((a) => this.subnets.get(a.network)).filter((n) => n !== undefined)
    if (attached.length === 0 || attached.length !== ctr.attachments.length) return
    for (const route of ctr.routes) {
      if (route.family === 'ipv6') {
        checkIpv6Route(route, ctr.address, attached, this.subnets6, this.loc, this.error)
        continue
      }
      const via = parseIPv4(route.via)!
      if (!attached.some((n) => cidrContains(n.cidr, via))) {
        this.error(
          this.loc(route.address)(['via']),
          route.address,
          `via ${route.via} is not inside a subnet ${ctr.address} is attached to (${attached.map((n) => `${n.net.address} ${n.net.subnet}`).join(', ')})`,
        )
      }
    }
  }

  /** Imports: `to` names a declared resource, once. Sets `imp.to` to the address. */
  importTarget(imp: Built['imports'][number], i: number, declared: ReadonlySet<string>): void {
    const at = this.loc(`import[${i}]`)(['to'])
    const address = importAddress(imp.raw)
    if (address === undefined) {
      this.error(
        at,
        'import',
        `to = ${JSON.stringify(imp.raw)} is not a resource address (network.NAME, container.NAME, container.NAME.network.NAME, rule.NAME, port_forward.NAME, masquerade.NAME)`,
      )
      return
    }
    if (!declared.has(address)) {
      const hint = closest(address, declared)
      this.error(at, 'import', `to = ${address}: no such resource is declared${hint ? `; did you mean ${hint}?` : ''}`)
      return
    }
    const first = this.importedAt.get(address)
    if (first) this.error(at, 'import', `${address} is imported twice; the first import is at ${where(first)}`)
    else this.importedAt.set(address, at)
    imp.to = address
  }
}

function where(at: SourcePos): string {
  return `${at.file}:${at.line}`
}

const IDENT = '[A-Za-z_][A-Za-z0-9_-]*'
const ADDRESS_RE = new RegExp(
  `^(?:(?:network|rule|port_forward|masquerade)\\.${IDENT}|container\\.${IDENT}(?:\\.network\\.${IDENT})?)$`,
)

/** `network.x`, `"${network.x}"` (the HCL form of `to = network.x`) → `network.x`; undefined if not an address. */
export function importAddress(raw: string): string | undefined {
  const m = /^\$\{\s*([^}]*?)\s*\}$/.exec(raw.trim())
  const text = m ? m[1]! : raw.trim()
  return ADDRESS_RE.test(text) ? text : undefined
}

// ---- IPv6 ---------------------------------------------------------------------------------

interface Subnet6 {
  net: NetworkSpec
  cidr: Cidr6
  gateway?: bigint
}

type Report = (at: SourcePos, address: string, summary: string) => void

/** A network's IPv6 gateway and range inside its IPv6 subnet, and no two IPv6 subnets overlapping. */
function checkIpv6Network(
  net: NetworkSpec,
  at: Locator,
  error: Report,
  subnets6: Map<string, Subnet6>,
  where: (at: SourcePos) => string,
): void {
  const v6 = net.ipv6
  if (!v6?.subnet) return
  const c = parseCidr6(v6.subnet)!
  let gateway: bigint | undefined
  if (v6.gateway !== undefined) {
    gateway = parseIPv6(v6.gateway)!
    if (!cidr6Contains(c, gateway))
      error(at(['ipv6_gateway']), net.address, `ipv6_gateway ${v6.gateway} is outside the ipv6_subnet ${v6.subnet}`)
    else if (gateway === networkOf6(c))
      error(
        at(['ipv6_gateway']),
        net.address,
        `ipv6_gateway ${v6.gateway} is the Subnet-Router anycast address of ${v6.subnet}; use a host address such as ${formatIPv6(networkOf6(c) + 1n)}`,
      )
  }
  if (v6.ipRange !== undefined && !cidr6ContainsCidr(c, parseCidr6(v6.ipRange)!))
    error(at(['ipv6_ip_range']), net.address, `ipv6_ip_range ${v6.ipRange} is not inside the ipv6_subnet ${v6.subnet}`)
  for (const other of subnets6.values()) {
    if (cidrs6Overlap(c, other.cidr))
      error(
        at(['ipv6_subnet']),
        net.address,
        `ipv6_subnet ${v6.subnet} overlaps ${other.net.address} (${other.net.ipv6?.subnet ?? ''}, at ${where(other.net.at)})`,
      )
  }
  subnets6.set(net.label, {net, cidr: c, ...(gateway !== undefined ? {gateway} : {})})
}

/** A static IPv6 address needs an IPv6 network with a subnet, inside it, not its gateway, not taken twice. */
function checkIpv6Address(
  att: AttachmentSpec,
  net: NetworkSpec | undefined,
  subnet: Subnet6 | undefined,
  loc: (address: string) => Locator,
  error: Report,
  taken: Map<string, {address: string; at: SourcePos}>,
  where: (at: SourcePos) => string,
): void {
  if (att.ipv6Address === undefined || !net) return
  const at = loc(att.address)(['ipv6_address'])
  if (!net.ipv6) {
    error(at, att.address, `ipv6_address is set, but network.${att.network} has no IPv6 (set ipv6_subnet on it)`)
    return
  }
  if (!subnet) {
    error(
      at,
      att.address,
      `ipv6_address needs ipv6_subnet on network.${att.network}: Docker gives static addresses only in a subnet the configuration sets`,
    )
    return
  }
  const ip = parseIPv6(att.ipv6Address)!
  if (!cidr6Contains(subnet.cidr, ip)) {
    error(
      at,
      att.address,
      `ipv6_address ${att.ipv6Address} is outside the ipv6_subnet of network.${att.network} (${net.ipv6.subnet ?? ''})`,
    )
    return
  }
  if (ip === networkOf6(subnet.cidr))
    error(
      at,
      att.address,
      `ipv6_address ${att.ipv6Address} is the Subnet-Router anycast address of ${net.ipv6.subnet ?? ''}`,
    )
  else if (subnet.gateway !== undefined && ip === subnet.gateway)
    error(at, att.address, `ipv6_address ${att.ipv6Address} is the IPv6 gateway of network.${att.network}`)
  const key = `${att.network}/${att.ipv6Address}`
  const first = taken.get(key)
  if (first)
    error(
      at,
      att.address,
      `ipv6_address ${att.ipv6Address} is already assigned to ${first.address} (at ${where(first.at)}) on network.${att.network}`,
    )
  else taken.set(key, {address: att.address, at})
}

/** An IPv6 route's gateway must be reachable through an attached network with IPv6. */
function checkIpv6Route(
  route: RouteSpec,
  container: string,
  attached: ReadonlyArray<{net: NetworkSpec}>,
  subnets6: ReadonlyMap<string, Subnet6>,
  loc: (address: string) => Locator,
  error: Report,
): void {
  const withV6 = attached.filter((n) => n.net.ipv6)
  const at = loc(route.address)(['via'])
  if (withV6.length === 0) {
    error(at, route.address, `via ${route.via} is IPv6, but no network ${container} is attached to has IPv6`)
    return
  }
  // A network whose IPv6 subnet Docker chooses may hold any gateway: only known subnets are checked.
  const known = withV6.map((n) => subnets6.get(n.net.label)).filter((s) => s !== undefined)
  if (known.length !== withV6.length) return
  const via = parseIPv6(route.via)!
  if (!known.some((s) => cidr6Contains(s.cidr, via)))
    error(
      at,
      route.address,
      `via ${route.via} is not inside an IPv6 subnet ${container} is attached to (${known.map((s) => `${s.net.address} ${s.net.ipv6?.subnet ?? ''}`).join(', ')})`,
    )
}
