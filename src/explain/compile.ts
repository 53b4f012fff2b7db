// One parsed rule → an array of match closures and a typed target, built once per
// rule the first time its chain is visited. A closure answers true, false, or a
// string naming what it cannot know (`-m set`, `-m limit`...): the walk then tries
// both outcomes (see evaluate.ts). Matches the model does not know are put last, so
// a rule whose known matches already fail is never reported.
import {canonicalOption} from '../netfilter/extensions.js'
import {normalizePortRange} from '../netfilter/normalize.js'
import type {ExtOption, HeaderMatch, Match, ModuleMatch, Rule, Target} from '../netfilter/types.js'
import {parseCidr, parseIp, type Cidr} from './addr.js'
import {ACK, FIN, ICMP, ICMPV6, PSH, RST, SYN, TCP, UDP, URG, type Pkt} from './packet.js'
import type {Family} from './types.js'

/** true: matches; false: does not; a string: cannot tell, and why. */
export type MatchResult = boolean | string
export type Matcher = (p: Pkt) => MatchResult

export interface NatTo {
  /** Absent: keep the address (DNAT `--to-destination :8080`). */
  addr?: bigint
  port?: number
}

export type CTarget =
  | {kind: 'accept'}
  | {kind: 'drop'}
  | {kind: 'reject'}
  | {kind: 'return'}
  | {kind: 'jump'; chain: string}
  | {kind: 'goto'; chain: string}
  | {kind: 'dnat'; to: NatTo}
  | {kind: 'redirect'; port?: number}
  | {kind: 'snat'; to: NatTo}
  | {kind: 'masquerade'; port?: number}
  | {kind: 'mark'; value: number; mask: number}
  | {kind: 'connmark-set'; value: number; mask: number}
  | {kind: 'connmark-save'; nfmask: number; ctmask: number}
  | {kind: 'connmark-restore'; nfmask: number; ctmask: number}
  | {kind: 'notrack'}
  /** A target that lets the packet go on unchanged as far as the verdict goes (LOG, TCPMSS, CT --helper...). */
  | {kind: 'continue'; name: string}
  /** No `-j`: the rule only counts. */
  | {kind: 'none'}
  | {kind: 'unknown'; name: string; why: string}

/** What the chain index may use to skip rules (see chains.ts). */
/** An address a rule requires: its prefix length and masked address (a number for IPv4: no bigint per rule). */
export interface AddrKey {
  prefix: number
  value: number | bigint
}

export interface IndexKeys {
  src?: AddrKey
  dst?: AddrKey
  inIf?: string
  outIf?: string
  dport?: number
  /** The protocol number of a positive `-p tcp`/`-p udp`...; none for `all`. */
  proto?: number
}

/**
 * One rule, compiled on first use: a chain of 20,000 rules where the index leads a packet
 * to a handful needs only those handful's closures (the index reads just the keys).
 */
export class CompiledRule {
  private built?: Matcher[]
  private compiledTarget?: CTarget
  private indexKeys?: IndexKeys

  constructor(
    readonly rule: Rule,
    /** 1-based within its chain. */
    readonly position: number,
    private readonly family: Family,
  ) {}

  get matchers(): Matcher[] {
    if (this.built) return this.built
    const b: Built = {matchers: [], unknowns: []}
    for (const m of this.rule.matches as Match[]) {
      if (m.kind === 'header') headerMatch(m, this.family, b)
      else compileModule(m, this.family, b)
    }
    return (this.built = [...b.matchers, ...b.unknowns])
  }

  get target(): CTarget {
    return (this.compiledTarget ??= compileTarget(this.rule.target, this.family))
  }

  /** What the chain index may bucket this rule by (read from the rule without compiling its matches). */
  get keys(): IndexKeys {
    return (this.indexKeys ??= indexKeys(this.rule, this.family))
  }
}

/** Masks for IPv4 prefix lengths 0..32, as numbers. */
export const V4_MASKS: readonly number[] = Array.from({length: 33}, (_, len) =>
  len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0,
)

