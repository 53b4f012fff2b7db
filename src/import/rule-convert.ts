// One parsed iptables rule → the dockwall resource that renders to the same line, or
// the reason none does. The supported shapes are exactly what src/plan/firewall.ts
// writes (rules, port forwards, masquerades); everything else gets a reason a person
// can act on, because import must never drop a rule silently.
//
// Endpoints come back as CIDRs: turning them into references (container.X) needs the
// Docker snapshot and is done by references.ts.
import {interfaceNameError} from '../model/names.js'
import type {Family, PortRange, Protocol, RuleAction, RuleChain} from '../model/types.js'
import {normalizeAddress, normalizeProtocol, type ExtOption, type Match, type Rule} from '../netfilter/index.js'
import type {NamespaceKey} from '../model/resources.js'
import {type DockerHints, ownerOf} from './owners.js'

export interface ConvertedRule {
  kind: 'rule'
  chain: RuleChain
  /** CIDR in normal form; undefined for any. */
  source?: string
  destination?: string
  inInterface?: string
  outInterface?: string
  proto: Protocol
  ports: PortRange[]
  action: RuleAction
  /** The rule's `-m comment` text, if any (dockwall writes its own comment instead). */
  comment?: string
  /** What differs in the text dockwall will write, though the meaning is the same. */
  notes: string[]
}

export interface ConvertedPortForward {
  kind: 'port_forward'
  /** Set on the host; inside a container the namespace says where. */
  inInterface?: string
  source?: string
  proto: 'tcp' | 'udp'
  port: number
  /** Destination IP; undefined for a REDIRECT (to the container itself). */
  to?: string
  toPort: number
  comment?: string
  notes: string[]
}

export interface ConvertedMasquerade {
  kind: 'masquerade'
  source?: string
  destination?: string
  outInterface?: string
  comment?: string
  notes: string[]
}

/** A rule someone else owns (Docker recreates its rules; dockwall's are managed already). */
export interface OwnedRule {
  kind: 'owned'
  owner: 'docker' | 'dockwall'
  reason: string
}

/** A rule whose effect a dockwall resource already provides. */
export type CoveredRule =
  | {kind: 'covered'; by: 'firewall'; reason: string}
  | {
      kind: 'covered'
      by: 'port_forward'
      reason: string
      accept: {destination: string; source?: string; inInterface?: string; proto: 'tcp' | 'udp'; port: number}
    }
  | {
      kind: 'covered'
      by: 'raw_opening'
      reason: string
      /** The forward accept this raw ACCEPT opens the way for (dockwall writes that opening with the rule). */
      opening: ConvertedRule
    }

export interface UnsupportedRule {
  kind: 'unsupported'
  reason: string
}

export type RuleConversion =
  ConvertedRule | ConvertedPortForward | ConvertedMasquerade | OwnedRule | CoveredRule | UnsupportedRule

export interface ConvertContext {
  namespace: NamespaceKey
  /** The table's family: an ip6tables rule becomes an IPv6 resource. */
  family: Family
  /** Docker's bridges and subnets, to recognise Docker's own rules. */
  docker: DockerHints
}

const FILTER_CHAINS: Readonly<Record<string, RuleChain>> = {
  FORWARD: 'forward',
  'DOCKER-USER': 'forward',
  INPUT: 'input',
  OUTPUT: 'output',
}
const ESTABLISHED = new Set(['RELATED', 'ESTABLISHED'])

/** Thrown inside the converter to stop at the first thing that cannot be expressed. */
class Unsupported extends Error {}

const no = (reason: string): never => {
  throw new Unsupported(reason)
}

/** What the match part of a rule says, in the terms dockwall knows. */
interface Parsed {
  source?: string
  destination?: string
  inInterface?: string
  outInterface?: string
  proto?: string
  ports: PortRange[]
  /** Written with multiport although it is one port: dockwall writes -m tcp --dport. */
  multiportSingle: boolean
  states?: Set<string>
  comment?: string
}

function portRange(text: string): PortRange {
  const m = /^([0-9]+)(?::([0-9]+))?$/.exec(text)
  if (!m) return no(`port "${text}" is not a number or range`)
  const from = Number(m[1])
  return {from, to: m[2] === undefined ? from : Number(m[2])}
}

