// Renders the desired model into iptables and ip6tables lines, in iptables-save's normal
// form (header matches -s -d -i -o -p first, /32 or /128 on hosts, explicit -m tcp/udp),
// each tagged with its family, the resource address in a `dockwall:<address>` comment and
// an ordering key. A resource is written in each family both its ends have addresses in
// (a rule between dual-stack containers becomes lines of both families; one naming only
// IPv4 literals stays IPv4). Pure: the Resolution supplies everything Docker-dependent.
import {
  FAMILIES,
  type Endpoint,
  type Family,
  type FirewallSpec,
  type MasqueradeSpec,
  type PortForwardSpec,
  type PortRange,
  type RuleSpec,
} from '../model/types.js'
import type {FirewallTable, NamespaceKey, RuleLine} from '../model/resources.js'
import {canonicalCidr, cidrsOverlap, parseCidr} from '../config/ipv4.js'
import {canonicalCidr6, cidrs6Overlap, parseCidr6} from '../config/ipv6.js'
import {subnetOf, type BridgeSubnet, type Resolution} from './resolve.js'

export type OwnedChain =
  'DOCKWALL-FORWARD' | 'DOCKWALL-INPUT' | 'DOCKWALL-OUTPUT' | 'DOCKWALL-PREROUTING' | 'DOCKWALL-POSTROUTING'

/**
 * dockwall's chains per table, each with the foreign chains that may jump to it (first
 * existing wins). A name may be owned in several tables (DOCKWALL-PREROUTING: nat for
 * DNATs, raw for the openings past Docker 28's direct-access drops), so ownership is
 * always asked with the table.
 */
export const OWNED_CHAINS: {readonly [T in FirewallTable]: Partial<Record<OwnedChain, {jumpFrom: readonly string[]}>>} =
  {
    filter: {
      'DOCKWALL-FORWARD': {jumpFrom: ['DOCKER-USER', 'FORWARD']},
      'DOCKWALL-INPUT': {jumpFrom: ['INPUT']},
      'DOCKWALL-OUTPUT': {jumpFrom: ['OUTPUT']},
    },
    nat: {
      'DOCKWALL-PREROUTING': {jumpFrom: ['PREROUTING']},
      'DOCKWALL-POSTROUTING': {jumpFrom: ['POSTROUTING']},
    },
    raw: {
      'DOCKWALL-PREROUTING': {jumpFrom: ['PREROUTING']},
    },
  }

/** Whether `chain` is one of dockwall's chains in `table`. */
export function isOwnedChain(table: string, chain: string): chain is OwnedChain {
  const owned = (OWNED_CHAINS as Record<string, Record<string, unknown> | undefined>)[table]
  return owned !== undefined && Object.hasOwn(owned, chain)
}

/** The foreign chains that may jump to an owned chain, first existing wins. */
export function jumpSources(table: FirewallTable, chain: OwnedChain): readonly string[] {
  const sources = OWNED_CHAINS[table][chain]?.jumpFrom
  if (!sources) throw new Error(`${chain} is not a dockwall chain in the ${table} table`)
  return sources
}

export const COMMENT_PREFIX = 'dockwall:'
export const JUMP_COMMENT = `${COMMENT_PREFIX}jump`
export const FIREWALL_ADDRESS = 'firewall'

/** A desired line plus its place in the chain: lines sort by (group, priority, address, index). */
export interface DesiredLine extends RuleLine {
  address: string
  order: {group: number; priority: number; index: number}
}

export interface RenderedResource {
  address: string
  lines: DesiredLine[]
  /** Set when the resource cannot be rendered yet (a container that does not exist); lines are then empty. */
  deferred?: string
  /** With deferred: it waits for no container, it has no address family to be written in. */
  unwritable?: true
  /** Display-only notes, e.g. a referenced container that is still missing. */
  notes: string[]
  /** Addresses of the containers and networks the rendering read. */
  dependsOn: string[]
}

// Ordering groups inside a chain.
const HEAD = 0 // firewall basics: loopback, established, SSH
const BODY = 1 // rules and port-forward accepts, by priority then address
const TAIL = 9 // policy drops

