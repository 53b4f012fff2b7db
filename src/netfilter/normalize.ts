// iptables-save's normal form. A rule written loosely (`-p tcp --dport http -s 10.0.0.1`)
// comes back from the kernel as `-s 10.0.0.1/32 -p tcp -m tcp --dport 80`; dockwall
// compares rules in that form. Each rewrite below was established by experiment on
// iptables 1.8.9, nft and legacy backends alike (restore a loose form in a scratch
// network namespace, save, compare); test/unit/netfilter/normalize.test.ts holds one
// case per rewrite, with the form the kernel printed.
//
// What is NOT normalised (the rule keeps its written form and so may not compare
// equal to what is saved): hostnames; address lists (`-s a,b` becomes two rules);
// IPv4 parts in hex or octal; the same module loaded twice (nft merges `-m tcp
// --dport 80 -m tcp --sport 22` into one match, legacy keeps two); `! --dport
// 0:65535` (nft drops the match, legacy keeps `-m tcp`); user and group names;
// extensions not listed in extensions.ts.
import {formatAddress, formatBareAddress, isAnyAddress, isHostMask, parseAddress} from './addr.js'
import {canonicalOption, optionRank} from './extensions.js'
import {
  ADDR_TYPES,
  CT_STATES,
  CT_STATUS,
  ICMP6_TYPES,
  ICMP_TYPES,
  LOG_LEVELS,
  PROTOCOL_NAMES,
  PROTOCOL_NUMBERS,
  REJECT_WITH,
  REJECT_WITH6,
  SERVICES,
  TCP_FLAGS,
} from './known-names.js'
import type {ExtOption, Family, HeaderMatch, HeaderOption, Match, ModuleMatch, Rule, Target} from './types.js'
import {writeRule} from './write.js'

export interface NormalizeOptions {
  family: Family
}

type RuleBody = Pick<Rule, 'matches' | 'target'>

// ---------------------------------------------------------------- value helpers

/** `-p` value as iptables-save prints it; null for "all protocols" (not printed). */
export function normalizeProtocol(value: string): string | null {
  const v = value.toLowerCase()
  const n = /^\d+$/.test(v) ? Number(v) : PROTOCOL_NUMBERS[v]
  if (n === undefined) return v
  if (n === 0) return null
  return PROTOCOL_NAMES[n] ?? String(n)
}

const FAST_IPV4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})(?:\/(0|[1-9]\d?))?$/