function optionNegation(o: ExtOption): void {
  if (o.negated) no(`negation (! --${o.name}) is not modelled`)
}

function interfaceName(value: string, option: 'i' | 'o'): string {
  const bad = interfaceNameError(value, {wildcard: true})
  return bad ? no(`interface "${value}" (-${option}) cannot be written in dockwall: ${bad}`) : value
}

function readMatches(matches: readonly Match[], family: Family): Parsed {
  const p: Parsed = {ports: [], multiportSingle: false}
  // Two port (or state) matches in one rule must both hold; dockwall's lists mean "any of".
  let portMatches = 0
  let stateMatches = 0
  for (const m of matches) {
    if (m.kind === 'header') {
      if (m.negated) no(`negation (! -${m.option}) is not modelled`)
      switch (m.option) {
        case 's':
        case 'd': {
          const cidr = normalizeAddress(m.value!)
          const shape = family === 'ipv4' ? /^[0-9.]+\/[0-9]+$/ : /^[0-9a-f:.]+\/[0-9]+$/
          if (cidr !== null && !shape.test(cidr))
            no(`address "${m.value}" is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address or CIDR`)
          if (cidr !== null) p[m.option === 's' ? 'source' : 'destination'] = cidr
          break
        }
        case 'i':
          p.inInterface = interfaceName(m.value!, 'i')
          break
        case 'o':
          p.outInterface = interfaceName(m.value!, 'o')
          break
        case 'p': {
          const proto = normalizeProtocol(m.value!)
          // dockwall's icmp is ICMP in iptables and ICMPv6 (ipv6-icmp) in ip6tables.
          const icmp = family === 'ipv4' ? 'icmp' : 'ipv6-icmp'
          if (proto !== null && proto !== 'tcp' && proto !== 'udp' && proto !== icmp)
            no(`protocol ${proto} is not modelled (dockwall knows tcp, udp and ${icmp})`)
          if (proto !== null) p.proto = proto === icmp ? 'icmp' : proto
          break
        }
        case 'f':
          no('the fragment match (-f) is not modelled')
      }
      continue
    }
    switch (m.name) {
      case 'comment':
        p.comment ??= m.options.find((o) => o.name === 'comment')?.values[0]
        break
      case 'tcp':
      case 'udp':
        for (const o of m.options) {
          optionNegation(o)
          if (o.name === 'dport') {
            if (++portMatches > 1) no('more than one destination port match in a rule is not modelled')
            p.ports.push(portRange(o.values[0] ?? ''))
          } else if (o.name === 'sport') no('source port match (--sport) is not modelled')
          else if (o.name === 'tcp-flags' || o.name === 'syn') no('TCP flag match (--tcp-flags, --syn) is not modelled')
          else no(`${m.name} option --${o.name} is not modelled`)
        }
        break
      case 'multiport':
        for (const o of m.options) {
          optionNegation(o)
          if (o.name === 'dports') {
            if (++portMatches > 1) no('more than one destination port match in a rule is not modelled')
            const list = (o.values[0] ?? '').split(',').map(portRange)
            if (list.length === 1) p.multiportSingle = true
            p.ports.push(...list)
          } else if (o.name === 'sports') no('source port match (multiport --sports) is not modelled')
          else no(`multiport --${o.name} (source or destination port) is not modelled`)
        }
        break
      case 'icmp':
        no('ICMP type match (--icmp-type) is not modelled')
        break
      case 'icmp6':
        no('ICMPv6 type match (--icmpv6-type) is not modelled')
        break
      case 'conntrack':
      case 'state':
        for (const o of m.options) {
          optionNegation(o)
          if (o.name !== 'ctstate' && o.name !== 'state') no(`conntrack option --${o.name} is not modelled`)
          if (++stateMatches > 1) no('more than one conntrack state match in a rule is not modelled')
          p.states = new Set((o.values[0] ?? '').split(','))
        }
        break
      default:
        no(`match extension \`${m.name}\` is not modelled`)
    }
  }
  return p
}