/** A positive, contiguous, non-zero prefix as an index key; the common IPv4 form read with numbers only. */
function addrKey(text: string, family: Family): AddrKey | undefined {
  if (family === 'ipv4') {
    const k = dottedKey(text)
    if (k) return k
  }
  const c = parseCidr(text)
  if (!c || c.family !== family || c.prefix === null || c.prefix === 0) return undefined
  return {prefix: c.prefix, value: family === 'ipv4' ? Number(c.value) : c.value}
}

/**
 * `a.b.c.d/len` (iptables-save's form) read character by character: the index reads one
 * per rule of a 20,000-rule chain, and a regular expression with its arrays costs several
 * times more. Undefined for anything else (leading zeros, a byte over 255, no or a zero
 * prefix length): addrKey then tries the general parser.
 */
function dottedKey(text: string): AddrKey | undefined {
  const n = text.length
  let i = 0
  let v = 0
  for (let part = 0; part < 4; part++) {
    const start = i
    let x = 0
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) break
      x = x * 10 + (c - 48)
      i++
    }
    const len = i - start
    if (len === 0 || len > 3 || x > 255 || (len > 1 && text.charCodeAt(start) === 48)) return undefined
    v = v * 256 + x
    if (part < 3) {
      if (text.charCodeAt(i) !== 46) return undefined
      i++
    }
  }
  if (text.charCodeAt(i) !== 47) return undefined
  i++
  const rest = n - i
  if (rest < 1 || rest > 2) return undefined
  let len = 0
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    len = len * 10 + (c - 48)
  }
  if (len < 1 || len > 32) return undefined
  return {prefix: len, value: (v & V4_MASKS[len]!) >>> 0}
}

/** A protocol a rule requires, as an index key: a named or numbered one other than `all`. */
function protoKey(text: string): number | undefined {
  const n = protoNumber(text)
  return n === null || n === 0 ? undefined : n
}

/** The index keys of a rule: its positive, exact -s/-d prefix, -i/-o name, -p protocol and single --dport. */
export function indexKeys(rule: Rule, family: Family): IndexKeys {
  const keys: IndexKeys = {}
  for (const m of rule.matches) {
    if (m.kind === 'header') {
      if (m.negated || m.value === null) continue
      if (m.option === 's' || m.option === 'd') {
        const k = addrKey(m.value, family)
        if (k) keys[m.option === 's' ? 'src' : 'dst'] = k
      } else if ((m.option === 'i' || m.option === 'o') && !m.value.endsWith('+'))
        keys[m.option === 'i' ? 'inIf' : 'outIf'] = m.value
      else if (m.option === 'p') {
        const n = protoKey(m.value)
        if (n !== undefined) keys.proto = n
      }
    } else if (m.name === 'tcp' || m.name === 'udp') {
      for (const o of m.options) {
        if (o.negated || canonicalOption('module', m.name, o.name) !== 'dport') continue
        const r = o.values[0] === undefined ? null : portRange(o.values[0])
        if (r && r[0] === r[1]) keys.dport = r[0]
      }
    }
  }
  return keys
}

/**
 * indexKeys read from a rule's iptables-save line without parsing it (a lazily parsed
 * dump): only what the line states plainly, so every key is one the rule requires
 * (indexKeys holds it too) and a key left out only files the rule with the rest. The
 * header options before the first match module (`-s`, `-d`, `-i`, `-o`; a negated one is
 * skipped), and a single `--dport` of a `-m tcp` or `-m udp` that comes before any
 * quoted word (a comment's text could hold anything).
 */
