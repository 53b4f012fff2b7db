// The walk: a connection's first packet, its reply and the client's next packet, each
// through every namespace it crosses, hook by hook, table by table, as the kernel
// orders them (raw, conntrack, mangle, nat, filter, security), with conntrack and NAT
// kept per namespace. A rule whose match the model cannot evaluate is a choice point:
// the whole walk is repeated for each way it could go (depth-first over the choices,
// at most MAX_RUNS walks) and the answer is certain only when every walk agrees.
import {formatIp, parseIp, type Ip} from './addr.js'
import {ALL, candidates, type TableView} from './chains.js'
import {ruleMatches, type CTarget} from './compile.js'
import type {Ruleset} from '../netfilter/types.js'
import {ExplainInputError, Network, type Netns} from './net.js'
import {ACK, ICMP, ICMPV6, SYN, TCP, UDP, newPkt, tcpFlagNames, type CtEntry, type Pkt, type Tuple} from './packet.js'
import type {
  CtState,
  Decision,
  ExplainHost,
  ExplainResult,
  Family,
  Hook,
  NamespaceId,
  Outcome,
  PacketTrace,
  PacketView,
  Proxy,
  Query,
  RuleRef,
  SegmentMember,
  Step,
  Verdict,
} from './types.js'

/** Walks tried when rules outside the model could go either way; beyond it the answer is `unknown`. */
const MAX_RUNS = 64
/** Namespace crossings per packet (a routing loop ends here). */
const MAX_HOPS = 32
/** Rules visited per chain traversal, against a runaway. */
const MAX_VISITS = 1_000_000
const DEFAULT_SOURCE_PORT = 40000

export {ExplainInputError, RulesNeeded} from './net.js'

/** A walk cannot go on: a rule's target is outside the model, or a namespace's rules could not be read. */
class Undecidable extends Error {
  constructor(
    readonly what: string,
    readonly rule?: RuleRef,
  ) {
    super(what)
  }
}

type PacketLabel = PacketTrace['packet']

/** One bridged IPv6 hop, from `from` to `to` on `bridge` of `ns`, whose frames cross ip6tables (br_netfilter). */
interface NeighbourHop {
  ns: Netns
  bridge: string
  from: SegmentMember
  to: SegmentMember
  /** The sender's address (the solicitation's source) and the address it resolves. */
  src: bigint
  target: bigint
}

/** The solicited-node multicast address of `ip` (RFC 4291 2.7.1): ff02::1:ff00:0/104 plus its low 24 bits. */
function solicitedNode(ip: bigint): bigint {
  return 0xff020000000000000000000000000000n | 0x1ff000000n | (ip & 0xffffffn)
}

class Run {
  cursor = 0
  readonly ct = new Map<NamespaceId, CtEntry[]>()
  readonly unmodelled = new Map<string, {rule: RuleRef; what: string}>()
  readonly points: RuleRef[] = []
  readonly accepts: {decision: Decision; hook: Hook}[] = []
  /** Bridged IPv6 hops of the first packet: each needs neighbour discovery to cross first. */
  readonly neighbours: NeighbourHop[] = []
  label: PacketLabel = 'first'

  constructor(readonly choices: boolean[]) {}

  /** Whether a rule that may or may not match is taken to match in this walk. */
  choose(rule: RuleRef, what: string): boolean {
    this.note(rule, what)
    this.points.push(rule)
    const i = this.cursor++
    if (i < this.choices.length) return this.choices[i]!
    this.choices.push(false)
    return false
  }

  note(rule: RuleRef, what: string): void {
    this.unmodelled.set(refKey(rule), {rule, what})
  }

  ctTable(ns: NamespaceId): CtEntry[] {
    let t = this.ct.get(ns)
    if (!t) this.ct.set(ns, (t = []))
    return t
  }
}

function refKey(r: RuleRef): string {
  return `${r.namespace}\u0000${r.family}\u0000${r.table}\u0000${r.chain}\u0000${r.position}`
}

// ---------------------------------------------------------------- packets

function view(p: Pkt): PacketView {
  const v: PacketView = {
    family: p.family,
    src: formatIp({family: p.family, value: p.src}),
    dst: formatIp({family: p.family, value: p.dst}),
    proto: p.proto === TCP ? 'tcp' : p.proto === UDP ? 'udp' : 'icmp',
  }
  if (p.proto === TCP || p.proto === UDP) {
    v.sport = p.sport
    v.dport = p.dport
  } else v.icmpType = p.icmpType
  if (p.proto === TCP) v.tcpFlags = tcpFlagNames(p.tcpFlags)
  return v
}

const ipOf = (p: Pkt, value: bigint): string => formatIp({family: p.family, value})

function tupleOf(p: Pkt): Tuple {
  return {src: p.src, dst: p.dst, sport: p.sport, dport: p.dport}
}

function sameTuple(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.sport === b.sport && a.dport === b.dport
}

/** The packet as it enters another namespace: marks do not cross, conntrack is that namespace's own. */
function crossInto(p: Pkt, ns: Netns): void {
  p.mark = 0
  p.ct = {state: 'NEW', dir: 'original', entry: null}
  p.ns = ns
  p.inIf = ''
  p.outIf = ''
  p.physIn = ''
  p.physOut = ''
  p.bridged = false
}

// ---------------------------------------------------------------- chains

type ChainResult =
  | {kind: 'accept'; decision: Decision}
  | {kind: 'drop'; decision: Decision}
  | {kind: 'nat'; target: CTarget; rule: RuleRef}

interface Frame {
  view: TableView
  chain: ReturnType<TableView['chain']> & object
  list: number[] | typeof ALL
  i: number
}

function effectOf(t: CTarget): string {
  switch (t.kind) {
    case 'accept':
      return 'ACCEPT'
    case 'drop':
      return 'DROP'
    case 'reject':
      return 'REJECT'
    case 'return':
      return 'RETURN'
    case 'jump':
      return `jump ${t.chain}`
    case 'goto':
      return `goto ${t.chain}`
    case 'mark':
      return `MARK set-xmark 0x${t.value.toString(16)}/0x${t.mask.toString(16)}`
    case 'connmark-set':
      return `CONNMARK set-xmark 0x${t.value.toString(16)}/0x${t.mask.toString(16)}`
    case 'connmark-save':
      return 'CONNMARK save-mark'
    case 'connmark-restore':
      return 'CONNMARK restore-mark'
    case 'notrack':
      return 'NOTRACK'
    case 'continue':
      return t.name
    case 'none':
      return 'count'
    case 'unknown':
      return t.name
    default:
      return t.kind.toUpperCase()
  }
}

