// What packets a rule matches, coarsely: addresses, interfaces, protocol, destination
// ports and conntrack states. Enough to answer the two questions import asks when it
// moves a rule into dockwall's chain: "can these two rules match the same packet?"
// (if not, their order does not matter) and "does this rule match every packet that
// one matches?" (then the later one is never reached).
//
// Anything not modelled here (other match modules, negations) makes a condition
// `partial`: its fields then over-approximate what the rule matches. That keeps
// `mayOverlap` safe (it may say yes too often, never no wrongly) and stops `covers`
// from claiming what it cannot know.
import {type Cidr, cidrContainsCidr, parseCidr} from '../config/ipv4.js'
import {type Cidr6, cidr6ContainsCidr, parseCidr6} from '../config/ipv6.js'
import type {PortRange} from '../model/types.js'
import {normalizeAddress, normalizeProtocol, type Rule} from '../netfilter/index.js'

/**
 * An address block of either family: IPv4 keeps its number form (the hot path at
 * 20,000 rules), IPv6 a bigint. The rules of one chain are all of one family
 * (iptables or ip6tables), so two blocks compared here are always alike; a
 * comparison across families answers "disjoint".
 */
export type Net = Cidr | Cidr6

/** `a.b.c.d/len` or `addr/len` (iptables-save's normal form) as a Net; undefined otherwise. */
export function parseNet(text: string): Net | undefined {
  return parseCidr(text) ?? parseCidr6(text)
}

export function netContains(outer: Net, inner: Net): boolean {
  if (typeof outer.ip === 'number')
    return typeof inner.ip === 'number' && cidrContainsCidr(outer as Cidr, inner as Cidr)
  return typeof inner.ip === 'bigint' && cidr6ContainsCidr(outer as Cidr6, inner as Cidr6)
}

export interface Cond {
  src?: Net
  dst?: Net
  /** Interface names; a trailing `+` is a prefix wildcard, as in iptables. */
  inIf?: string
  outIf?: string
  proto?: string
  /** Destination ports (with tcp or udp). */
  dports?: readonly PortRange[]
  /** Conntrack states (NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED); undefined is every state. */
  states?: ReadonlySet<string>
  /** Only connections whose destination was rewritten (`--ctstate DNAT`, what a port forward's accept matches). */
  dnat?: boolean
  partial: boolean
}

export const ANY: Cond = {partial: false}

/** Replies and related packets: what the firewall block's first forward rule accepts. */
export const ESTABLISHED_COND: Cond = {states: new Set(['ESTABLISHED', 'RELATED']), partial: false}

// DNAT and SNAT are "virtual" states (a flag on the connection, not a stage of it), so
// they are not disjoint from NEW: `--ctstate DNAT` alone is its own field, other mixes
// are treated as partial.
const REAL_STATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'])

function ports(text: string): PortRange[] | undefined {
  const out: PortRange[] = []
  for (const part of text.split(',')) {
    const m = /^([0-9]+)(?::([0-9]+))?$/.exec(part)
    if (!m) return undefined
    out.push({from: Number(m[1]), to: m[2] === undefined ? Number(m[1]) : Number(m[2])})
  }
  return out
}

export function condOf(rule: Pick<Rule, 'matches'>): Cond {
  const c: {-readonly [K in keyof Cond]: Cond[K]} = {partial: false}
  for (const m of rule.matches) {
    if (m.kind === 'header') {
      if (m.negated || m.value === null) {
        c.partial = true
        continue
      }
      if (m.option === 's' || m.option === 'd') {
        const n = normalizeAddress(m.value)
        const cidr = n === null ? undefined : parseNet(n)
        if (n !== null && !cidr) c.partial = true
        else if (cidr) c[m.option === 's' ? 'src' : 'dst'] = cidr
      } else if (m.option === 'i') c.inIf = m.value
      else if (m.option === 'o') c.outIf = m.value
      else if (m.option === 'p') {
        const p = normalizeProtocol(m.value)
        if (p !== null) c.proto = p
      } else c.partial = true
      continue
    }
    if (m.name === 'comment') continue
    for (const o of m.options) {
      const v = o.values[0] ?? ''
      const isDport =
        ((m.name === 'tcp' || m.name === 'udp') && o.name === 'dport') ||
        (m.name === 'multiport' && o.name === 'dports')
      const list = isDport && !o.negated ? ports(v) : undefined
      if (o.negated) c.partial = true
      else if (isDport) {
        if (list) c.dports = list
        else c.partial = true
      } else if ((m.name === 'conntrack' && o.name === 'ctstate') || (m.name === 'state' && o.name === 'state')) {
        const states = v.split(',')
        if (states.every((s) => REAL_STATES.has(s))) c.states = new Set(states)
        else if (states.length === 1 && states[0] === 'DNAT') c.dnat = true
        else c.partial = true
      } else c.partial = true
    }
  }
  return c
}