export function lineIndexKeys(line: string, family: Family): IndexKeys {
  const keys: IndexKeys = {}
  // The words one at a time, up to where the keys can be: most of a long line is never split.
  let at = 0
  const next = (): string => {
    if (at > line.length) return ''
    const end = line.indexOf(' ', at)
    const word = line.slice(at, end < 0 ? line.length : end)
    at = end < 0 ? line.length + 1 : end + 1
    return word
  }
  let word = next()
  if (word.startsWith('[')) word = next()
  if (word !== '-A') return keys
  next()
  word = next()
  for (;;) {
    if (word === '-s' || word === '-d' || word === '-i' || word === '-o' || word === '-p') {
      const value = next()
      if (value.includes('"') || value.includes("'")) return keys
      if (word === '-s' || word === '-d') {
        const k = addrKey(value, family)
        if (k) keys[word === '-s' ? 'src' : 'dst'] = k
      } else if (word === '-p') {
        const n = protoKey(value)
        if (n !== undefined) keys.proto = n
      } else if (value !== '' && !value.endsWith('+')) keys[word === '-i' ? 'inIf' : 'outIf'] = value
    } else if (word === '!') {
      const option = next()
      if (!['-s', '-d', '-i', '-o', '-p'].includes(option) || next().includes('"')) return keys
    } else if (word !== '-f') break
    word = next()
  }
  let portMatch = false
  let previous = ''
  for (; word !== ''; previous = word, word = next()) {
    if (word.includes('"') || word.includes("'") || word === '-j' || word === '-g') break
    if (word === '-m') {
      word = next()
      portMatch = word === 'tcp' || word === 'udp'
    } else if (portMatch && word === '--dport' && previous !== '!') {
      word = next()
      if (/^\d{1,5}$/.test(word) && Number(word) <= 65535) keys.dport = Number(word)
    }
  }
  return keys
}

// ---------------------------------------------------------------- values

const U32 = 0xffffffff

function num(text: string | undefined): number | null {
  if (text === undefined) return null
  const t = text.trim()
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) && n >= 0 && n <= U32 ? n : null
}

/** `value[/mask]` with mask defaulting to all ones. */
function valueMask(text: string | undefined): {value: number; mask: number} | null {
  if (text === undefined) return null
  const [v, m] = text.split('/', 2)
  const value = num(v)
  const mask = m === undefined ? U32 : num(m)
  return value === null || mask === null ? null : {value, mask}
}

function portNumber(text: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    return n <= 65535 ? n : null
  }
  const normal = normalizePortRange(text)
  return normal !== null && /^\d+$/.test(normal) ? Number(normal) : null
}

/** `80`, `80:90`, `:90`, `80:` (iptables' port ranges) → inclusive bounds. */
function portRange(text: string): [number, number] | null {
  if (!text.includes(':')) {
    const p = portNumber(text)
    return p === null ? null : [p, p]
  }
  const [a, b] = text.split(':', 2) as [string, string]
  const lo = a === '' ? 0 : portNumber(a)
  const hi = b === '' ? 65535 : portNumber(b)
  return lo === null || hi === null ? null : [lo, hi]
}

function portList(text: string): Array<[number, number]> | null {
  const out: Array<[number, number]> = []
  for (const part of text.split(',')) {
    const r = portRange(part)
    if (!r) return null
    out.push(r)
  }
  return out
}

const inRanges = (ranges: ReadonlyArray<[number, number]>, p: number): boolean => {
  for (const [lo, hi] of ranges) if (p >= lo && p <= hi) return true
  return false
}

/** `eth0`, `br-+` (a trailing `+` matches any suffix). */
export function interfaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern
}

const PROTOCOLS: Readonly<Record<string, number>> = {
  tcp: TCP,
  udp: UDP,
  icmp: ICMP,
  icmpv6: ICMPV6,
  'ipv6-icmp': ICMPV6,
  all: 0,
  ip: 0,
}

function protoNumber(text: string): number | null {
  const t = text.toLowerCase()
  if (t in PROTOCOLS) return PROTOCOLS[t]!
  if (/^\d+$/.test(t) && Number(t) <= 255) return Number(t)
  return null
}

const ICMP_TYPES: Readonly<Record<string, [number, number?]>> = {
  any: [-1],
  'echo-reply': [0],
  pong: [0],
  'destination-unreachable': [3],
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'source-quench': [4],
  redirect: [5],
  'echo-request': [8],
  ping: [8],
  'router-advertisement': [9],
  'router-solicitation': [10],
  'time-exceeded': [11],
  'ttl-exceeded': [11],
  'parameter-problem': [12],
  'timestamp-request': [13],
  'timestamp-reply': [14],
  'address-mask-request': [17],
  'address-mask-reply': [18],
}