/**
 * Runs a built-in chain of one table. null when the namespace has no such table or chain
 * (nothing there: the packet goes on).
 */
function traverse(
  run: Run,
  ns: Netns,
  tableName: string,
  hook: Hook,
  p: Pkt,
  steps: Step[],
  notrack?: {set: boolean},
): ChainResult | null {
  const tables = ns.tablesOf(p.family)
  if (tables === null) throw new Undecidable(`the ${p.family} rules of ${ns.id} could not be read`)
  const tv = tables.get(tableName)
  const builtin = tv?.chain(hook)
  if (!tv || !builtin) return null
  steps.push({kind: 'chain', chain: builtin.ref, hook})
  const stack: Frame[] = [{view: tv, chain: builtin, list: candidates(builtin, p), i: 0}]
  let visits = 0
  for (;;) {
    const f = stack[stack.length - 1]!
    const idx = f.list === ALL ? (f.i < f.chain.size ? f.i : -1) : f.i < f.list.length ? f.list[f.i]! : -1
    if (idx < 0) {
      if (stack.length === 1) return policyOf(builtin, hook, steps)
      steps.push({kind: 'return', chain: f.chain.ref})
      stack.pop()
      continue
    }
    f.i++
    if (++visits > MAX_VISITS) throw new Undecidable(`more than ${MAX_VISITS} rules visited in ${tableName} ${hook}`)
    const r = f.chain.rule(idx)
    const m = ruleMatches(r, p)
    if (m === false) continue
    const ref = tv.ruleRef(r)
    let unknown: string | undefined
    if (typeof m === 'string') {
      unknown = m
      if (!run.choose(ref, m)) continue
    }
    const t = r.target
    const step = (effect: string): void => {
      steps.push(unknown === undefined ? {kind: 'rule', rule: ref, effect} : {kind: 'rule', rule: ref, effect, unknown})
    }
    switch (t.kind) {
      case 'accept':
        step('ACCEPT')
        return {kind: 'accept', decision: {kind: 'rule', target: 'ACCEPT', rule: ref}}
      case 'drop':
      case 'reject':
        step(effectOf(t))
        return {kind: 'drop', decision: {kind: 'rule', target: effectOf(t), rule: ref}}
      case 'return':
        step('RETURN')
        if (stack.length === 1) return policyOf(builtin, hook, steps)
        stack.pop()
        continue
      case 'jump':
      case 'goto': {
        const next = tv.chain(t.chain)
        if (!next) {
          run.note(ref, `-j ${t.chain} is not modelled`)
          throw new Undecidable(`target ${t.chain} is not modelled`, ref)
        }
        step(effectOf(t))
        if (stack.length > 64) throw new Undecidable(`chains nested deeper than 64 in ${tableName} ${hook}`, ref)
        const frame: Frame = {view: tv, chain: next, list: candidates(next, p), i: 0}
        if (t.kind === 'goto') stack[stack.length - 1] = frame
        else stack.push(frame)
        continue
      }
      case 'dnat':
      case 'snat':
      case 'masquerade':
      case 'redirect':
        return {kind: 'nat', target: t, rule: ref}
      case 'mark':
        step(effectOf(t))
        p.mark = ((p.mark & ~t.mask) ^ t.value) >>> 0
        continue
      case 'connmark-set':
      case 'connmark-save':
      case 'connmark-restore': {
        step(effectOf(t))
        const e = p.ct.entry
        if (!e) continue
        if (t.kind === 'connmark-set') e.mark = ((e.mark & ~t.mask) ^ t.value) >>> 0
        else if (t.kind === 'connmark-save') e.mark = ((e.mark & ~t.ctmask) ^ (p.mark & t.nfmask)) >>> 0
        else p.mark = ((p.mark & ~t.nfmask) ^ (e.mark & t.ctmask)) >>> 0
        continue
      }
      case 'notrack':
        step('NOTRACK')
        if (notrack) notrack.set = true
        continue
      case 'continue':
      case 'none':
        step(effectOf(t))
        continue
      case 'unknown':
        step(t.name)
        run.note(ref, t.why)
        throw new Undecidable(t.why, ref)
    }
  }
}

function policyOf(chain: NonNullable<ReturnType<TableView['chain']>>, hook: Hook, steps: Step[]): ChainResult {
  const policy = chain.policy ?? 'ACCEPT'
  steps.push({kind: 'policy', chain: chain.ref, policy})
  const decision: Decision = {kind: 'policy', policy, chain: chain.ref}
  void hook
  return policy === 'ACCEPT' ? {kind: 'accept', decision} : {kind: 'drop', decision}
}

// ---------------------------------------------------------------- one namespace

type Next =
  | {kind: 'outcome'; outcome: Outcome}
  | {kind: 'arrive'; ns: Netns; iface: string; physIn: string}
  | {kind: 'bridge'; ns: Netns; bridge: string; physIn: string; target: SegmentMember}

const dropped = (by: Decision): Next => ({kind: 'outcome', outcome: {kind: 'dropped', by}})
const routing = (ns: Netns, reason: string): Next => dropped({kind: 'routing', namespace: ns.id, reason})

class Walker {
  constructor(
    readonly net: Network,
    readonly run: Run,
    readonly steps: Step[],
  ) {}

  /** A filter-like table at one hook: undefined when the packet goes on, else where it ends. */
  private filter(ns: Netns, table: string, hook: Hook, p: Pkt): Next | undefined {
    const r = traverse(this.run, ns, table, hook, p, this.steps)
    if (!r) {
      if (table === 'filter' && this.run.label === 'first')
        this.run.accepts.push({
          hook,
          decision: {
            kind: 'policy',
            policy: 'ACCEPT',
            chain: {namespace: ns.id, family: p.family, table, chain: hook},
          },
        })
      return undefined
    }
    if (r.kind === 'drop') return dropped(r.decision)
    if (r.kind === 'nat') throw new Undecidable(`${r.target.kind.toUpperCase()} outside the nat table`, r.rule)
    if (table === 'filter' && this.run.label === 'first') this.run.accepts.push({hook, decision: r.decision})
    return undefined
  }