interface SpecParts {
  src?: string
  dst?: string
  inIf?: string
  outIf?: string
  proto?: string
  /** Match modules after the protocol, already formatted (`-m conntrack --ctstate DNAT`). */
  matches?: string[]
  address: string
  /** `-j` and its options. */
  target: string
}

/** Quotes a string value (a comment, a log prefix) the way iptables-save prints it. */
export function quoteComment(text: string): string {
  return /^[A-Za-z0-9_-]+$/.test(text) ? text : `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

export function commentFor(address: string): string {
  return `${COMMENT_PREFIX}${address}`
}

export function buildSpec(p: SpecParts): string {
  const out: string[] = []
  if (p.src) out.push('-s', p.src)
  if (p.dst) out.push('-d', p.dst)
  if (p.inIf) out.push('-i', p.inIf)
  if (p.outIf) out.push('-o', p.outIf)
  if (p.proto) out.push('-p', p.proto)
  for (const m of p.matches ?? []) out.push(m)
  out.push('-m', 'comment', '--comment', quoteComment(commentFor(p.address)))
  out.push(p.target)
  return out.join(' ')
}

function hostCidr(ip: string, family: Family): string {
  return ip.includes('/') ? ip : `${ip}${family === 'ipv4' ? '/32' : '/128'}`
}

/** Formats port matches: one port or range with -m tcp, several with -m multiport (15 slots per rule, a range takes two). */
export function portMatches(
  proto: 'tcp' | 'udp',
  ports: readonly PortRange[],
  direction: 'dport' | 'sport' = 'dport',
): string[] {
  const fmt = (r: PortRange): string => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)
  if (ports.length === 0) return ['']
  if (ports.length === 1) return [`-m ${proto} --${direction} ${fmt(ports[0] as PortRange)}`]
  const chunks: string[][] = []
  let current: string[] = []
  let slots = 0
  for (const r of ports) {
    const need = r.from === r.to ? 1 : 2
    if (slots + need > 15) {
      chunks.push(current)
      current = []
      slots = 0
    }
    current.push(fmt(r))
    slots += need
  }
  chunks.push(current)
  return chunks.map((c) => `-m multiport --${direction}s ${c.join(',')}`)
}

type PerFamily<T> = Record<Family, T>

interface EndpointResolution {
  /** CIDRs per family; [undefined] means "any" (of that family). */
  cidrs: PerFamily<Array<string | undefined>>
  missing: string[]
  dependsOn: string[]
}

/**
 * Binds endpoints to addresses, per family. A literal belongs to its own family; a container
 * to each family it has addresses in; a network to its IPv4 subnet and, with IPv6, its IPv6
 * one; "any" to both: a rule with "any" at one end is written in every family the other end
 * (and the namespace) has, so `from = any` with `to = container.web` follows web's families.
 */
function resolveEndpoints(endpoints: readonly Endpoint[], res: Resolution): EndpointResolution {
  const out: EndpointResolution = {cidrs: {ipv4: [], ipv6: []}, missing: [], dependsOn: []}
  if (endpoints.length === 0 || endpoints.some((e) => e.kind === 'any')) {
    for (const e of endpoints) if (e.kind === 'container') out.dependsOn.push(`container.${e.container}`)
    return {...out, cidrs: {ipv4: [undefined], ipv6: [undefined]}}
  }
  const seen = new Set<string>()
  const add = (family: Family, c: string): void => {
    if (!seen.has(c)) {
      seen.add(c)
      out.cidrs[family].push(c)
    }
  }
  for (const e of endpoints) {
    if (e.kind === 'cidr') add(e.family, e.cidr)
    else if (e.kind === 'network') {
      out.dependsOn.push(`network.${e.network}`)
      const n = res.networks.get(e.network)
      if (!n) {
        out.missing.push(`network.${e.network}`)
        continue
      }
      for (const f of FAMILIES) {
        const subnet = subnetOf(n, f)
        if (subnet) add(f, subnet)
        // IPv6 on, subnet chosen by Docker, network not made yet: its IPv6 lines come with the next plan.
        else if (f === 'ipv6' && n.spec.ipv6) out.missing.push(`network.${e.network} (its IPv6 subnet)`)
      }
    } else if (e.kind === 'container') {
      out.dependsOn.push(`container.${e.container}`)
      const c = res.containers.get(e.container)
      let any = false
      for (const f of FAMILIES)
        for (const ip of c?.addresses[f] ?? []) {
          add(f, hostCidr(ip, f))
          any = true
        }
      if (!any) out.missing.push(`container.${e.container}`)
    }
  }
  return out
}

function namespaceOf(inContainer: string | undefined): NamespaceKey {
  return inContainer ? `container.${inContainer}` : 'host'
}

/**
 * The families lines can be written in: the host has both; a container IPv4 (always, as
 * before IPv6 support) and IPv6 only when it has an IPv6 address (Docker disables IPv6 inside
 * a container that has none, so ip6tables lines there would match nothing, and reading them
 * would cost a save per container).
 */
function namespaceFamilies(inContainer: string | undefined, res: Resolution, only?: Family): Family[] {
  const c = inContainer ? res.containers.get(inContainer) : undefined
  const all: Family[] = !inContainer || (c?.addresses.ipv6.length ?? 0) > 0 ? [...FAMILIES] : ['ipv4']
  // `family = "..."` in the configuration restricts a resource to one family.
  return only ? all.filter((f) => f === only) : all
}

/** The families in which both ends have an address (or "any") and the namespace has traffic. */
function sharedFamilies(
  a: PerFamily<readonly unknown[]>,
  b: PerFamily<readonly unknown[]>,
  allowed: readonly Family[],
): Family[] {
  return FAMILIES.filter((f) => allowed.includes(f) && a[f].length > 0 && b[f].length > 0)
}

/** Why nothing could be written although every end has addresses: no family they share can be written here. */
function noSharedFamily(
  ends: ReadonlyArray<[string, PerFamily<readonly unknown[]>]>,
  spec: {inContainer?: string; family?: Family},
  allowed: readonly Family[],
): string {
  const has = (x: PerFamily<readonly unknown[]>): string =>
    FAMILIES.filter((f) => x[f].length > 0)
      .map(familyLabel)
      .join(' and ') || 'no'
  const parts = ends.map(([name, x]) => `${name} has ${has(x)} addresses`)
  if (spec.family) parts.push(`family = "${spec.family}"`)
  else if (spec.inContainer && allowed.length < FAMILIES.length)
    parts.push(`container.${spec.inContainer} has no IPv6 address`)
  return `no address family to write it in: ${parts.join(', ')}`
}

export function familyLabel(f: Family): string {
  return f === 'ipv4' ? 'IPv4' : 'IPv6'
}

/** A container namespace can be written only while the container runs. */
function namespaceProblem(inContainer: string | undefined, res: Resolution): string | undefined {
  if (!inContainer) return undefined
  const c = res.containers.get(inContainer)
  if (!c?.docker) return `container.${inContainer} does not exist yet`
  if (!c.running || !c.pid) return `container.${inContainer} is not running (${c.docker.status})`
  const unread = res.unreadable.get(`container.${inContainer}`)
  if (unread !== undefined) return `container.${inContainer}'s namespace could not be read (${unread})`
  return undefined
}