const ICMP6_TYPES: Readonly<Record<string, [number, number?]>> = {
  'destination-unreachable': [1],
  'no-route': [1, 0],
  'communication-prohibited': [1, 1],
  'address-unreachable': [1, 3],
  'port-unreachable': [1, 4],
  'packet-too-big': [2],
  'time-exceeded': [3],
  'ttl-exceeded': [3],
  'parameter-problem': [4],
  'echo-request': [128],
  ping: [128],
  'echo-reply': [129],
  pong: [129],
  'router-solicitation': [133],
  'router-advertisement': [134],
  'neighbour-solicitation': [135],
  'neighbor-solicitation': [135],
  'neighbour-advertisement': [136],
  'neighbor-advertisement': [136],
  redirect: [137],
}

function icmpType(text: string, v6: boolean): [number, number?] | null {
  const named = (v6 ? ICMP6_TYPES : ICMP_TYPES)[text.toLowerCase()]
  if (named) return named
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text)
  if (!m) return null
  return m[2] === undefined ? [Number(m[1])] : [Number(m[1]), Number(m[2])]
}

const TCP_FLAGS: Readonly<Record<string, number>> = {
  FIN,
  SYN,
  RST,
  PSH,
  ACK,
  URG,
  ALL: FIN | SYN | RST | PSH | ACK | URG,
  NONE: 0,
}

function tcpFlags(text: string): number | null {
  let out = 0
  for (const f of text.split(',')) {
    const bit = TCP_FLAGS[f.toUpperCase()]
    if (bit === undefined) return null
    out |= bit
  }
  return out
}

// ---------------------------------------------------------------- matches

const not = (negated: boolean, m: Matcher): Matcher =>
  negated
    ? (p) => {
        const r = m(p)
        return typeof r === 'string' ? r : !r
      }
    : m

const unknownMatch =
  (why: string): Matcher =>
  () =>
    why

function addressMatcher(c: Cidr, field: 'src' | 'dst'): Matcher {
  const {mask, value: net} = c
  if (mask === 0n) return () => true
  return field === 'src' ? (p) => (p.src & mask) === net : (p) => (p.dst & mask) === net
}

interface Built {
  matchers: Matcher[]
  unknowns: Matcher[]
}

function headerMatch(m: HeaderMatch, family: Family, b: Built): void {
  const v = m.value ?? ''
  switch (m.option) {
    case 's':
    case 'd': {
      const field = m.option === 's' ? 'src' : 'dst'
      const c = parseCidr(v)
      if (!c || c.family !== family) {
        b.unknowns.push(unknownMatch(`address ${v}`))
        return
      }
      b.matchers.push(not(m.negated, addressMatcher(c, field)))
      return
    }
    case 'i':
    case 'o': {
      const field = m.option === 'i' ? 'inIf' : 'outIf'
      const pattern = v
      const f: Matcher = pattern.endsWith('+')
        ? (p) => p[field].startsWith(pattern.slice(0, -1))
        : (p) => p[field] === pattern
      b.matchers.push(not(m.negated, f))
      return
    }
    case 'p': {
      const n = protoNumber(v)
      if (n === null) {
        b.unknowns.push(unknownMatch(`protocol ${v}`))
        return
      }
      if (n === 0) {
        b.matchers.push(() => !m.negated)
        return
      }
      b.matchers.push(not(m.negated, (p) => p.proto === n))
      return
    }
    case 'f':
      // The packets explained are never non-first fragments.
      b.matchers.push(() => m.negated)
      return
  }
}

type OptionHandler = (o: ExtOption, b: Built, family: Family, m: ModuleMatch) => Matcher | null

function portOption(field: 'sport' | 'dport', protos: readonly number[]): OptionHandler {
  return (o) => {
    const r = o.values[0] === undefined ? null : portRange(o.values[0])
    if (!r) return null
    const [lo, hi] = r
    return not(o.negated, (p) => protos.includes(p.proto) && p[field] >= lo && p[field] <= hi)
  }
}