  private conntrack(ns: Netns, p: Pkt, untracked: boolean): void {
    if (untracked) {
      p.ct = {state: 'UNTRACKED', dir: 'original', entry: null}
      this.steps.push({kind: 'conntrack', namespace: ns.id, state: 'UNTRACKED', direction: 'original'})
      return
    }
    const table = this.run.ctTable(ns.id)
    const t = tupleOf(p)
    let state: CtState = 'NEW'
    for (const e of table) {
      if (e.proto !== p.proto) continue
      if (sameTuple(e.orig, t)) {
        state = e.seenReply ? 'ESTABLISHED' : 'NEW'
        if (e.seenReply && p.proto === TCP && p.tcpFlags === ACK) e.assured = true
        p.ct = {state, dir: 'original', entry: e}
        this.steps.push({kind: 'conntrack', namespace: ns.id, state, direction: 'original'})
        return
      }
      if (sameTuple(e.reply, t)) {
        e.seenReply = true
        p.ct = {state: 'ESTABLISHED', dir: 'reply', entry: e}
        this.steps.push({kind: 'conntrack', namespace: ns.id, state: 'ESTABLISHED', direction: 'reply'})
        return
      }
    }
    // Nothing known: a SYN-ACK or an echo reply without its request is INVALID; anything else starts a connection
    // (a lone ACK too: nf_conntrack_tcp_loose picks connections up mid-stream).
    // ICMPv6 starts a connection only with an echo request or a node information query
    // (valid_new in nf_conntrack_proto_icmpv6.c): neighbour discovery is INVALID.
    const startsNothing =
      (p.proto === TCP && (p.tcpFlags & (SYN | ACK)) === (SYN | ACK)) ||
      (p.proto === ICMP && p.icmpType === 0) ||
      (p.proto === ICMPV6 && p.icmpType !== 128 && p.icmpType !== 139)
    if (startsNothing) {
      p.ct = {state: 'INVALID', dir: 'original', entry: null}
      this.steps.push({kind: 'conntrack', namespace: ns.id, state: 'INVALID', direction: 'original'})
      return
    }
    const e: CtEntry = {
      proto: p.proto,
      orig: t,
      reply: {src: t.dst, dst: t.src, sport: t.dport, dport: t.sport},
      dstDone: false,
      srcDone: false,
      dnat: false,
      snat: false,
      mark: 0,
      seenReply: false,
      confirmed: false,
      assured: false,
    }
    table.push(e)
    p.ct = {state: 'NEW', dir: 'original', entry: e}
    this.steps.push({kind: 'conntrack', namespace: ns.id, state: 'NEW', direction: 'original'})
  }

  /**
   * raw, conntrack, mangle and nat of PREROUTING or OUTPUT (the destination manipulation).
   * `looped`: the packet comes back in through lo from this namespace's own output, and
   * keeps the connection it left with (nf_conntrack_in skips a packet that has one), so a
   * NAT done in OUTPUT is not looked up afresh, nor decided again by nat PREROUTING.
   */
  private preamble(ns: Netns, hook: 'PREROUTING' | 'OUTPUT', p: Pkt, looped = false): Next | undefined {
    const notrack = {set: false}
    const raw = traverse(this.run, ns, 'raw', hook, p, this.steps, notrack)
    if (raw?.kind === 'drop') return dropped(raw.decision)
    if (looped && (p.ct.entry !== null || p.ct.state === 'UNTRACKED'))
      this.steps.push({kind: 'conntrack', namespace: ns.id, state: p.ct.state, direction: p.ct.dir})
    else this.conntrack(ns, p, notrack.set)
    const mangle = this.filter(ns, 'mangle', hook, p)
    if (mangle) return mangle
    return this.natDst(ns, hook, p)
  }

  private natDst(ns: Netns, hook: 'PREROUTING' | 'OUTPUT', p: Pkt): Next | undefined {
    const e = p.ct.entry
    if (!e) return undefined
    if (p.ct.dir === 'original' && !e.seenReply && !e.dstDone) {
      const r = traverse(this.run, ns, 'nat', hook, p, this.steps)
      e.dstDone = true
      if (!r || r.kind === 'accept') return undefined
      if (r.kind === 'drop') return dropped(r.decision)
      const before = `${ipOf(p, p.dst)}${portSuffix(p, p.dport)}`
      if (r.target.kind === 'dnat') {
        if (r.target.to.addr !== undefined) p.dst = r.target.to.addr
        if (r.target.to.port !== undefined && hasPorts(p)) p.dport = r.target.to.port
      } else if (r.target.kind === 'redirect') {
        const to = redirectAddress(ns, p, hook)
        if (to === undefined) return dropped({kind: 'rule', target: 'REDIRECT', rule: r.rule})
        p.dst = to
        if (r.target.port !== undefined && hasPorts(p)) p.dport = r.target.port
      } else throw new Undecidable(`${r.target.kind.toUpperCase()} in ${hook}`, r.rule)
      const kind = r.target.kind === 'dnat' ? 'DNAT' : 'REDIRECT'
      const after = `${ipOf(p, p.dst)}${portSuffix(p, p.dport)}`
      this.steps.push({kind: 'rule', rule: r.rule, effect: `${kind} to ${after}`})
      this.steps.push({kind: 'nat', namespace: ns.id, nat: kind, from: before, to: after, rule: r.rule})
      e.reply.src = p.dst
      e.reply.sport = p.dport
      e.dnat = true
      return undefined
    }
    // A known connection: conntrack repeats the translation it decided (DNAT one way, un-SNAT the other).
    const before = `${ipOf(p, p.dst)}${portSuffix(p, p.dport)}`
    if (p.ct.dir === 'original' && e.dnat) {
      p.dst = e.reply.src
      p.dport = e.reply.sport
    } else if (p.ct.dir === 'reply' && e.snat) {
      p.dst = e.orig.src
      p.dport = e.orig.sport
    } else return undefined
    const after = `${ipOf(p, p.dst)}${portSuffix(p, p.dport)}`
    // Already translated (a packet looped back through lo): nothing happens to it.
    if (after === before) return undefined
    this.steps.push({
      kind: 'nat',
      namespace: ns.id,
      nat: p.ct.dir === 'original' ? 'DNAT' : 'un-NAT',
      from: before,
      to: after,
    })
    return undefined
  }