function ifaceMeet(a: string | undefined, b: string | undefined): string | undefined | null {
  if (a === undefined) return b
  if (b === undefined || a === b) return a
  const wa = a.endsWith('+')
  const wb = b.endsWith('+')
  const pa = wa ? a.slice(0, -1) : a
  const pb = wb ? b.slice(0, -1) : b
  if (wa && pb.startsWith(pa)) return b
  if (wb && pa.startsWith(pb)) return a
  return null
}

function ifaceCovers(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return true
  if (b === undefined) return false
  if (a === b) return true
  return a.endsWith('+') && b.startsWith(a.slice(0, -1))
}

function cidrMeet(a: Net | undefined, b: Net | undefined): Net | undefined | null {
  if (a === undefined) return b
  if (b === undefined) return a
  if (netContains(a, b)) return b
  if (netContains(b, a)) return a
  return null
}

function portsMeet(
  a: readonly PortRange[] | undefined,
  b: readonly PortRange[] | undefined,
): readonly PortRange[] | undefined | null {
  if (a === undefined) return b
  if (b === undefined) return a
  const out: PortRange[] = []
  for (const x of a)
    for (const y of b) {
      const from = Math.max(x.from, y.from)
      const to = Math.min(x.to, y.to)
      if (from <= to) out.push({from, to})
    }
  return out.length === 0 ? null : out
}

function portsCover(a: readonly PortRange[] | undefined, b: readonly PortRange[] | undefined): boolean {
  if (a === undefined) return true
  if (b === undefined) return false
  return b.every((y) => a.some((x) => x.from <= y.from && y.to <= x.to))
}

function statesMeet(
  a: ReadonlySet<string> | undefined,
  b: ReadonlySet<string> | undefined,
): ReadonlySet<string> | undefined | null {
  if (a === undefined) return b
  if (b === undefined) return a
  const out = new Set([...a].filter((s) => b.has(s)))
  return out.size === 0 ? null : out
}

/** The packets both conditions match (as far as they are modelled); null when provably none. */
export function intersect(a: Cond, b: Cond): Cond | null {
  const src = cidrMeet(a.src, b.src)
  const dst = cidrMeet(a.dst, b.dst)
  const inIf = ifaceMeet(a.inIf, b.inIf)
  const outIf = ifaceMeet(a.outIf, b.outIf)
  if (src === null || dst === null || inIf === null || outIf === null) return null
  if (a.proto !== undefined && b.proto !== undefined && a.proto !== b.proto) return null
  const proto = a.proto ?? b.proto
  const dports = portsMeet(a.dports, b.dports)
  const states = statesMeet(a.states, b.states)
  if (dports === null || states === null) return null
  return {
    ...(src ? {src} : {}),
    ...(dst ? {dst} : {}),
    ...(inIf !== undefined ? {inIf} : {}),
    ...(outIf !== undefined ? {outIf} : {}),
    ...(proto !== undefined ? {proto} : {}),
    ...(dports ? {dports} : {}),
    ...(states ? {states} : {}),
    ...(a.dnat || b.dnat ? {dnat: true} : {}),
    partial: a.partial || b.partial,
  }
}

export function mayOverlap(a: Cond, b: Cond): boolean {
  return intersect(a, b) !== null
}

/** True when `a` certainly matches every packet `b` matches. */
export function covers(a: Cond, b: Cond): boolean {
  if (a.partial) return false
  if (a.src && !(b.src && netContains(a.src, b.src))) return false
  if (a.dst && !(b.dst && netContains(a.dst, b.dst))) return false
  if (!ifaceCovers(a.inIf, b.inIf) || !ifaceCovers(a.outIf, b.outIf)) return false
  if (a.proto !== undefined && a.proto !== b.proto) return false
  if (!portsCover(a.dports, b.dports)) return false
  if (a.states && !(b.states && [...b.states].every((s) => a.states!.has(s)))) return false
  if (a.dnat && !b.dnat) return false
  return true
}