const MODULES: Readonly<Record<string, Readonly<Record<string, OptionHandler>>>> = {
  tcp: {
    sport: portOption('sport', [TCP]),
    dport: portOption('dport', [TCP]),
    syn: (o) => not(o.negated, (p) => p.proto === TCP && (p.tcpFlags & (SYN | RST | ACK | FIN)) === SYN),
    'tcp-flags': (o) => {
      const mask = o.values[0] === undefined ? null : tcpFlags(o.values[0])
      const comp = o.values[1] === undefined ? null : tcpFlags(o.values[1])
      if (mask === null || comp === null) return null
      return not(o.negated, (p) => p.proto === TCP && (p.tcpFlags & mask) === comp)
    },
  },
  udp: {sport: portOption('sport', [UDP]), dport: portOption('dport', [UDP])},
  multiport: {
    sports: (o) => multiport(o, 'sport'),
    dports: (o) => multiport(o, 'dport'),
    ports: (o) => multiport(o, 'both'),
  },
  icmp: {'icmp-type': (o) => icmpMatch(o, false)},
  icmp6: {'icmpv6-type': (o) => icmpMatch(o, true)},
  comment: {comment: () => () => true},
  conntrack: {
    ctstate: (o) => ctStateMatch(o, true),
    ctproto: (o) => {
      const n = o.values[0] === undefined ? null : protoNumber(o.values[0])
      if (n === null) return null
      return not(o.negated, (p) => p.ct.entry !== null && p.ct.entry.proto === n)
    },
    ctorigsrc: (o, _b, f) => ctAddress(o, f, (e) => e.orig.src),
    ctorigdst: (o, _b, f) => ctAddress(o, f, (e) => e.orig.dst),
    ctreplsrc: (o, _b, f) => ctAddress(o, f, (e) => e.reply.src),
    ctrepldst: (o, _b, f) => ctAddress(o, f, (e) => e.reply.dst),
    ctorigsrcport: (o) => ctPort(o, (e) => e.orig.sport),
    ctorigdstport: (o) => ctPort(o, (e) => e.orig.dport),
    ctreplsrcport: (o) => ctPort(o, (e) => e.reply.sport),
    ctrepldstport: (o) => ctPort(o, (e) => e.reply.dport),
    ctdir: (o) => {
      const d = o.values[0]?.toUpperCase()
      if (d !== 'ORIGINAL' && d !== 'REPLY') return null
      const want = d === 'ORIGINAL' ? 'original' : 'reply'
      return not(o.negated, (p) => p.ct.entry !== null && p.ct.dir === want)
    },
    ctstatus: (o) => {
      const names = (o.values[0] ?? '').toUpperCase().split(',')
      if (!names.every((n) => ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'].includes(n))) return null
      return not(o.negated, (p) => {
        const e = p.ct.entry
        if (!e) return false
        const status = {
          NONE: !e.seenReply && !e.assured && !e.confirmed,
          EXPECTED: false,
          SEEN_REPLY: e.seenReply,
          ASSURED: e.assured,
          CONFIRMED: e.confirmed,
        } as Record<string, boolean>
        return names.some((n) => status[n])
      })
    },
  },
  state: {state: (o) => ctStateMatch(o, false)},
  addrtype: {
    'src-type': (o, _b, _f, m) => addrTypeMatch(o, m, 'src'),
    'dst-type': (o, _b, _f, m) => addrTypeMatch(o, m, 'dst'),
    // Read by addrTypeMatch from the module's options.
    'limit-iface-in': () => () => true,
    'limit-iface-out': () => () => true,
  },
  mark: {
    mark: (o) => {
      const vm = valueMask(o.values[0])
      if (!vm) return null
      return not(o.negated, (p) => (p.mark & vm.mask) >>> 0 === vm.value >>> 0)
    },
  },
  connmark: {
    mark: (o) => {
      const vm = valueMask(o.values[0])
      if (!vm) return null
      return not(o.negated, (p) => p.ct.entry !== null && (p.ct.entry.mark & vm.mask) >>> 0 === vm.value >>> 0)
    },
  },
  physdev: {
    'physdev-in': (o) => {
      const pat = o.values[0]
      if (pat === undefined) return null
      return not(o.negated, (p) => p.physIn !== '' && interfaceMatches(pat, p.physIn))
    },
    'physdev-out': (o) => {
      const pat = o.values[0]
      if (pat === undefined) return null
      return not(o.negated, (p) => p.physOut !== '' && interfaceMatches(pat, p.physOut))
    },
    'physdev-is-in': (o) => not(o.negated, (p) => p.physIn !== ''),
    'physdev-is-out': (o) => not(o.negated, (p) => p.physOut !== ''),
    'physdev-is-bridged': (o) => not(o.negated, (p) => p.bridged),
  },
  iprange: {
    'src-range': (o, _b, f) => rangeMatch(o, f, 'src'),
    'dst-range': (o, _b, f) => rangeMatch(o, f, 'dst'),
  },
  pkttype: {
    'pkt-type': (o) => {
      const t = o.values[0]?.toLowerCase()
      if (t !== 'unicast' && t !== 'broadcast' && t !== 'multicast' && t !== 'host') return null
      // Every packet explained is addressed to one host.
      const unicast = t === 'unicast' || t === 'host'
      return () => unicast !== o.negated
    },
  },
}

function multiport(o: ExtOption, field: 'sport' | 'dport' | 'both'): Matcher | null {
  const ranges = o.values[0] === undefined ? null : portList(o.values[0])
  if (!ranges) return null
  const hasPorts = (p: Pkt): boolean => p.proto === TCP || p.proto === UDP
  if (field === 'both')
    return not(o.negated, (p) => hasPorts(p) && (inRanges(ranges, p.sport) || inRanges(ranges, p.dport)))
  return not(o.negated, (p) => hasPorts(p) && inRanges(ranges, p[field]))
}

function icmpMatch(o: ExtOption, v6: boolean): Matcher | null {
  const t = o.values[0] === undefined ? null : icmpType(o.values[0], v6)
  if (!t) return null
  const [type, code] = t
  const proto = v6 ? ICMPV6 : ICMP
  return not(
    o.negated,
    (p) => p.proto === proto && (type === -1 || (p.icmpType === type && (code === undefined || p.icmpCode === code))),
  )
}

const CT_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'] as const

function ctStateMatch(o: ExtOption, virtual: boolean): Matcher | null {
  const names = (o.values[0] ?? '').toUpperCase().split(',')
  const allowed: readonly string[] = virtual ? CT_STATES : CT_STATES.slice(0, 5)
  if (!names.every((n) => allowed.includes(n))) return null
  const set = new Set(names)
  return not(o.negated, (p) => {
    if (set.has(p.ct.state)) return true
    const e = p.ct.entry
    // SNAT and DNAT are conntrack's virtual states: the connection's reply tuple differs from the original.
    if (e && set.has('DNAT') && e.dnat) return true
    if (e && set.has('SNAT') && e.snat) return true
    return false
  })
}

type CtEntryOf = NonNullable<Pkt['ct']['entry']>

function ctAddress(o: ExtOption, family: Family, get: (e: CtEntryOf) => bigint): Matcher | null {
  const c = o.values[0] === undefined ? null : parseCidr(o.values[0])
  if (!c || c.family !== family) return null
  return not(o.negated, (p) => p.ct.entry !== null && (get(p.ct.entry) & c.mask) === c.value)
}

function ctPort(o: ExtOption, get: (e: CtEntryOf) => number): Matcher | null {
  const r = o.values[0] === undefined ? null : portRange(o.values[0])
  if (!r) return null
  return not(o.negated, (p) => {
    if (!p.ct.entry) return false
    const v = get(p.ct.entry)
    return v >= r[0] && v <= r[1]
  })
}

const ADDR_TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
]

function addrTypeMatch(o: ExtOption, m: ModuleMatch, field: 'src' | 'dst'): Matcher | null {
  const types = (o.values[0] ?? '').toUpperCase().split(',')
  if (!types.every((t) => ADDR_TYPES.includes(t))) return null
  const set = new Set(types)
  // --limit-iface-in/out: only the addresses of the packet's input (output) interface count.
  const byIn = m.options.some((x) => x.name === 'limit-iface-in')
  const byOut = m.options.some((x) => x.name === 'limit-iface-out')
  return not(o.negated, (p) => {
    const dev = byIn ? p.inIf : byOut ? p.outIf : null
    return set.has(p.ns.addrType(p.family, p[field], dev))
  })
}

function rangeMatch(o: ExtOption, family: Family, field: 'src' | 'dst'): Matcher | null {
  const [a, b] = (o.values[0] ?? '').split('-', 2)
  const lo = a === undefined ? null : parseIp(a)
  const hi = b === undefined ? lo : parseIp(b)
  if (!lo || !hi || lo.family !== family || hi.family !== family) return null
  return not(o.negated, (p) => p[field] >= lo.value && p[field] <= hi.value)
}

function compileModule(m: ModuleMatch, family: Family, b: Built): void {
  const handlers = MODULES[m.name]
  if (!handlers) {
    const opts = m.options.map(
      (o) => `${o.negated ? '! ' : ''}--${o.name}${o.values.length ? ` ${o.values.join(' ')}` : ''}`,
    )
    b.unknowns.push(unknownMatch([`-m ${m.name}`, ...opts].join(' ')))
    return
  }
  for (const o of m.options) {
    const name = canonicalOption('module', m.name, o.name)
    const h = handlers[name]
    const f = h ? h(o, b, family, m) : null
    if (f) b.matchers.push(f)
    else b.unknowns.push(unknownMatch(`-m ${m.name} --${o.name}${o.values.length ? ` ${o.values.join(' ')}` : ''}`))
  }
}

// ---------------------------------------------------------------- targets

const CONTINUE_TARGETS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'TRACE',
  'AUDIT',
  'CHECKSUM',
  'TCPMSS',
  'TTL',
  'HL',
  'TOS',
  'DSCP',
  'ECN',
  'CLASSIFY',
  'IDLETIMER',
  'LED',
  'SECMARK',
  'CONNSECMARK',
  'TEE',
  'SET',
])