function noExtras(p: Parsed, what: string, allowed: ReadonlyArray<keyof Parsed>): void {
  const present: Array<[keyof Parsed, string]> = [
    ['source', 'a source match (-s)'],
    ['destination', 'a destination match (-d)'],
    ['inInterface', 'an input interface match (-i)'],
    ['outInterface', 'an output interface match (-o)'],
    ['proto', 'a protocol match (-p)'],
    ['states', 'a conntrack state match'],
  ]
  for (const [key, desc] of present)
    if (p[key] !== undefined && !allowed.includes(key)) no(`${desc} on ${what} is not modelled`)
  if (p.ports.length > 0 && !allowed.includes('ports')) no(`a port match on ${what} is not modelled`)
}

function commentOf(p: Parsed): {comment?: string} {
  return p.comment === undefined ? {} : {comment: p.comment}
}

function filterRule(rule: Pick<Rule, 'chain' | 'target'>, p: Parsed, ctx: ConvertContext): RuleConversion {
  const chain = FILTER_CHAINS[rule.chain]!
  const family = ctx.family
  const target = rule.target
  if (p.states) {
    const states = [...p.states]
    if (target?.name === 'ACCEPT' && states.every((s) => ESTABLISHED.has(s))) {
      if (ctx.namespace === 'host' && chain === 'forward') {
        return {
          kind: 'covered',
          by: 'firewall',
          reason:
            "covered by the firewall block: dockwall's forward chain starts with -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        }
      }
      return no(
        ctx.namespace === 'host'
          ? `a ${states.join(',')} accept in ${rule.chain} is provided by the firewall block only with input_policy = "drop"; it stays where it is`
          : `a ${states.join(',')} accept inside a container is not modelled (the firewall block covers the host only)`,
      )
    }
    if (target?.name === 'ACCEPT' && states.length === 1 && states[0] === 'DNAT' && chain === 'forward') {
      if (
        !p.destination?.endsWith(family === 'ipv4' ? '/32' : '/128') ||
        (p.proto !== 'tcp' && p.proto !== 'udp') ||
        p.ports.length !== 1 ||
        p.ports[0]!.from !== p.ports[0]!.to ||
        p.outInterface
      ) {
        return no("a conntrack DNAT accept that is not a port forward's own accept is not modelled")
      }
      const accept = {
        destination: p.destination,
        proto: p.proto as 'tcp' | 'udp',
        port: p.ports[0]!.from,
        ...(p.source !== undefined ? {source: p.source} : {}),
        ...(p.inInterface !== undefined ? {inInterface: p.inInterface} : {}),
      }
      return {
        kind: 'covered',
        by: 'port_forward',
        reason: 'covered by the port_forward that DNATs to it (a port_forward brings its own accept)',
        accept,
      }
    }
    return no(
      `a conntrack state match other than the ones dockwall writes (--ctstate ${states.join(',')}; dockwall writes RELATED,ESTABLISHED in the firewall block and DNAT with port forwards)`,
    )
  }
  if (!target) return no('a rule without a target (it only counts packets) is not modelled')
  if (target.kind === 'goto') return no(`goto (-g ${target.name}) is not modelled`)
  let action: RuleAction
  switch (target.name) {
    case 'ACCEPT':
      action = 'accept'
      break
    case 'DROP':
      action = 'drop'
      break
    case 'REJECT': {
      const w = target.options.find((o) => o.name === 'reject-with')?.values[0]
      const ours = family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'
      if (target.options.length > 1 || (w !== undefined && w !== ours)) {
        return no(`REJECT --reject-with ${w ?? '?'} is not modelled (dockwall rejects with ${ours})`)
      }
      action = 'reject'
      break
    }
    default:
      return no(
        TARGET_EXTENSIONS.has(target.name)
          ? `target ${target.name} is not modelled`
          : `a jump to chain ${target.name} is not modelled (import does not flatten user chains)`,
      )
  }
  if (target.options.length > 0 && target.name !== 'REJECT')
    return no(`options of target ${target.name} are not modelled`)
  if (p.ports.length > 0 && p.proto !== 'tcp' && p.proto !== 'udp')
    return no('a port match without -p tcp or -p udp is not modelled')
  const notes: string[] = []
  if (p.multiportSingle)
    notes.push('written with -m multiport for one port; dockwall writes -m tcp --dport (same meaning)')
  return {
    kind: 'rule',
    chain,
    ...(p.source !== undefined ? {source: p.source} : {}),
    ...(p.destination !== undefined ? {destination: p.destination} : {}),
    ...(p.inInterface !== undefined ? {inInterface: p.inInterface} : {}),
    ...(p.outInterface !== undefined ? {outInterface: p.outInterface} : {}),
    proto: (p.proto ?? 'all') as Protocol,
    ports: p.ports,
    action,
    ...commentOf(p),
    notes,
  }
}

// Target extensions iptables ships; anything else in upper case is most likely a user chain.
const TARGET_EXTENSIONS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'RETURN',
  'MARK',
  'CONNMARK',
  'SNAT',
  'DNAT',
  'MASQUERADE',
  'REDIRECT',
  'NETMAP',
  'TCPMSS',
  'TRACE',
  'NOTRACK',
  'CT',
  'TPROXY',
  'NFQUEUE',
  'QUEUE',
  'SET',
  'CLASSIFY',
  'DSCP',
  'TOS',
  'TTL',
  'CHECKSUM',
  'AUDIT',
  'SECMARK',
  'CONNSECMARK',
  'IDLETIMER',
  'LED',
  'HMARK',
  'TEE',
  'SYNPROXY',
  'RATEEST',
  'CLUSTERIP',
  'ECN',
])