function deferred(address: string, reason: string, dependsOn: string[], unwritable = false): RenderedResource {
  return {
    address,
    lines: [],
    deferred: reason,
    ...(unwritable ? {unwritable: true as const} : {}),
    notes: [],
    dependsOn: uniq(dependsOn),
  }
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort()
}

/** ip6tables knows ICMP for IPv6 as ipv6-icmp (what it prints); `-p icmp` there would match protocol 1, never seen. */
function protoFor(proto: RuleSpec['proto'], family: Family): string | undefined {
  if (proto === 'all') return undefined
  return proto === 'icmp' && family === 'ipv6' ? 'ipv6-icmp' : proto
}

function actionTarget(rule: RuleSpec, family: Family): string {
  switch (rule.action) {
    case 'accept':
      return '-j ACCEPT'
    case 'drop':
      return '-j DROP'
    case 'reject':
      return family === 'ipv4'
        ? '-j REJECT --reject-with icmp-port-unreachable'
        : '-j REJECT --reject-with icmp6-port-unreachable'
    case 'log':
      return rule.logPrefix === undefined ? '-j LOG' : `-j LOG --log-prefix ${quoteComment(rule.logPrefix)}`
  }
}

const RULE_CHAIN: Record<RuleSpec['chain'], OwnedChain> = {
  forward: 'DOCKWALL-FORWARD',
  input: 'DOCKWALL-INPUT',
  output: 'DOCKWALL-OUTPUT',
}