function option(t: Target, name: string): ExtOption | undefined {
  return t.options.find((o) => canonicalOption('target', t.name, o.name) === name)
}

/** `1.2.3.4`, `1.2.3.4:80`, `1.2.3.4-1.2.3.9:80-90`, `[fd00::1]:80`, `:80`: the first address and port of a range. */
function natTo(text: string | undefined, family: Family): NatTo | null {
  if (text === undefined) return null
  let addrPart = text
  let portPart: string | undefined
  if (family === 'ipv6') {
    const m = /^\[([^\]]*)\](?::(.+))?$/.exec(text)
    if (m) {
      addrPart = m[1]!
      portPart = m[2]
    }
  } else {
    const colon = text.indexOf(':')
    if (colon >= 0) {
      addrPart = text.slice(0, colon)
      portPart = text.slice(colon + 1)
    }
  }
  const out: NatTo = {}
  if (addrPart !== '') {
    const ip = parseIp(addrPart.split('-')[0]!)
    if (!ip || ip.family !== family) return null
    out.addr = ip.value
  }
  if (portPart !== undefined) {
    const p = portNumber(portPart.split(/[-:]/)[0]!)
    if (p === null) return null
    out.port = p
  }
  return out
}

function firstPort(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined
  return portNumber(text.split(/[-:]/)[0]!)
}