  private natSrc(ns: Netns, hook: 'POSTROUTING' | 'INPUT', p: Pkt, nextHop: Ip | null): Next | undefined {
    const e = p.ct.entry
    if (!e) return undefined
    if (p.ct.dir === 'original' && !e.seenReply && !e.srcDone) {
      const r = traverse(this.run, ns, 'nat', hook, p, this.steps)
      e.srcDone = true
      if (!r || r.kind === 'accept') return undefined
      if (r.kind === 'drop') return dropped(r.decision)
      const before = `${ipOf(p, p.src)}${portSuffix(p, p.sport)}`
      if (r.target.kind === 'snat') {
        if (r.target.to.addr !== undefined) p.src = r.target.to.addr
        if (r.target.to.port !== undefined && hasPorts(p)) p.sport = r.target.to.port
      } else if (r.target.kind === 'masquerade') {
        if (hook !== 'POSTROUTING' || nextHop === null) throw new Undecidable('MASQUERADE outside POSTROUTING', r.rule)
        const src = ns.sourceFor(p.outIf, nextHop)
        if (!src) return dropped({kind: 'routing', namespace: ns.id, reason: `MASQUERADE: no address on ${p.outIf}`})
        p.src = src.value
        if (r.target.port !== undefined && hasPorts(p)) p.sport = r.target.port
      } else throw new Undecidable(`${r.target.kind.toUpperCase()} in ${hook}`, r.rule)
      const kind = r.target.kind === 'snat' ? 'SNAT' : 'MASQUERADE'
      const after = `${ipOf(p, p.src)}${portSuffix(p, p.sport)}`
      this.steps.push({kind: 'rule', rule: r.rule, effect: `${kind} to ${after}`})
      this.steps.push({kind: 'nat', namespace: ns.id, nat: kind, from: before, to: after, rule: r.rule})
      e.reply.dst = p.src
      e.reply.dport = p.sport
      e.snat = true
      return undefined
    }
    const before = `${ipOf(p, p.src)}${portSuffix(p, p.sport)}`
    if (p.ct.dir === 'original' && e.snat) {
      p.src = e.reply.dst
      p.sport = e.reply.dport
    } else if (p.ct.dir === 'reply' && e.dnat) {
      p.src = e.orig.dst
      p.sport = e.orig.dport
    } else return undefined
    const after = `${ipOf(p, p.src)}${portSuffix(p, p.sport)}`
    if (after === before) return undefined
    this.steps.push({
      kind: 'nat',
      namespace: ns.id,
      nat: p.ct.dir === 'original' ? 'SNAT' : 'un-NAT',
      from: before,
      to: after,
    })
    return undefined
  }

  private confirm(p: Pkt): void {
    if (p.ct.entry) p.ct.entry.confirmed = true
  }

  /** A packet a process of `ns` sends. */
  localOut(ns: Netns, p: Pkt): Next {
    const dst: Ip = {family: p.family, value: p.dst}
    let route = ns.route(dst)
    if (route.kind === 'none') return routing(ns, `no route to ${ipOf(p, p.dst)}`)
    let dev = route.kind === 'local' ? 'lo' : route.dev
    let nextHop: Ip = route.kind === 'local' ? dst : route.nextHop
    p.inIf = ''
    p.outIf = dev
    this.steps.push({kind: 'enter', namespace: ns.id, packet: view(p)})
    this.steps.push({
      kind: 'route',
      namespace: ns.id,
      decision: 'output',
      interface: dev,
      nextHop: formatIp(nextHop),
    })
    const before = p.dst
    const pre = this.preamble(ns, 'OUTPUT', p)
    if (pre) return pre
    if (p.dst !== before) {
      route = ns.route({family: p.family, value: p.dst})
      if (route.kind === 'none') return routing(ns, `no route to ${ipOf(p, p.dst)}`)
      dev = route.kind === 'local' ? 'lo' : route.dev
      nextHop = route.kind === 'local' ? {family: p.family, value: p.dst} : route.nextHop
      p.outIf = dev
      this.steps.push({
        kind: 'route',
        namespace: ns.id,
        decision: 'output',
        interface: dev,
        nextHop: formatIp(nextHop),
      })
    }
    const filter = this.filter(ns, 'filter', 'OUTPUT', p) ?? this.filter(ns, 'security', 'OUTPUT', p)
    if (filter) return filter
    return this.postrouting(ns, p, dev, nextHop)
  }

  private postrouting(ns: Netns, p: Pkt, dev: string, nextHop: Ip): Next {
    p.outIf = dev
    const mangle = this.filter(ns, 'mangle', 'POSTROUTING', p)
    if (mangle) return mangle
    const nat = this.natSrc(ns, 'POSTROUTING', p, nextHop)
    if (nat) return nat
    this.confirm(p)
    return this.transmit(ns, p, dev, nextHop)
  }

  /** A packet received on `iface` of `ns` (from a bridge port `physIn` when br_netfilter saw it). */
  arrive(ns: Netns, iface: string, physIn: string, p: Pkt, looped = false): Next {
    p.inIf = iface
    p.outIf = ''
    p.physIn = physIn
    p.physOut = ''
    p.bridged = false
    this.steps.push({
      kind: 'enter',
      namespace: ns.id,
      interface: iface,
      ...(physIn ? {physdev: physIn} : {}),
      packet: view(p),
    })
    const pre = this.preamble(ns, 'PREROUTING', p, looped)
    if (pre) return pre
    return this.routeArrived(ns, p)
  }

  private routeArrived(ns: Netns, p: Pkt): Next {
    const dst: Ip = {family: p.family, value: p.dst}
    if (p.inIf !== 'lo' && isLoopback(dst))
      return routing(ns, `martian destination ${ipOf(p, p.dst)} arriving on ${p.inIf}`)
    const route = ns.route(dst)
    if (route.kind === 'local') {
      this.steps.push({kind: 'route', namespace: ns.id, decision: 'local', interface: route.dev})
      return this.input(ns, p)
    }
    if (route.kind === 'none') return routing(ns, `no route to ${ipOf(p, p.dst)}`)
    if (!ns.forwarding(p.family))
      return routing(ns, `${p.family} forwarding is off in ${ns.id}, and ${ipOf(p, p.dst)} is not local`)
    this.steps.push({
      kind: 'route',
      namespace: ns.id,
      decision: 'forward',
      interface: route.dev,
      nextHop: formatIp(route.nextHop),
    })
    return this.forward(ns, p, route.dev, route.nextHop)
  }