export function renderRule(rule: RuleSpec, res: Resolution): RenderedResource {
  const from = resolveEndpoints(rule.from, res)
  const to = resolveEndpoints(rule.to, res)
  const dependsOn = [...from.dependsOn, ...to.dependsOn, ...(rule.inContainer ? [`container.${rule.inContainer}`] : [])]
  const nsProblem = namespaceProblem(rule.inContainer, res)
  if (nsProblem) return deferred(rule.address, nsProblem, dependsOn)
  const allowed = namespaceFamilies(rule.inContainer, res, rule.family)
  const families = sharedFamilies(from.cidrs, to.cidrs, allowed)
  const missing = [...from.missing, ...to.missing]
  if (families.length === 0) {
    if (missing.length > 0) return deferred(rule.address, `${missing.join(', ')} has no address yet`, dependsOn)
    const why = noSharedFamily(
      [
        ['from', from.cidrs],
        ['to', to.cidrs],
      ],
      rule,
      allowed,
    )
    return deferred(rule.address, why, dependsOn, true)
  }
  const notes = missing.map((m) => `${m} has no address yet; the rule covers the other endpoints until it has one`)
  const ports = rule.proto === 'tcp' || rule.proto === 'udp' ? portMatches(rule.proto, rule.ports) : ['']
  const namespace = namespaceOf(rule.inContainer)
  const lines: DesiredLine[] = []
  for (const family of families) {
    const proto = protoFor(rule.proto, family)
    for (const src of from.cidrs[family])
      for (const dst of to.cidrs[family])
        for (const pm of ports) {
          const parts: SpecParts = {
            address: rule.address,
            target: actionTarget(rule, family),
            matches: pm ? [pm] : [],
          }
          if (src) parts.src = src
          if (dst) parts.dst = dst
          if (rule.inInterface) parts.inIf = rule.inInterface
          if (rule.outInterface) parts.outIf = rule.outInterface
          if (proto) parts.proto = proto
          lines.push({
            namespace,
            family,
            table: 'filter',
            chain: RULE_CHAIN[rule.chain],
            spec: buildSpec(parts),
            address: rule.address,
            order: {group: BODY, priority: rule.priority, index: lines.length},
          })
          if (opensRaw(rule, dst, family, res)) lines.push(rawOpening(parts, family, rule.priority, lines.length))
          for (const reply of replyOpenings(rule, src, dst, family, res))
            lines.push({...reply, order: {group: BODY, priority: rule.priority, index: lines.length}})
        }
  }
  return {address: rule.address, lines, notes, dependsOn: uniq(dependsOn)}
}

/**
 * Whether a rendered rule line needs an opening in raw PREROUTING: on engines that drop
 * there every packet addressed to a container from outside its bridge (Docker 28+, in
 * iptables and ip6tables alike), a forward accept in the host whose destination may be a
 * container address (a container, a network, a CIDR overlapping a Docker bridge, or any)
 * is otherwise never reached.
 */
function opensRaw(rule: RuleSpec, dst: string | undefined, family: Family, res: Resolution): boolean {
  if (!res.rawOpenings || rule.chain !== 'forward' || rule.action !== 'accept' || rule.inContainer) return false
  return overlapping(dst, family, res).length > 0
}