function compileTarget(t: Target | null, family: Family): CTarget {
  if (!t) return {kind: 'none'}
  const unknown = (why: string): CTarget => ({kind: 'unknown', name: t.name, why})
  if (t.kind === 'goto') return {kind: 'goto', chain: t.name}
  switch (t.name) {
    case 'ACCEPT':
      return {kind: 'accept'}
    case 'DROP':
      return {kind: 'drop'}
    case 'REJECT':
      return {kind: 'reject'}
    case 'RETURN':
      return {kind: 'return'}
    case 'DNAT': {
      const to = natTo(option(t, 'to-destination')?.values[0], family)
      return to ? {kind: 'dnat', to} : unknown('DNAT without a readable --to-destination')
    }
    case 'SNAT': {
      const to = natTo(option(t, 'to-source')?.values[0], family)
      return to ? {kind: 'snat', to} : unknown('SNAT without a readable --to-source')
    }
    case 'REDIRECT': {
      const port = firstPort(option(t, 'to-ports')?.values[0])
      if (port === null) return unknown('REDIRECT --to-ports')
      return port === undefined ? {kind: 'redirect'} : {kind: 'redirect', port}
    }
    case 'MASQUERADE': {
      const port = firstPort(option(t, 'to-ports')?.values[0])
      if (port === null) return unknown('MASQUERADE --to-ports')
      return port === undefined ? {kind: 'masquerade'} : {kind: 'masquerade', port}
    }
    case 'MARK':
      return markTarget(t)
    case 'CONNMARK':
      return connmarkTarget(t)
    case 'NOTRACK':
      return {kind: 'notrack'}
    case 'CT': {
      if (t.options.some((o) => o.name === 'notrack')) return {kind: 'notrack'}
      if (t.options.some((o) => o.name === 'zone' || o.name === 'zone-orig' || o.name === 'zone-reply'))
        return unknown('CT --zone (conntrack zones are not modelled)')
      return {kind: 'continue', name: 'CT'}
    }
    default:
      if (CONTINUE_TARGETS.has(t.name)) return {kind: 'continue', name: t.name}
      // A user chain, or a target extension the model does not know: the walk tells them apart
      // by whether the table has a chain of that name.
      return {kind: 'jump', chain: t.name}
  }
}