  private forward(ns: Netns, p: Pkt, dev: string, nextHop: Ip): Next {
    p.outIf = dev
    const f =
      this.filter(ns, 'mangle', 'FORWARD', p) ??
      this.filter(ns, 'filter', 'FORWARD', p) ??
      this.filter(ns, 'security', 'FORWARD', p)
    if (f) return f
    return this.postrouting(ns, p, dev, nextHop)
  }

  private input(ns: Netns, p: Pkt): Next {
    const f =
      this.filter(ns, 'mangle', 'INPUT', p) ??
      this.filter(ns, 'filter', 'INPUT', p) ??
      this.filter(ns, 'security', 'INPUT', p)
    if (f) return f
    const nat = this.natSrc(ns, 'INPUT', p, null)
    if (nat) return nat
    this.confirm(p)
    return this.deliver(ns, p)
  }

  /** A frame bridged by `bridge` of `ns` from port `physIn` toward `target`, through iptables (br_netfilter). */
  bridge(ns: Netns, bridge: string, physIn: string, target: SegmentMember, p: Pkt): Next {
    p.inIf = bridge
    p.outIf = ''
    p.physIn = physIn
    p.physOut = ''
    p.bridged = false
    this.steps.push({kind: 'enter', namespace: ns.id, interface: bridge, physdev: physIn, packet: view(p)})
    const before = p.dst
    const pre = this.preamble(ns, 'PREROUTING', p)
    if (pre) return pre
    if (p.dst !== before) {
      // br_netfilter routes a frame whose destination DNAT changed; it stays bridged only when the route leads back out of the same bridge.
      const route = ns.route({family: p.family, value: p.dst})
      if (route.kind !== 'unicast' || route.dev !== bridge) return this.routeArrived(ns, p)
      const seg = this.net.end(ns.id, bridge)?.segment
      const member = seg?.members.find((m) => this.net.ns(m.namespace).hasAddressOn(m.interface, route.nextHop))
      if (!member) return routing(ns, `no host answers for ${formatIp(route.nextHop)} on ${bridge}`)
      target = member
    }
    this.steps.push({kind: 'route', namespace: ns.id, decision: 'bridge', interface: bridge})
    p.outIf = bridge
    p.physOut = target.port ?? ''
    p.bridged = true
    const f =
      this.filter(ns, 'mangle', 'FORWARD', p) ??
      this.filter(ns, 'filter', 'FORWARD', p) ??
      this.filter(ns, 'security', 'FORWARD', p) ??
      this.filter(ns, 'mangle', 'POSTROUTING', p) ??
      this.natSrc(ns, 'POSTROUTING', p, {family: p.family, value: p.dst})
    if (f) return f
    this.confirm(p)
    return {kind: 'arrive', ns: this.net.ns(target.namespace), iface: target.interface, physIn: ''}
  }

  /**
   * Neighbour discovery across a bridged IPv6 hop: the solicitation (to the target's
   * solicited-node multicast address) or the advertisement back. br_netfilter passes both
   * through ip6tables like any bridged frame, so a rule that drops them (Docker 20.10's
   * isolation of an internal network drops every destination outside its subnet) stops the
   * connection before its first packet is sent.
   */
  neighbour(hop: NeighbourHop, message: 'solicitation' | 'advertisement'): Outcome {
    const solicit = message === 'solicitation'
    const p = newPkt({
      family: 'ipv6',
      src: solicit ? hop.src : hop.target,
      dst: solicit ? solicitedNode(hop.target) : hop.src,
      proto: ICMPV6,
      sport: 0,
      dport: 0,
      icmpType: solicit ? 135 : 136,
      tcpFlags: 0,
      ns: hop.ns,
    })
    const [from, to] = solicit ? [hop.from, hop.to] : [hop.to, hop.from]
    const next = this.bridge(hop.ns, hop.bridge, from.port ?? '', to, p)
    if (next.kind === 'outcome') return next.outcome
    const address = ipOf(p, p.dst)
    this.steps.push({kind: 'deliver', namespace: to.namespace, address})
    return {kind: 'delivered', namespace: to.namespace, address}
  }

  private transmit(ns: Netns, p: Pkt, dev: string, nextHop: Ip): Next {
    if (dev === 'lo') return {kind: 'arrive', ns, iface: 'lo', physIn: ''}
    const end = this.net.end(ns.id, dev)
    if (!end) {
      this.steps.push({kind: 'leave', namespace: ns.id, interface: dev, nextHop: formatIp(nextHop)})
      return {kind: 'outcome', outcome: {kind: 'left', namespace: ns.id, interface: dev, nextHop: formatIp(nextHop)}}
    }
    const seg = end.segment
    const holds = (nsId: NamespaceId, iface: string): boolean => this.net.ns(nsId).hasAddressOn(iface, nextHop)
    if (end.role === 'bridge') {
      const member = seg.members.find((m) => holds(m.namespace, m.interface))
      if (!member) return routing(ns, `no host answers for ${formatIp(nextHop)} on ${dev}`)
      return {kind: 'arrive', ns: this.net.ns(member.namespace), iface: member.interface, physIn: ''}
    }
    const from = end.member!
    if (seg.bridge && holds(seg.bridge.namespace, seg.bridge.name)) {
      const bns = this.net.ns(seg.bridge.namespace)
      const physIn = bns.bridgeNetfilter(p.family) ? (from.port ?? '') : ''
      return {kind: 'arrive', ns: bns, iface: seg.bridge.name, physIn}
    }
    const other = seg.members.find((m) => m !== from && holds(m.namespace, m.interface))
    if (!other) return routing(ns, `no host answers for ${formatIp(nextHop)} on ${dev}`)
    if (seg.bridge) {
      const bns = this.net.ns(seg.bridge.namespace)
      if (bns.bridgeNetfilter(p.family)) {
        if (p.family === 'ipv6' && this.run.label === 'first')
          this.run.neighbours.push({
            ns: bns,
            bridge: seg.bridge.name,
            from,
            to: other,
            src: p.src,
            target: nextHop.value,
          })
        return {kind: 'bridge', ns: bns, bridge: seg.bridge.name, physIn: from.port ?? '', target: other}
      }
    }
    return {kind: 'arrive', ns: this.net.ns(other.namespace), iface: other.interface, physIn: ''}
  }