/** The bridges of the line's family an endpoint (a CIDR or an IP; undefined for any) may hold addresses of. */
function overlapping(endpoint: string | undefined, family: Family, res: Resolution): BridgeSubnet[] {
  if (endpoint === undefined) return res.bridges.filter((b) => b.family === family)
  const text = hostCidr(endpoint, family)
  if (family === 'ipv4') {
    const e = parseCidr(text)
    return e ? res.bridges.filter((b) => b.family === 'ipv4' && cidrsOverlap(b.cidr, e)) : []
  }
  const e = parseCidr6(text)
  return e ? res.bridges.filter((b) => b.family === 'ipv6' && cidrs6Overlap(b.cidr, e)) : []
}

/**
 * The raw opening for a filter accept: the same source, destination, input interface,
 * protocol and ports, nothing wider, and ACCEPT (which ends only the raw table: filter still
 * decides). `-o` is left out: raw PREROUTING runs before routing, and the destination
 * address already names the container.
 */
function rawOpening(parts: SpecParts, family: Family, priority: number, index: number): DesiredLine {
  const {outIf: _outIf, ...same} = parts
  return {
    namespace: 'host',
    family,
    table: 'raw',
    chain: 'DOCKWALL-PREROUTING',
    spec: buildSpec({...same, target: '-j ACCEPT'}),
    address: parts.address,
    order: {group: BODY, priority, index},
  }
}

/**
 * Openings for the replies of an opened flow whose source may be a container on a bridge
 * that does not masquerade: its replies arrive from the destination's bridge addressed to
 * the container itself, and Docker's raw drop for that container takes them. Each mirrors
 * the flow (source and destination swapped, source ports for destination ports, no
 * interface), limited to that bridge's subnet; raw cannot match connection state, and
 * filter's RELATED,ESTABLISHED accept still decides that it is a reply.
 */
function replyOpenings(
  rule: RuleSpec,
  src: string | undefined,
  dst: string | undefined,
  family: Family,
  res: Resolution,
): Array<Omit<DesiredLine, 'order'>> {
  if (!opensRaw(rule, dst, family, res)) return []
  const out: Array<Omit<DesiredLine, 'order'>> = []
  const proto = protoFor(rule.proto, family)
  const ports = rule.proto === 'tcp' || rule.proto === 'udp' ? portMatches(rule.proto, rule.ports, 'sport') : ['']
  for (const bridge of overlapping(src, family, res)) {
    if (!bridge.replyDrops) continue
    // The narrower of the flow's source and the bridge's subnet.
    const to = narrower(src, bridge)
    for (const pm of ports) {
      const parts: SpecParts = {address: rule.address, dst: to, matches: pm ? [pm] : [], target: '-j ACCEPT'}
      if (dst) parts.src = dst
      if (proto) parts.proto = proto
      out.push({
        namespace: 'host',
        family,
        table: 'raw',
        chain: 'DOCKWALL-PREROUTING',
        spec: buildSpec(parts),
        address: rule.address,
      })
    }
  }
  return out
}

/** `src` when it lies inside the bridge's subnet, else the subnet (canonical). */
function narrower(src: string | undefined, bridge: BridgeSubnet): string {
  if (bridge.family === 'ipv4') {
    const s = src === undefined ? undefined : parseCidr(hostCidr(src, 'ipv4'))
    return s && s.prefix >= bridge.cidr.prefix ? src! : canonicalCidr(bridge.cidr)
  }
  const s = src === undefined ? undefined : parseCidr6(hostCidr(src, 'ipv6'))
  return s && s.prefix >= bridge.cidr.prefix ? src! : canonicalCidr6(bridge.cidr)
}

interface ForwardTarget {
  ip?: string
  /** REDIRECT to the container itself. */
  self: boolean
}

/**
 * Where a port forward sends, per family: the first declared static address of that family,
 * else the first one Docker reports; a literal only in its own family; the container itself
 * (REDIRECT) in every family.
 */