function markTarget(t: Target): CTarget {
  const first = t.options[0]
  const vm = valueMask(first?.values[0])
  if (!first || !vm) return {kind: 'unknown', name: 'MARK', why: 'MARK option not understood'}
  switch (first.name) {
    case 'set-xmark':
      return {kind: 'mark', value: vm.value, mask: vm.mask}
    case 'set-mark':
      return {kind: 'mark', value: vm.value, mask: (vm.mask | vm.value) >>> 0}
    case 'and-mark':
      return {kind: 'mark', value: 0, mask: ~vm.value >>> 0}
    case 'or-mark':
      return {kind: 'mark', value: vm.value, mask: vm.value}
    case 'xor-mark':
      return {kind: 'mark', value: vm.value, mask: 0}
    default:
      return {kind: 'unknown', name: 'MARK', why: `MARK --${first.name}`}
  }
}

function connmarkTarget(t: Target): CTarget {
  const get = (name: string): number | null => {
    const o = t.options.find((x) => x.name === name)
    return o ? num(o.values[0]) : U32
  }
  if (t.options.some((o) => o.name === 'save-mark' || o.name === 'restore-mark')) {
    const both = t.options.find((o) => o.name === 'mask')
    const nfmask = both ? num(both.values[0]) : get('nfmask')
    const ctmask = both ? num(both.values[0]) : get('ctmask')
    if (nfmask === null || ctmask === null) return {kind: 'unknown', name: 'CONNMARK', why: 'CONNMARK masks'}
    return t.options.some((o) => o.name === 'save-mark')
      ? {kind: 'connmark-save', nfmask, ctmask}
      : {kind: 'connmark-restore', nfmask, ctmask}
  }
  const set = t.options.find((o) => o.name === 'set-xmark' || o.name === 'set-mark')
  const vm = valueMask(set?.values[0])
  if (!set || !vm) return {kind: 'unknown', name: 'CONNMARK', why: 'CONNMARK option not understood'}
  return {kind: 'connmark-set', value: vm.value, mask: set.name === 'set-mark' ? (vm.mask | vm.value) >>> 0 : vm.mask}
}

// ---------------------------------------------------------------- rule

export function compileRule(rule: Rule, position: number, family: Family): CompiledRule {
  return new CompiledRule(rule, position, family)
}

/** Runs a rule's matches: true, false, or what could not be decided. */
export function ruleMatches(r: CompiledRule, p: Pkt): MatchResult {
  let unknown: string | null = null
  for (const m of r.matchers) {
    const res = m(p)
    if (res === false) return false
    if (res !== true && unknown === null) unknown = res
  }
  return unknown ?? true
}