  private deliver(ns: Netns, p: Pkt): Next {
    const address = ipOf(p, p.dst)
    const port = hasPorts(p) ? p.dport : undefined
    this.steps.push({kind: 'deliver', namespace: ns.id, address, ...(port !== undefined ? {port} : {})})
    const proxy = port === undefined ? undefined : findProxy(this.net.proxies, ns.id, p, port)
    if (proxy) return {kind: 'outcome', outcome: {kind: 'delivered', namespace: ns.id, address, port, proxy}}
    // Only a connection's first packet needs a listener; the others belong to sockets it made.
    const sockets = this.run.label === 'first' ? ns.input.sockets : undefined
    if (sockets && port !== undefined) {
      const proto = p.proto === TCP ? 'tcp' : 'udp'
      const open = sockets.some(
        (s) =>
          s.proto === proto &&
          s.port === port &&
          (s.address === (p.family === 'ipv4' ? '0.0.0.0' : '::') || parseIp(s.address)?.value === p.dst),
      )
      if (!open)
        return dropped({kind: 'socket', namespace: ns.id, reason: `nothing listens on ${address} ${proto}/${port}`})
    }
    return {
      kind: 'outcome',
      outcome: {kind: 'delivered', namespace: ns.id, address, ...(port !== undefined ? {port} : {})},
    }
  }

  /** Follows a packet from where it starts until it is delivered, dropped or leaves the model. */
  walk(start: Next, p: Pkt): Outcome {
    let at = start
    for (let hops = 0; ; hops++) {
      if (at.kind === 'outcome') return at.outcome
      if (hops > MAX_HOPS) return {kind: 'dropped', by: {kind: 'routing', namespace: at.ns.id, reason: 'routing loop'}}
      if (at.kind === 'arrive') {
        const looped = p.ns === at.ns && at.iface === 'lo'
        if (p.ns !== at.ns) crossInto(p, at.ns)
        at = this.arrive(at.ns, at.iface, at.physIn, p, looped)
      } else {
        if (p.ns !== at.ns) crossInto(p, at.ns)
        at = this.bridge(at.ns, at.bridge, at.physIn, at.target, p)
      }
    }
  }
}

function hasPorts(p: Pkt): boolean {
  return p.proto === TCP || p.proto === UDP
}

function portSuffix(p: Pkt, port: number): string {
  if (!hasPorts(p)) return ''
  return p.family === 'ipv6' ? ` port ${port}` : `:${port}`
}

function isLoopback(ip: Ip): boolean {
  return ip.family === 'ipv4' ? ip.value >> 24n === 127n : ip.value === 1n
}

function redirectAddress(ns: Netns, p: Pkt, hook: 'PREROUTING' | 'OUTPUT'): bigint | undefined {
  if (hook === 'OUTPUT' || p.inIf === 'lo') return p.family === 'ipv4' ? 0x7f000001n : 1n
  return ns.addressesOn(p.inIf, p.family)[0]?.ip.value
}

function findProxy(proxies: readonly Proxy[], ns: NamespaceId, p: Pkt, port: number): Proxy | undefined {
  const proto = p.proto === TCP ? 'tcp' : 'udp'
  const any = p.family === 'ipv4' ? '0.0.0.0' : '::'
  return proxies.find((x) => {
    if (x.namespace !== ns || x.proto !== proto || x.port !== port) return false
    if (x.address === any) return true
    const a = parseIp(x.address)
    return a !== null && a.family === p.family && a.value === p.dst
  })
}

// ---------------------------------------------------------------- a connection

interface Resolved {
  family: Family
  from: {kind: 'namespace'; ns: Netns; src: bigint} | {kind: 'client'; ns: Netns; iface: string; src: bigint}
  dst: bigint
  proto: number
  dport: number
  sport: number
}

function resolve(net: Network, q: Query): Resolved {
  const to = parseIp(q.to)
  if (!to) throw new ExplainInputError(`destination ${JSON.stringify(q.to)} is not an IP address`)
  const family = to.family
  const port = q.port
  if (q.proto !== 'icmp' && (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535))
    throw new ExplainInputError(`${q.proto} needs a destination port from 1 to 65535`)
  const sport = q.sourcePort ?? DEFAULT_SOURCE_PORT
  if (!Number.isInteger(sport) || sport < 0 || sport > 65535)
    throw new ExplainInputError(`source port ${sport} is not from 0 to 65535`)
  const proto = q.proto === 'tcp' ? TCP : q.proto === 'udp' ? UDP : family === 'ipv6' ? ICMPV6 : ICMP
  const base = {family, dst: to.value, proto, dport: q.proto === 'icmp' ? sport : port!, sport}
  if (q.from.kind === 'namespace') {
    const ns = net.ns(q.from.namespace)
    if (q.from.address === undefined) {
      // The address the kernel would send from: the route's preferred source, else one of the output interface's.
      const route = ns.route(to)
      const src =
        route.kind === 'local'
          ? to
          : route.kind === 'unicast'
            ? (route.src ?? ns.sourceFor(route.dev, route.nextHop))
            : // No route: any address will do, the walk stops at the routing decision.
              ns.anyAddress(family)
      if (!src) throw new ExplainInputError(`${ns.id} has no ${family} address to send from`)
      return {...base, from: {kind: 'namespace', ns, src: src.value}}
    }
    const src = parseIp(q.from.address)
    if (!src) throw new ExplainInputError(`source ${JSON.stringify(q.from.address)} is not an IP address`)
    if (src.family !== family)
      throw new ExplainInputError(`source ${q.from.address} and destination ${q.to} are of different families`)
    if (!ns.isLocal(src)) throw new ExplainInputError(`${q.from.address} is not an address of ${ns.id}`)
    return {...base, from: {kind: 'namespace', ns, src: src.value}}
  }
  const client = q.from
  const ns = net.ns(client.namespace ?? 'host')
  const src = parseIp(client.address)
  if (!src) throw new ExplainInputError(`client address ${JSON.stringify(client.address)} is not an IP address`)
  if (src.family !== family)
    throw new ExplainInputError(`client ${client.address} and destination ${q.to} are of different families`)
  let iface = client.interface
  if (iface === undefined) {
    const back = ns.route(src)
    if (back.kind === 'local') throw new ExplainInputError(`${client.address} is an address of ${ns.id}, not a client`)
    if (back.kind === 'none') throw new ExplainInputError(`${ns.id} has no route to the client ${client.address}`)
    iface = back.dev
  }
  if (!ns.input.interfaces.some((i) => i.name === iface))
    throw new ExplainInputError(`${ns.id} has no interface ${iface}`)
  return {...base, from: {kind: 'client', ns, iface, src: src.value}}
}