function forwardTargets(
  pf: PortForwardSpec,
  res: Resolution,
): {targets: Partial<PerFamily<ForwardTarget>>; missing?: string} {
  const e = pf.to
  if (e.kind === 'cidr') return {targets: {[e.family]: {ip: e.cidr.replace(/\/(32|128)$/, ''), self: false}}}
  if (e.kind === 'container') {
    if (pf.inContainer && e.container === pf.inContainer) return {targets: {ipv4: {self: true}, ipv6: {self: true}}}
    const c = res.containers.get(e.container)
    const targets: Partial<PerFamily<ForwardTarget>> = {}
    for (const f of FAMILIES) {
      const declared = c?.spec.attachments.find((a) => (f === 'ipv4' ? a.ipv4Address : a.ipv6Address))
      const ip = (f === 'ipv4' ? declared?.ipv4Address : declared?.ipv6Address) ?? c?.addresses[f][0]
      if (ip) targets[f] = {ip, self: false}
    }
    return Object.keys(targets).length > 0 ? {targets} : {targets, missing: `container.${e.container}`}
  }
  return {targets: {}, missing: `${e.kind} endpoint`}
}

function dnatTarget(ip: string, port: number, family: Family): string {
  return family === 'ipv4' ? `-j DNAT --to-destination ${ip}:${port}` : `-j DNAT --to-destination [${ip}]:${port}`
}

export function renderPortForward(pf: PortForwardSpec, res: Resolution): RenderedResource {
  const from = resolveEndpoints(pf.from, res)
  const dependsOn = [
    ...from.dependsOn,
    ...(pf.to.kind === 'container' ? [`container.${pf.to.container}`] : []),
    ...(pf.inContainer ? [`container.${pf.inContainer}`] : []),
  ]
  const nsProblem = namespaceProblem(pf.inContainer, res)
  if (nsProblem) return deferred(pf.address, nsProblem, dependsOn)
  const {targets, missing} = forwardTargets(pf, res)
  if (missing) return deferred(pf.address, `${missing} has no address yet`, dependsOn)
  const allowed = namespaceFamilies(pf.inContainer, res, pf.family)
  const toCidrs: PerFamily<readonly unknown[]> = {ipv4: targets.ipv4 ? [1] : [], ipv6: targets.ipv6 ? [1] : []}
  const families = sharedFamilies(from.cidrs, toCidrs, allowed)
  if (families.length === 0) {
    if (from.missing.length > 0) return deferred(pf.address, `${from.missing.join(', ')} has no address yet`, dependsOn)
    return deferred(
      pf.address,
      noSharedFamily(
        [
          ['from', from.cidrs],
          ['to', toCidrs],
        ],
        pf,
        allowed,
      ),
      dependsOn,
      true,
    )
  }
  const namespace = namespaceOf(pf.inContainer)
  const lines: DesiredLine[] = []
  for (const family of families) {
    const target = targets[family]!
    for (const src of from.cidrs[family]) {
      const dnat: SpecParts = {
        address: pf.address,
        proto: pf.proto,
        matches: [`-m ${pf.proto} --dport ${pf.port}`],
        target: target.self ? `-j REDIRECT --to-ports ${pf.toPort}` : dnatTarget(target.ip!, pf.toPort, family),
      }
      if (src) dnat.src = src
      if (pf.inInterface) dnat.inIf = pf.inInterface
      lines.push({
        namespace,
        family,
        table: 'nat',
        chain: 'DOCKWALL-PREROUTING',
        spec: buildSpec(dnat),
        address: pf.address,
        order: {group: BODY, priority: 100, index: lines.length},
      })
      if (!target.self && target.ip) {
        // A DNAT to a port Docker did not publish is dropped by FORWARD unless accepted: bring our own accept, as `docker run -p` does.
        const accept: SpecParts = {
          address: pf.address,
          dst: hostCidr(target.ip, family),
          proto: pf.proto,
          matches: [`-m ${pf.proto} --dport ${pf.toPort}`, '-m conntrack --ctstate DNAT'],
          target: '-j ACCEPT',
        }
        if (src) accept.src = src
        if (pf.inInterface) accept.inIf = pf.inInterface
        lines.push({
          namespace,
          family,
          table: 'filter',
          chain: 'DOCKWALL-FORWARD',
          spec: buildSpec(accept),
          address: pf.address,
          order: {group: BODY, priority: 100, index: lines.length},
        })
      }
    }
  }
  return {
    address: pf.address,
    lines,
    notes: from.missing.map((m) => `${m} has no address yet`),
    dependsOn: uniq(dependsOn),
  }
}