function singlePort(p: Parsed, what: string): number {
  if (p.proto !== 'tcp' && p.proto !== 'udp')
    return no(`${what} without -p tcp or -p udp is not modelled (a port_forward forwards one tcp or udp port)`)
  if (p.ports.length !== 1 || p.ports[0]!.from !== p.ports[0]!.to)
    return no(`${what} must match exactly one destination port (--dport N) to be a port_forward`)
  return p.ports[0]!.from
}

function natPrerouting(rule: Pick<Rule, 'target'>, p: Parsed, ctx: ConvertContext): RuleConversion {
  const target = rule.target
  const inContainer = ctx.namespace !== 'host'
  if (target?.name !== 'DNAT' && target?.name !== 'REDIRECT')
    return no(
      target
        ? `target ${target.name} in nat PREROUTING is not modelled (a port_forward is a DNAT or, inside a container, a REDIRECT)`
        : 'a rule without a target is not modelled',
    )
  const what = `a ${target.name}`
  noExtras(p, what, ['source', 'inInterface', 'proto', 'ports'])
  const port = singlePort(p, what)
  if (inContainer && p.inInterface !== undefined)
    no(
      `an input interface match (-i) on a ${target.name} inside a container is not modelled (port_forward with in_container has no in_interface)`,
    )
  if (!inContainer && p.inInterface === undefined)
    no(`${what} without an input interface (-i) is not modelled: a port_forward on the host needs in_interface`)
  const proto = p.proto as 'tcp' | 'udp'
  const notes: string[] = []
  let to: string | undefined
  let toPort = port
  if (target.name === 'REDIRECT') {
    if (!inContainer) no('REDIRECT on the host is not modelled (a port_forward redirects only inside a container)')
    const ports = target.options.find((o) => o.name === 'to-ports')
    if (target.options.length > (ports ? 1 : 0)) no('REDIRECT options other than --to-ports are not modelled')
    if (ports) {
      const v = ports.values[0] ?? ''
      if (!/^[0-9]+$/.test(v)) no(`REDIRECT --to-ports ${v} (a range) is not modelled`)
      toPort = Number(v)
    }
  } else {
    const dest = target.options.find((o) => o.name === 'to-destination')
    if (!dest || target.options.length !== 1 || dest.values.length !== 1)
      no('DNAT options other than one --to-destination are not modelled')
    // IPv4 `a.b.c.d[:port]`; IPv6 `[addr]:port` or a bare `addr`, as ip6tables-save prints them.
    const m =
      ctx.family === 'ipv4'
        ? /^([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)(?::([0-9]+))?$/.exec(dest!.values[0]!)
        : (/^\[([0-9a-f:.]+)\]:([0-9]+)$/.exec(dest!.values[0]!) ?? /^([0-9a-f:.]+)()$/.exec(dest!.values[0]!))
    if (!m) return no(`DNAT --to-destination ${dest!.values[0]} (an address range or port range) is not modelled`)
    to = m[1]!
    if (m[2] !== undefined && m[2] !== '') toPort = Number(m[2])
    else
      notes.push(
        `dockwall writes --to-destination ${ctx.family === 'ipv4' ? `${to}:${toPort}` : `[${to}]:${toPort}`} (the port spelled out; same meaning)`,
      )
  }
  return {
    kind: 'port_forward',
    ...(p.inInterface !== undefined ? {inInterface: p.inInterface} : {}),
    ...(p.source !== undefined ? {source: p.source} : {}),
    proto,
    port,
    ...(to !== undefined ? {to} : {}),
    toPort,
    ...commentOf(p),
    notes,
  }
}

function natPostrouting(rule: Pick<Rule, 'target'>, p: Parsed): RuleConversion {
  const target = rule.target
  if (target?.name !== 'MASQUERADE')
    return no(
      target
        ? `target ${target.name} in nat POSTROUTING is not modelled (dockwall writes MASQUERADE only)`
        : 'a rule without a target is not modelled',
    )
  if (target.options.length > 0) no(`MASQUERADE options (--${target.options[0]!.name}) are not modelled`)
  noExtras(p, 'a MASQUERADE', ['source', 'destination', 'outInterface'])
  return {
    kind: 'masquerade',
    ...(p.source !== undefined ? {source: p.source} : {}),
    ...(p.destination !== undefined ? {destination: p.destination} : {}),
    ...(p.outInterface !== undefined ? {outInterface: p.outInterface} : {}),
    ...commentOf(p),
    notes: [],
  }
}

/** Converts one rule of `rule.table`/`rule.chain` in namespace `ctx.namespace`. */
/**
 * A raw PREROUTING rule: the ACCEPT operators add on Docker 28+ so a forward accept
 * towards a container is reached at all. It reads as that forward accept would; the
 * generator pairs it with the imported rule, whose raw opening dockwall writes itself.
 */
function rawPrerouting(rule: Pick<Rule, 'table' | 'chain' | 'matches' | 'target' | 'comment'>, ctx: ConvertContext) {
  const reason =
    "raw PREROUTING rules are not imported, except the ACCEPTs that open the way for an imported forward accept past Docker's raw drops (dockwall writes those itself)"
  if (rule.target?.name !== 'ACCEPT' || rule.target.options.length > 0 || ctx.namespace !== 'host') return no(reason)
  const asForward = filterRule({chain: 'FORWARD', target: rule.target}, readMatches(rule.matches, ctx.family), ctx)
  if (asForward.kind !== 'rule' || asForward.action !== 'accept' || asForward.outInterface !== undefined)
    return no(reason)
  return {
    kind: 'covered' as const,
    by: 'raw_opening' as const,
    reason: 'covered by the raw opening dockwall writes with the forward rule it opens the way for',
    opening: asForward,
  }
}

export function convertRule(
  rule: Pick<Rule, 'table' | 'chain' | 'matches' | 'target' | 'comment'>,
  ctx: ConvertContext,
): RuleConversion {
  const owner = ownerOf(rule, ctx.docker)
  if (owner) return {kind: 'owned', ...owner}
  try {
    if (rule.table === 'filter' && FILTER_CHAINS[rule.chain] !== undefined)
      return filterRule(rule, readMatches(rule.matches, ctx.family), ctx)
    if (rule.table === 'nat' && rule.chain === 'PREROUTING')
      return natPrerouting(rule, readMatches(rule.matches, ctx.family), ctx)
    if (rule.table === 'nat' && rule.chain === 'POSTROUTING')
      return natPostrouting(rule, readMatches(rule.matches, ctx.family))
    if (rule.table === 'raw' && rule.chain === 'PREROUTING') return rawPrerouting(rule, ctx)
    return no(
      `rules in ${rule.table} ${rule.chain} are not imported (dockwall imports filter FORWARD, DOCKER-USER, INPUT, OUTPUT and nat PREROUTING, POSTROUTING)`,
    )
  } catch (e) {
    if (e instanceof Unsupported) return {kind: 'unsupported', reason: e.message}
    throw e
  }
}