function makePkt(r: Resolved, label: PacketLabel, ns: Netns): Pkt {
  const icmp = r.proto === ICMP || r.proto === ICMPV6
  return newPkt({
    family: r.family,
    src: r.from.src,
    dst: r.dst,
    proto: r.proto,
    sport: r.sport,
    dport: r.dport,
    icmpType: icmp ? (r.proto === ICMP ? 8 : 128) : 0,
    tcpFlags: r.proto === TCP ? (label === 'first' ? SYN : ACK) : 0,
    ns,
  })
}

interface RunResult {
  verdict: Verdict
  summary: string
  traces: PacketTrace[]
  decidedBy: Decision
  accepts: Decision[]
  proxy?: Proxy
}

function send(w: Walker, r: Resolved, p: Pkt): Outcome {
  if (r.from.kind === 'namespace') return w.walk(w.localOut(r.from.ns, p), p)
  return w.walk({kind: 'arrive', ns: r.from.ns, iface: r.from.iface, physIn: ''}, p)
}

function describeDecision(d: Decision): string {
  switch (d.kind) {
    case 'rule':
      return `${d.rule.namespace} ${d.rule.family === 'ipv6' ? 'ip6tables' : 'iptables'} ${d.rule.table} ${d.rule.text} (rule ${d.rule.position} of ${d.rule.chain}, ${ownerText(d.rule)})`
    case 'policy':
      return `${d.chain.namespace} ${d.chain.table} ${d.chain.chain} policy ${d.policy}`
    case 'routing':
    case 'socket':
      return `${d.namespace}: ${d.reason}`
    case 'unknown':
      return d.reason
  }
}

function ownerText(r: RuleRef): string {
  const o = r.owner
  return o.kind === 'dockwall' ? `dockwall:${o.address}` : o.kind === 'docker' ? 'Docker' : 'foreign'
}

function simulate(net: Network, run: Run, r: Resolved): RunResult {
  const traces: PacketTrace[] = []
  const trace = (label: PacketLabel, f: (w: Walker) => Outcome): Outcome => {
    run.label = label
    const steps: Step[] = []
    const outcome = f(new Walker(net, run, steps))
    traces.push({packet: label, steps, outcome})
    return outcome
  }
  const pick = (): Decision => {
    const by = (h: Hook): Decision | undefined => [...run.accepts].reverse().find((a) => a.hook === h)?.decision
    return (
      by('FORWARD') ??
      by('INPUT') ??
      by('OUTPUT') ?? {kind: 'routing', namespace: r.from.ns.id, reason: 'no filter chain on the path'}
    )
  }
  const deny = (which: string, d: Decision): RunResult => ({
    verdict: 'deny',
    summary: `deny: ${which} ${d.kind === 'rule' ? `dropped by ${describeDecision(d)}` : d.kind === 'policy' ? `dropped by the policy of ${describeDecision(d)}` : `dropped: ${describeDecision(d)}`}`,
    traces,
    decidedBy: d,
    accepts: run.accepts.map((a) => a.decision),
  })

  // 1. The first packet.
  const first = makePkt(r, 'first', r.from.ns)
  const firstOut = trace('first', (w) => send(w, r, first))
  if (firstOut.kind === 'dropped') return deny('the first packet is', firstOut.by)
  if (r.from.kind === 'client' && firstOut.kind === 'left' && firstOut.namespace === r.from.ns.id) {
    // Sent back out toward the client's side: nothing in the model answers.
    if (firstOut.interface === r.from.iface)
      return deny('the first packet is', {
        kind: 'routing',
        namespace: firstOut.namespace,
        reason: `sent back out of ${firstOut.interface}`,
      })
  }

  // 1b. Each bridged IPv6 hop of the first packet needed neighbour discovery before it. Its
  // traces follow the first packet's, so that traces[0] stays the first packet for every reader.
  for (const hop of run.neighbours.splice(0)) {
    for (const message of ['solicitation', 'advertisement'] as const) {
      const out = trace('neighbour', (w) => w.neighbour(hop, message))
      if (out.kind === 'dropped')
        return deny(
          `neighbour discovery for ${formatIp({family: 'ipv6', value: hop.target})} (the neighbour ${message}, needed before the first packet) is`,
          out.by,
        )
    }
  }

  // 2. The reply, from where the first packet ended, back the way conntrack knows.
  const reply = {...first}
  reply.src = first.dst
  reply.dst = first.src
  reply.sport = first.dport
  reply.dport = first.sport
  reply.tcpFlags = r.proto === TCP ? SYN | ACK : 0
  reply.icmpType = r.proto === ICMP ? 0 : r.proto === ICMPV6 ? 129 : 0
  const at = net.ns(firstOut.namespace)
  crossInto(reply, at)
  const replyOut = trace('reply', (w) =>
    firstOut.kind === 'delivered'
      ? w.walk(w.localOut(at, reply), reply)
      : // Left the model: the answer comes back in through the same interface.
        w.walk({kind: 'arrive', ns: at, iface: firstOut.interface, physIn: ''}, reply),
  )
  if (replyOut.kind === 'dropped') return deny('the reply is', replyOut.by)
  if (r.from.kind === 'namespace') {
    const ok =
      replyOut.kind === 'delivered' &&
      replyOut.namespace === r.from.ns.id &&
      replyOut.address === ipOf(first, r.from.src)
    if (!ok)
      return deny('the reply is', {
        kind: 'routing',
        namespace: replyOut.namespace,
        reason:
          replyOut.kind === 'delivered'
            ? `the reply is delivered to ${replyOut.namespace} ${replyOut.address}, not back to the sender`
            : `the reply leaves through ${replyOut.interface} instead of returning to ${r.from.ns.id}`,
      })
  } else {
    const ok = replyOut.kind === 'left' && replyOut.namespace === r.from.ns.id && replyOut.interface === r.from.iface
    if (!ok)
      return deny('the reply is', {
        kind: 'routing',
        namespace: replyOut.namespace,
        reason:
          replyOut.kind === 'left'
            ? `the reply leaves ${replyOut.namespace} through ${replyOut.interface}, not ${r.from.iface} where the client is`
            : `the reply is delivered to ${replyOut.namespace} ${replyOut.address} instead of the client`,
      })
  }

  // 3. TCP: the client's next packet (the handshake's ACK), now ESTABLISHED.
  if (r.proto === TCP) {
    const next = makePkt(r, 'next', r.from.ns)
    const nextOut = trace('next', (w) => send(w, r, next))
    if (nextOut.kind === 'dropped') return deny("the client's next packet is", nextOut.by)
    const same =
      (nextOut.kind === 'delivered' &&
        firstOut.kind === 'delivered' &&
        nextOut.namespace === firstOut.namespace &&
        nextOut.address === firstOut.address) ||
      (nextOut.kind === 'left' &&
        firstOut.kind === 'left' &&
        nextOut.namespace === firstOut.namespace &&
        nextOut.interface === firstOut.interface)
    if (!same)
      return deny("the client's next packet is", {
        kind: 'routing',
        namespace: nextOut.namespace,
        reason: 'the next packet of the connection does not reach where the first one did',
      })
  }

  const decidedBy = pick()
  const where =
    firstOut.kind === 'delivered'
      ? `reaches ${firstOut.namespace} ${firstOut.address}${firstOut.port !== undefined ? ` port ${firstOut.port}` : ''}`
      : `leaves ${firstOut.namespace} through ${firstOut.interface}`
  return {
    verdict: 'allow',
    summary: `allow: ${where}; ${describeDecision(decidedBy)} let it through`,
    traces,
    decidedBy,
    accepts: run.accepts.map((a) => a.decision),
    ...(firstOut.kind === 'delivered' && firstOut.proxy ? {proxy: firstOut.proxy} : {}),
  }
}