export function renderMasquerade(m: MasqueradeSpec, res: Resolution): RenderedResource {
  const src = resolveEndpoints([m.source], res)
  const dst = resolveEndpoints(m.destination ? [m.destination] : [], res)
  const dependsOn = [...src.dependsOn, ...dst.dependsOn, ...(m.inContainer ? [`container.${m.inContainer}`] : [])]
  const nsProblem = namespaceProblem(m.inContainer, res)
  if (nsProblem) return deferred(m.address, nsProblem, dependsOn)
  const allowed = namespaceFamilies(m.inContainer, res, m.family)
  const families = sharedFamilies(src.cidrs, dst.cidrs, allowed)
  const missing = [...src.missing, ...dst.missing]
  if (families.length === 0)
    return deferred(
      m.address,
      missing.length > 0
        ? `${missing.join(', ')} has no address yet`
        : noSharedFamily(
            [
              ['source', src.cidrs],
              ['destination', dst.cidrs],
            ],
            m,
            allowed,
          ),
      dependsOn,
      missing.length === 0,
    )
  const namespace = namespaceOf(m.inContainer)
  const lines: DesiredLine[] = []
  for (const family of families)
    for (const s of src.cidrs[family])
      for (const d of dst.cidrs[family]) {
        const parts: SpecParts = {address: m.address, target: '-j MASQUERADE'}
        if (s) parts.src = s
        if (d) parts.dst = d
        if (m.outInterface) parts.outIf = m.outInterface
        lines.push({
          namespace,
          family,
          table: 'nat',
          chain: 'DOCKWALL-POSTROUTING',
          spec: buildSpec(parts),
          address: m.address,
          order: {group: BODY, priority: 100, index: lines.length},
        })
      }
  return {
    address: m.address,
    lines,
    notes: missing.map((x) => `${x} has no address yet`),
    dependsOn: uniq(dependsOn),
  }
}

/**
 * ICMPv6 a host must accept or lose IPv6 (RFC 4890, "Recommendations for Filtering ICMPv6
 * Messages in Firewalls", section 4.4: traffic addressed to the host itself). Kept, in this
 * order, when input_policy = "drop":
 * - 4.4.1 errors: Destination Unreachable (1, all codes), Packet Too Big (2), and with
 *   4.4.2 Time Exceeded (3, codes 0 and 1, i.e. all) and Parameter Problem (4, codes 0-2);
 * - 4.4.1 connectivity checks: Echo Request (128) and Echo Reply (129);
 * - 4.4.1 address configuration and router selection, hop limit 255 (RFC 4861 rejects
 *   anything else): Router Solicitation (133), Router Advertisement (134), Neighbour
 *   Solicitation (135) and Advertisement (136), Inverse ND Solicitation (141) and
 *   Advertisement (142);
 * - 4.4.1 link-local multicast listener messages, from a link-local source: MLD Query (130),
 *   Report (131), Done (132), MLDv2 Report (143);
 * - 4.4.1 SEND certificate path messages, hop limit 255: 148, 149;
 * - 4.4.1 multicast router discovery, link-local source and hop limit 1: 151, 152, 153.
 * Redirect (137) and Node Information (139, 140) are "policy should be defined" (4.4.4):
 * left to the drop, as the firewall's whitelist intends.
 */
