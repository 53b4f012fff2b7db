// Renders the desired model into iptables lines, in iptables-save's normal form
// (header matches -s -d -i -o -p first, /32 on hosts, explicit -m tcp/udp), each
// tagged with the resource address in a `dockwall:<address>` comment and an
// ordering key. Pure: the Resolution supplies everything Docker-dependent.
import type {Endpoint, FirewallSpec, MasqueradeSpec, PortForwardSpec, PortRange, RuleSpec} from '../model/types.js'
import type {FirewallTable, NamespaceKey, RuleLine} from '../model/resources.js'
import {canonicalCidr, cidrsOverlap, parseCidr} from '../config/ipv4.js'
import type {Resolution} from './resolve.js'

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

function hostCidr(ip: string): string {
  return ip.includes('/') ? ip : `${ip}/32`
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

interface EndpointResolution {
  /** CIDRs; [undefined] means "any". */
  cidrs: Array<string | undefined>
  missing: string[]
  dependsOn: string[]
}

function resolveEndpoints(endpoints: readonly Endpoint[], res: Resolution): EndpointResolution {
  const out: EndpointResolution = {cidrs: [], missing: [], dependsOn: []}
  if (endpoints.length === 0 || endpoints.some((e) => e.kind === 'any')) {
    for (const e of endpoints) if (e.kind === 'container') out.dependsOn.push(`container.${e.container}`)
    return {...out, cidrs: [undefined]}
  }
  const seen = new Set<string>()
  const add = (c: string): void => {
    if (!seen.has(c)) {
      seen.add(c)
      out.cidrs.push(c)
    }
  }
  for (const e of endpoints) {
    if (e.kind === 'cidr') {
      // Until ip6tables lines are rendered (the next step of issue 12), an IPv6 literal is left out, and said so.
      if (e.family === 'ipv4') add(e.cidr)
      else out.missing.push(`${e.cidr} (IPv6 lines are not written yet)`)
    } else if (e.kind === 'network') {
      out.dependsOn.push(`network.${e.network}`)
      const n = res.networks.get(e.network)
      if (n) add(n.spec.subnet)
      else out.missing.push(`network.${e.network}`)
    } else if (e.kind === 'container') {
      out.dependsOn.push(`container.${e.container}`)
      const c = res.containers.get(e.container)
      if (c && c.ips.length > 0) for (const ip of c.ips) add(hostCidr(ip))
      else out.missing.push(`container.${e.container}`)
    }
  }
  return out
}

function namespaceOf(inContainer: string | undefined): NamespaceKey {
  return inContainer ? `container.${inContainer}` : 'host'
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

function deferred(address: string, reason: string, dependsOn: string[]): RenderedResource {
  return {address, lines: [], deferred: reason, notes: [], dependsOn: uniq(dependsOn)}
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort()
}

function actionTarget(rule: RuleSpec): string {
  switch (rule.action) {
    case 'accept':
      return '-j ACCEPT'
    case 'drop':
      return '-j DROP'
    case 'reject':
      return '-j REJECT --reject-with icmp-port-unreachable'
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
  if (from.cidrs.length === 0 || to.cidrs.length === 0) {
    return deferred(rule.address, `${[...from.missing, ...to.missing].join(', ')} has no address yet`, dependsOn)
  }
  const notes = [...from.missing, ...to.missing].map(
    (m) => `${m} has no address yet; the rule covers the other endpoints until it has one`,
  )
  const proto = rule.proto === 'all' ? undefined : rule.proto
  const ports = rule.proto === 'tcp' || rule.proto === 'udp' ? portMatches(rule.proto, rule.ports) : ['']
  const namespace = namespaceOf(rule.inContainer)
  const lines: DesiredLine[] = []
  for (const src of from.cidrs)
    for (const dst of to.cidrs)
      for (const pm of ports) {
        const parts: SpecParts = {address: rule.address, target: actionTarget(rule), matches: pm ? [pm] : []}
        if (src) parts.src = src
        if (dst) parts.dst = dst
        if (rule.inInterface) parts.inIf = rule.inInterface
        if (rule.outInterface) parts.outIf = rule.outInterface
        if (proto) parts.proto = proto
        lines.push({
          namespace,
          table: 'filter',
          chain: RULE_CHAIN[rule.chain],
          spec: buildSpec(parts),
          address: rule.address,
          order: {group: BODY, priority: rule.priority, index: lines.length},
        })
        if (opensRaw(rule, dst, res)) lines.push(rawOpening(parts, rule.priority, lines.length))
        for (const reply of replyOpenings(rule, src, dst, res))
          lines.push({...reply, order: {group: BODY, priority: rule.priority, index: lines.length}})
      }
  return {address: rule.address, lines, notes, dependsOn: uniq(dependsOn)}
}

/**
 * Whether a rendered rule line needs an opening in raw PREROUTING: on engines that drop
 * there every packet addressed to a container from outside its bridge (Docker 28+), a
 * forward accept in the host whose destination may be a container address (a container,
 * a network, a CIDR overlapping a Docker bridge, or any) is otherwise never reached.
 */
function opensRaw(rule: RuleSpec, dst: string | undefined, res: Resolution): boolean {
  if (!res.rawOpenings || rule.chain !== 'forward' || rule.action !== 'accept' || rule.inContainer) return false
  return overlapping(dst, res).length > 0
}

/** The bridges an endpoint (a CIDR or an IP; undefined for any) may hold addresses of. IPv4 only for now. */
function overlapping(endpoint: string | undefined, res: Resolution): Resolution['bridges'] {
  if (endpoint === undefined) return res.bridges
  const e = endpoint.includes(':') ? undefined : parseCidr(endpoint.includes('/') ? endpoint : `${endpoint}/32`)
  return e === undefined ? [] : res.bridges.filter((b) => cidrsOverlap(b.cidr, e))
}

/**
 * The raw opening for a filter accept: the same source, destination, input interface,
 * protocol and ports, nothing wider, and ACCEPT (which ends only the raw table: filter still
 * decides). `-o` is left out: raw PREROUTING runs before routing, and the destination
 * address already names the container.
 */
function rawOpening(parts: SpecParts, priority: number, index: number): DesiredLine {
  const {outIf: _outIf, ...same} = parts
  return {
    namespace: 'host',
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
  res: Resolution,
): Array<Omit<DesiredLine, 'order'>> {
  if (!opensRaw(rule, dst, res)) return []
  const out: Array<Omit<DesiredLine, 'order'>> = []
  const proto = rule.proto === 'all' ? undefined : rule.proto
  const ports = rule.proto === 'tcp' || rule.proto === 'udp' ? portMatches(rule.proto, rule.ports, 'sport') : ['']
  for (const bridge of overlapping(src, res)) {
    if (!bridge.replyDrops) continue
    // The narrower of the flow's source and the bridge's subnet.
    const s = src !== undefined && parseCidr(src.includes('/') ? src : `${src}/32`)
    const to = s && s.prefix >= bridge.cidr.prefix ? src! : canonicalCidr(bridge.cidr)
    for (const pm of ports) {
      const parts: SpecParts = {address: rule.address, dst: to, matches: pm ? [pm] : [], target: '-j ACCEPT'}
      if (dst) parts.src = dst
      if (proto) parts.proto = proto
      out.push({
        namespace: 'host',
        table: 'raw',
        chain: 'DOCKWALL-PREROUTING',
        spec: buildSpec(parts),
        address: rule.address,
      })
    }
  }
  return out
}

/** The address a port forward sends to: the first declared static IP, else the first one Docker reports. */
function forwardTarget(pf: PortForwardSpec, res: Resolution): {ip?: string; self: boolean; missing?: string} {
  const e = pf.to
  if (e.kind === 'cidr') return {ip: e.cidr.replace(/\/32$/, ''), self: false}
  if (e.kind === 'container') {
    if (pf.inContainer && e.container === pf.inContainer) return {self: true}
    const c = res.containers.get(e.container)
    const declared = c?.spec.attachments.find((a) => a.ipv4Address)?.ipv4Address
    const ip = declared ?? c?.ips[0]
    return ip ? {ip, self: false} : {self: false, missing: `container.${e.container}`}
  }
  return {self: false, missing: `${e.kind} endpoint`}
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
  const target = forwardTarget(pf, res)
  if (target.missing) return deferred(pf.address, `${target.missing} has no address yet`, dependsOn)
  if (from.cidrs.length === 0) return deferred(pf.address, `${from.missing.join(', ')} has no address yet`, dependsOn)
  const namespace = namespaceOf(pf.inContainer)
  const lines: DesiredLine[] = []
  for (const src of from.cidrs) {
    const dnat: SpecParts = {
      address: pf.address,
      proto: pf.proto,
      matches: [`-m ${pf.proto} --dport ${pf.port}`],
      target: target.self
        ? `-j REDIRECT --to-ports ${pf.toPort}`
        : `-j DNAT --to-destination ${target.ip}:${pf.toPort}`,
    }
    if (src) dnat.src = src
    if (pf.inInterface) dnat.inIf = pf.inInterface
    lines.push({
      namespace,
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
        dst: hostCidr(target.ip),
        proto: pf.proto,
        matches: [`-m ${pf.proto} --dport ${pf.toPort}`, '-m conntrack --ctstate DNAT'],
        target: '-j ACCEPT',
      }
      if (src) accept.src = src
      if (pf.inInterface) accept.inIf = pf.inInterface
      lines.push({
        namespace,
        table: 'filter',
        chain: 'DOCKWALL-FORWARD',
        spec: buildSpec(accept),
        address: pf.address,
        order: {group: BODY, priority: 100, index: lines.length},
      })
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
  if (src.cidrs.length === 0 || dst.cidrs.length === 0)
    return deferred(m.address, `${[...src.missing, ...dst.missing].join(', ')} has no address yet`, dependsOn)
  const namespace = namespaceOf(m.inContainer)
  const lines: DesiredLine[] = []
  for (const s of src.cidrs)
    for (const d of dst.cidrs) {
      const parts: SpecParts = {address: m.address, target: '-j MASQUERADE'}
      if (s) parts.src = s
      if (d) parts.dst = d
      if (m.outInterface) parts.outIf = m.outInterface
      lines.push({
        namespace,
        table: 'nat',
        chain: 'DOCKWALL-POSTROUTING',
        spec: buildSpec(parts),
        address: m.address,
        order: {group: BODY, priority: 100, index: lines.length},
      })
    }
  return {address: m.address, lines, notes: [], dependsOn: uniq(dependsOn)}
}

/**
 * The host-wide basics: replies accepted first (in Docker 20.10 the isolation chains run
 * before Docker's own RELATED,ESTABLISHED accept, so an accept across networks needs it),
 * whitelist drops last, and with input_policy = drop: loopback, established and SSH kept open.
 * `needForward`: whether DOCKWALL-FORWARD has other content (the accept is pointless otherwise).
 */
export function renderFirewall(fw: FirewallSpec, needForward: boolean): RenderedResource {
  const lines: DesiredLine[] = []
  const line = (chain: OwnedChain, group: number, parts: Omit<SpecParts, 'address'>): void => {
    lines.push({
      namespace: 'host',
      table: 'filter',
      chain,
      spec: buildSpec({...parts, address: FIREWALL_ADDRESS}),
      address: FIREWALL_ADDRESS,
      order: {group, priority: 0, index: lines.length},
    })
  }
  const established = '-m conntrack --ctstate RELATED,ESTABLISHED'
  if (needForward || fw.forwardPolicy === 'drop') {
    line('DOCKWALL-FORWARD', HEAD, {matches: [established], target: '-j ACCEPT'})
    if (fw.forwardPolicy === 'drop') line('DOCKWALL-FORWARD', TAIL, {target: '-j DROP'})
  }
  if (fw.inputPolicy === 'drop') {
    line('DOCKWALL-INPUT', HEAD, {inIf: 'lo', target: '-j ACCEPT'})
    line('DOCKWALL-INPUT', HEAD, {matches: [established], target: '-j ACCEPT'})
    if (fw.sshPort !== null)
      line('DOCKWALL-INPUT', HEAD, {proto: 'tcp', matches: [`-m tcp --dport ${fw.sshPort}`], target: '-j ACCEPT'})
    line('DOCKWALL-INPUT', TAIL, {target: '-j DROP'})
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