/** Header address: `/32` or `/128` added, host bits cleared, masks as lengths; null for any (`/0`). */
export function normalizeAddress(value: string): string | null {
  const fast = FAST_IPV4.exec(value)
  if (fast) {
    // the common case, dotted quad with an optional length, without the general parser's arrays
    const o = [fast[1], fast[2], fast[3], fast[4]].map(Number) as [number, number, number, number]
    const len = fast[5] === undefined ? 32 : Number(fast[5])
    if (o[0] <= 255 && o[1] <= 255 && o[2] <= 255 && o[3] <= 255 && len <= 32) {
      if (len === 0) return null
      const mask = len === 32 ? 0xffffffff : ~(0xffffffff >>> len)
      const n = (((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) & mask) >>> 0
      return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`
    }
  }
  const a = parseAddress(value)
  if (!a) return value
  if (isAnyAddress(a)) return null
  return formatAddress(a)
}

function port(value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value)
  return SERVICES[value] ?? null
}

/** `a:a` → `a`, `:b` → `0:b`, `a:` → `a:65535`, names → numbers; null for the full range (not printed). */
export function normalizePortRange(value: string): string | null {
  const [lo, hi] = value.includes(':') ? (value.split(':', 2) as [string, string]) : [value, undefined]
  const a = lo === '' ? 0 : port(lo)
  if (a === null) return value
  if (hi === undefined) return String(a)
  const b = hi === '' ? 65535 : port(hi)
  if (b === null) return value
  if (a === 0 && b === 65535) return null
  return a === b ? String(a) : `${a}:${b}`
}

function multiportList(value: string): string {
  return value
    .split(',')
    .map((p) => {
      if (!p.includes(':')) return String(port(p) ?? p)
      const [a, b] = p.split(':', 2) as [string, string]
      return `${port(a) ?? a}:${port(b) ?? b}`
    })
    .join(',')
}

function orderedList(value: string, order: readonly string[]): string {
  const items = value.split(',').map((s) => s.toUpperCase())
  if (!items.every((s) => order.includes(s))) return value
  return order.filter((s) => items.includes(s)).join(',')
}

function tcpFlags(value: string): string {
  const items = value.toUpperCase().split(',')
  const set = new Set<string>()
  for (const f of items) {
    if (f === 'ALL') TCP_FLAGS.forEach((x) => set.add(x))
    else if (f === 'NONE') continue
    else if (TCP_FLAGS.includes(f)) set.add(f)
    else return value
  }
  const out = TCP_FLAGS.filter((f) => set.has(f))
  return out.length === 0 ? 'NONE' : out.join(',')
}

function parseU32(text: string): number | null {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16)
  if (/^0[0-7]*$/.test(text)) return Number.parseInt(text, 8)
  if (/^[1-9]\d*$/.test(text)) return Number(text)
  return null
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`

/** `--mark v[/m]` as libxt_mark prints it: hex, mask left out when all ones. */
function markValue(value: string): string {
  const [v, m] = value.split('/', 2) as [string, string | undefined]
  const val = parseU32(v)
  const mask = m === undefined ? 0xffffffff : parseU32(m)
  if (val === null || mask === null) return value
  return mask >>> 0 === 0xffffffff ? hex(val) : `${hex(val)}/${hex(mask)}`
}

// libxt_limit: rates are stored as an interval in 1/10000 s and printed in the largest
// unit that still shows the rate exactly enough (print_rate()).
const LIMIT_SCALE = 10000
const RATE_UNITS: ReadonlyArray<[string, number]> = [
  ['day', LIMIT_SCALE * 24 * 60 * 60],
  ['hour', LIMIT_SCALE * 60 * 60],
  ['min', LIMIT_SCALE * 60],
  ['sec', LIMIT_SCALE],
]

function limitInterval(rate: string): number | null {
  const m = /^(\d+)(?:\/([a-z]+))?$/i.exec(rate)
  if (!m) return null
  const unit = (m[2] ?? 'second').toLowerCase()
  let mult: number
  if ('second'.startsWith(unit)) mult = 1
  else if ('minute'.startsWith(unit)) mult = 60
  else if ('hour'.startsWith(unit)) mult = 3600
  else if ('day'.startsWith(unit)) mult = 86400
  else return null
  const r = Number(m[1])
  if (!r) return null
  const period = Math.floor((LIMIT_SCALE * mult) / r)
  return period === 0 ? null : period
}

function formatRate(period: number): string {
  let i = 1
  for (; i < RATE_UNITS.length; i++) {
    const mult = RATE_UNITS[i]![1]
    if (period > mult || Math.floor(mult / period) < mult % period) break
  }
  const [name, mult] = RATE_UNITS[i - 1]!
  return `${Math.floor(mult / period)}/${name}`
}

// ---------------------------------------------------------------- matches

const HEADER_ORDER: readonly HeaderOption[] = ['s', 'd', 'i', 'o', 'p', 'f']

function opt(name: string, values: string[], negated = false): ExtOption {
  return {name, negated, values}
}

function sortOptions(kind: 'module' | 'target', ext: string, options: ExtOption[]): ExtOption[] {
  if (options.length < 2) return options
  return options
    .map((o, i) => ({o, i, r: optionRank(kind, ext, o.name)}))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.o)
}

function normalizeModuleOption(mod: string, o: ExtOption): ExtOption | null {
  const name = canonicalOption('module', mod, o.name)
  const same = (): ExtOption => (name === o.name ? o : opt(name, o.values, o.negated))
  const v0 = o.values[0]
  // unchanged options are returned as they are: most saved rules are already in normal form
  const one = (value: string | null): ExtOption | null =>
    value === null ? null : value === v0 && name === o.name ? o : opt(name, [value, ...o.values.slice(1)], o.negated)
  switch (mod) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'dccp':
    case 'udplite':
      if ((name === 'sport' || name === 'dport') && v0 !== undefined) {
        const r = normalizePortRange(v0)
        // `! --dport 0:65535` is printed differently by the two backends: keep it as written
        return r === null && o.negated ? opt(name, o.values, true) : one(r)
      }
      if (mod === 'tcp' && o.name === 'syn') return opt('tcp-flags', ['FIN,SYN,RST,ACK', 'SYN'], o.negated)
      if (mod === 'tcp' && name === 'tcp-flags' && o.values.length === 2) {
        const mask = tcpFlags(o.values[0]!)
        const comp = tcpFlags(o.values[1]!)
        if (mask === 'NONE' && comp === 'NONE' && !o.negated) return null
        return opt(name, [mask, comp], o.negated)
      }
      return same()
    case 'icmp':
      return v0 === undefined ? same() : one(ICMP_TYPES[v0] ?? v0)
    case 'icmp6':
      return v0 === undefined ? same() : one(ICMP6_TYPES[v0] ?? v0)
    case 'multiport':
      return v0 === undefined ? same() : one(multiportList(v0))
    case 'conntrack':
      if (v0 === undefined) return same()
      if (name === 'ctstate') return one(orderedList(v0, CT_STATES))
      if (name === 'ctstatus') return one(orderedList(v0, CT_STATUS))
      if (name === 'ctproto') {
        const p = normalizeProtocol(v0)
        return one(p === null ? '0' : String(PROTOCOL_NUMBERS[p] ?? p))
      }
      if (['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'].includes(name)) {
        // conntrack prints a host address bare and keeps other masks as given
        const a = parseAddress(v0)
        return one(a && isHostMask(a) ? formatBareAddress(a) : v0)
      }
      return same()
    case 'state':
      return v0 === undefined ? same() : one(orderedList(v0, CT_STATES))
    case 'comment':
      return v0 === undefined ? same() : one(truncateComment(v0))
    case 'addrtype':
      return v0 === undefined ? same() : one(orderedList(v0, ADDR_TYPES))
    case 'mark':
    case 'connmark':
      return v0 === undefined ? same() : one(markValue(v0))
    case 'mac':
      return v0 === undefined ? same() : one(v0.toLowerCase())
    case 'pkttype':
      return v0 === undefined ? same() : one(v0.toLowerCase())
    case 'length': {
      if (v0 === undefined) return same()
      const [a, b] = v0.split(':', 2)
      return one(b !== undefined && a === b ? a! : v0)
    }
    case 'limit':
      if (name === 'limit' && v0 !== undefined) {
        const p = limitInterval(v0)
        return one(p === null ? v0 : formatRate(p))
      }
      if (name === 'limit-burst' && v0 === '5') return null
      return same()
    default:
      return same()
  }
}

/** The longest prefix of the comment that fits the kernel's 256-byte buffer (iptables truncates silently). */
export function truncateComment(comment: string): string {
  const bytes = Buffer.from(comment, 'utf8')
  if (bytes.length <= 255) return comment
  return bytes.subarray(0, 255).toString('utf8')
}

function normalizeModule(m: ModuleMatch, family: Family): ModuleMatch {
  let options = m.options.map((o) => normalizeModuleOption(m.name, o)).filter((o): o is ExtOption => o !== null)
  if (m.name === 'limit' && !options.some((o) => o.name === 'limit')) options.unshift(opt('limit', ['3/hour']))
  if (m.name === 'recent') {
    const has = (n: string): boolean => options.some((o) => o.name === n)
    if (!has('name')) options.push(opt('name', ['DEFAULT']))
    if (!has('mask'))
      options.push(opt('mask', [family === 'ipv6' ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255']))
    if (!has('rsource') && !has('rdest')) options.push(opt('rsource', []))
  }
  options = sortOptions('module', m.name, options)
  if (!m.implicit && options.length === m.options.length && options.every((o, i) => o === m.options[i])) return m
  return {kind: 'module', name: m.name, options}
}

// ---------------------------------------------------------------- targets

function normalizeTarget(t: Target, family: Family): Target {
  if (t.options.length === 0 && t.name !== 'REJECT') return t
  const options: ExtOption[] = []
  for (const o of t.options) {
    const name = canonicalOption('target', t.name, o.name)
    const v0 = o.values[0]
    if (t.name === 'REJECT' && name === 'reject-with' && v0 !== undefined) {
      options.push(opt(name, [(family === 'ipv6' ? REJECT_WITH6 : REJECT_WITH)[v0] ?? v0], o.negated))
    } else if (t.name === 'LOG' && name === 'log-level' && v0 !== undefined) {
      const level = /^\d+$/.test(v0) ? Number(v0) : LOG_LEVELS[v0.toLowerCase()]
      if (level === 4) continue // the default is not printed
      options.push(opt(name, [level === undefined ? v0 : String(level)], o.negated))
    } else if (
      (t.name === 'MARK' || t.name === 'CONNMARK') &&
      v0 !== undefined &&
      ['set-mark', 'set-xmark', 'and-mark', 'or-mark', 'xor-mark'].includes(name)
    ) {
      options.push(opt('set-xmark', [xmark(name, v0)], o.negated))
    } else options.push(opt(name, o.values, o.negated))
  }
  if (t.name === 'REJECT' && !options.some((o) => o.name === 'reject-with')) {
    options.push(opt('reject-with', [family === 'ipv6' ? 'icmp6-port-unreachable' : 'icmp-port-unreachable']))
  }
  return {kind: t.kind, name: t.name, options: sortOptions('target', t.name, options)}
}

/** libxt_MARK: every form becomes `--set-xmark value/mask` (mask: bits to clear before xor). */
function xmark(option: string, value: string): string {
  const [v, m] = value.split('/', 2) as [string, string | undefined]
  const val = parseU32(v)
  const mask = m === undefined ? 0xffffffff : parseU32(m)
  if (val === null || mask === null) return value
  switch (option) {
    case 'set-mark':
      return `${hex(val)}/${hex(m === undefined ? 0xffffffff : mask | val)}`
    case 'and-mark':
      return `0x0/${hex(~val)}`
    case 'or-mark':
      return `${hex(val)}/${hex(val)}`
    case 'xor-mark':
      return `${hex(val)}/0x0`
    default:
      return `${hex(val)}/${hex(mask)}`
  }
}

// ---------------------------------------------------------------- rules

/**
 * The rule in iptables-save's normal form: header options first in the order
 * `-s -d -i -o -p -f` with addresses and protocol normalised, then the match
 * modules in written order (an implicit protocol match made explicit, `-m tcp`, at
 * the place its first option was written), each module's options in the order it
 * prints them with aliases and values normalised, then the target likewise.
 */
export function normalizeRule<T extends RuleBody>(rule: T, opts: NormalizeOptions): RuleBody {
  const {family} = opts
  const headers: HeaderMatch[] = []
  const modules: Match[] = []
  for (const m of rule.matches) {
    if (m.kind === 'module') {
      modules.push(normalizeModule(m, family))
      continue
    }
    let value = m.value
    if ((m.option === 's' || m.option === 'd') && value !== null && !value.includes(',')) {
      const n = normalizeAddress(value)
      if (n === null) {
        if (!m.negated) continue
        value = family === 'ipv6' ? '::/0' : '0.0.0.0/0'
      } else value = n
    } else if (m.option === 'p' && value !== null) {
      const p = normalizeProtocol(value)
      if (p === null && !m.negated) continue
      value = p ?? 'all'
    }
    headers.push(value === m.value ? m : {kind: 'header', option: m.option, negated: m.negated, value})
  }
  headers.sort((a, b) => HEADER_ORDER.indexOf(a.option) - HEADER_ORDER.indexOf(b.option))
  return {
    matches: [...headers, ...modules],
    target: rule.target ? normalizeTarget(rule.target, family) : null,
  }
}

/** The canonical key: `TABLE -A CHAIN args` in normal form, without counters. */
export function ruleKey(rule: Pick<Rule, 'table' | 'chain' | 'matches' | 'target'>, opts: NormalizeOptions): string {
  const n = normalizeRule(rule, opts)
  return `${rule.table} ${writeRule({chain: rule.chain, matches: n.matches, target: n.target}, {counters: false})}`
}