export const ICMPV6_KEPT: ReadonlyArray<{type: string; src?: string; hopLimit?: number}> = [
  {type: '1'},
  {type: '2'},
  {type: '3'},
  {type: '4/0'},
  {type: '4/1'},
  {type: '4/2'},
  {type: '128'},
  {type: '129'},
  ...['133', '134', '135', '136', '141', '142'].map((type) => ({type, hopLimit: 255})),
  ...['130', '131', '132', '143'].map((type) => ({type, src: 'fe80::/10'})),
  ...['148', '149'].map((type) => ({type, hopLimit: 255})),
  ...['151', '152', '153'].map((type) => ({type, src: 'fe80::/10', hopLimit: 1})),
]

export interface FirewallContext {
  /** Per family: whether DOCKWALL-FORWARD on the host has other content (the replies accept is pointless otherwise). */
  needForward: PerFamily<boolean>
}

/**
 * The host-wide basics, per family: replies accepted first (in Docker 20.10 the isolation
 * chains run before Docker's own RELATED,ESTABLISHED accept, so an accept across networks
 * needs it), whitelist drops last, and with input_policy = drop: loopback, established and
 * SSH kept open on both families, and for IPv6 the ICMPv6 of RFC 4890 (neighbour discovery,
 * router advertisements, errors) and DHCPv6 replies, without which the host loses IPv6.
 */
export function renderFirewall(fw: FirewallSpec, ctx: FirewallContext): RenderedResource {
  const lines: DesiredLine[] = []
  const line = (family: Family, chain: OwnedChain, group: number, parts: Omit<SpecParts, 'address'>): void => {
    lines.push({
      namespace: 'host',
      family,
      table: 'filter',
      chain,
      spec: buildSpec({...parts, address: FIREWALL_ADDRESS}),
      address: FIREWALL_ADDRESS,
      order: {group, priority: 0, index: lines.length},
    })
  }
  const established = '-m conntrack --ctstate RELATED,ESTABLISHED'
  for (const family of FAMILIES) {
    if (ctx.needForward[family] || fw.forwardPolicy === 'drop') {
      line(family, 'DOCKWALL-FORWARD', HEAD, {matches: [established], target: '-j ACCEPT'})
      if (fw.forwardPolicy === 'drop') line(family, 'DOCKWALL-FORWARD', TAIL, {target: '-j DROP'})
    }
    if (fw.inputPolicy !== 'drop') continue
    line(family, 'DOCKWALL-INPUT', HEAD, {inIf: 'lo', target: '-j ACCEPT'})
    line(family, 'DOCKWALL-INPUT', HEAD, {matches: [established], target: '-j ACCEPT'})
    if (fw.sshPort !== null)
      line(family, 'DOCKWALL-INPUT', HEAD, {
        proto: 'tcp',
        matches: [`-m tcp --dport ${fw.sshPort}`],
        target: '-j ACCEPT',
      })
    if (family === 'ipv6') {
      for (const k of ICMPV6_KEPT)
        line(family, 'DOCKWALL-INPUT', HEAD, {
          ...(k.src ? {src: k.src} : {}),
          proto: 'ipv6-icmp',
          matches: [`-m icmp6 --icmpv6-type ${k.type}`, ...(k.hopLimit ? [`-m hl --hl-eq ${k.hopLimit}`] : [])],
          target: '-j ACCEPT',
        })
      // DHCPv6 replies (server port 547 to the client's link-local port 546): a UDP socket, so INPUT sees
      // them, and conntrack cannot match them to the request (sent to a multicast group).
      line(family, 'DOCKWALL-INPUT', HEAD, {
        dst: 'fe80::/10',
        proto: 'udp',
        matches: ['-m udp --sport 547 --dport 546'],
        target: '-j ACCEPT',
      })
    }
    line(family, 'DOCKWALL-INPUT', TAIL, {target: '-j DROP'})
  }
  return {address: FIREWALL_ADDRESS, lines, notes: [], dependsOn: []}
}

/** Orders one chain's lines: group, priority, address, then the resource's own order. */
export function compareLines(a: DesiredLine, b: DesiredLine): number {
  return (
    a.order.group - b.order.group ||
    a.order.priority - b.order.priority ||
    (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) ||
    a.order.index - b.order.index
  )
}