// ---------------------------------------------------------------- entry points

export interface ExplainOptions {
  /** Proxies relay at most this deep (a proxy to a proxy...). Default 2. */
  maxRelays?: number
}

export interface ExplainerOptions {
  /** Chains with at least this many rules get an index (default 32; Infinity: never, for tests). */
  indexMinRules?: number
}

/** Prepares a host once (topology, lazily compiled chains) for many questions. */
export class Explainer {
  readonly network: Network

  constructor(host: ExplainHost, opts: ExplainerOptions = {}) {
    this.network = new Network(host, opts)
  }

  explain(query: Query, opts: ExplainOptions = {}): ExplainResult {
    return this.explainDepth(query, opts.maxRelays ?? 2)
  }

  /** Rules of a deferred family (RulesNeeded), read: the chains compiled so far stay. */
  provideRules(namespace: NamespaceId, family: Family, ruleset: Ruleset | null | undefined): void {
    this.network.ns(namespace).provideRules(family, ruleset)
  }

  private explainDepth(query: Query, relays: number): ExplainResult {
    const r = resolve(this.network, query)
    const results: {res: RunResult | {undecidable: Undecidable; traces: PacketTrace[]}; run: Run}[] = []
    let choices: boolean[] = []
    let exhausted = false
    for (let n = 0; n < MAX_RUNS; n++) {
      const run = new Run(choices)
      let res: RunResult | {undecidable: Undecidable; traces: PacketTrace[]}
      try {
        res = simulate(this.network, run, r)
      } catch (error) {
        if (!(error instanceof Undecidable)) throw error
        res = {undecidable: error, traces: []}
      }
      results.push({res, run})
      const c = run.choices.slice(0, run.cursor)
      let j = c.length - 1
      while (j >= 0 && c[j]) j--
      if (j < 0) {
        exhausted = true
        break
      }
      choices = [...c.slice(0, j), true]
    }
    const unmodelled = new Map<string, {rule: RuleRef; what: string}>()
    for (const {run} of results) for (const [k, v] of run.unmodelled) unmodelled.set(k, v)
    const firstRes = results[0]!.res
    const verdicts = new Set(results.map(({res}) => ('undecidable' in res ? 'unknown' : res.verdict)))
    const base = {family: r.family, unmodelled: [...unmodelled.values()]}
    if ('undecidable' in firstRes || verdicts.size > 1 || verdicts.has('unknown') || !exhausted) {
      const rules = [...unmodelled.values()].map((u) => u.rule)
      const undecidable = results.map(({res}) => res).find((x) => 'undecidable' in x) as
        {undecidable: Undecidable} | undefined
      const reason = !exhausted
        ? `more than ${MAX_RUNS} ways through rules outside the model`
        : undecidable
          ? `${undecidable.undecidable.what}${undecidable.undecidable.rule ? ` (${describeDecision({kind: 'rule', target: '', rule: undecidable.undecidable.rule})})` : ''}`
          : `the answer depends on ${rules.length === 1 ? 'a rule' : 'rules'} outside the model: ${[
              ...unmodelled.values(),
            ]
              .map((u) => `${u.what} in ${u.rule.namespace} ${u.rule.table} ${u.rule.chain} rule ${u.rule.position}`)
              .join('; ')}`
      return {
        ...base,
        verdict: 'unknown',
        summary: `unknown: ${reason}`,
        traces: 'undecidable' in firstRes ? [] : firstRes.traces,
        decidedBy: {kind: 'unknown', reason, rules},
        accepts: 'undecidable' in firstRes ? [] : firstRes.accepts,
      }
    }
    const res = firstRes
    const out: ExplainResult = {
      ...base,
      verdict: res.verdict,
      summary: res.summary,
      traces: res.traces,
      decidedBy: res.decidedBy,
      accepts: res.accepts,
    }
    if (res.proxy) {
      const to = res.proxy.to
      if (relays <= 0) {
        out.verdict = 'unknown'
        out.summary = 'unknown: proxies relay deeper than the model follows'
        out.decidedBy = {kind: 'unknown', reason: out.summary, rules: []}
        return out
      }
      const relay = this.explainDepth(
        {
          from: {kind: 'namespace', namespace: res.proxy.namespace},
          to: to.address,
          proto: res.proxy.proto,
          port: to.port,
        },
        relays - 1,
      )
      out.relay = relay
      if (relay.verdict !== 'allow') {
        out.verdict = relay.verdict
        out.decidedBy = relay.decidedBy
        out.summary = `${relay.verdict}: accepted by the proxy in ${res.proxy.namespace}, whose connection onward: ${relay.summary}`
      } else out.summary = `allow: accepted by the proxy in ${res.proxy.namespace} and relayed: ${relay.summary}`
    }
    return out
  }
}

/** One question about one host (prepare an Explainer to ask many). */
export function explain(host: ExplainHost, query: Query, opts: ExplainOptions = {}): ExplainResult {
  return new Explainer(host).explain(query, opts)
}
