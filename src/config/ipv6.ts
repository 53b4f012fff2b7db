// IPv6 addresses and CIDRs as 128-bit bigints, the twin of ipv4.ts. Parsing goes
// through ipaddr.js (the grammar has many legal spellings), after refusing what
// iptables and Docker would read differently or not at all: zone ids (`fe80::1%eth0`)
// and IPv4-mapped addresses (`::ffff:10.0.0.1`: that traffic is IPv4, and Docker
// prints such an address as the bare IPv4 one). Formatting is RFC 5952, which is what
// Docker (Go's net.IP) and iptables-save (glibc's inet_ntop) print for every address
// accepted here.
import ipaddr from 'ipaddr.js'

export interface Cidr6 {
  /** The address as written (may have host bits set). */
  ip: bigint
  prefix: number
}

const ALL = (1n << 128n) - 1n
const MAPPED = 0xffffn << 32n

/** Parses an IPv6 address; undefined for anything else (zones, IPv4-mapped addresses). */
export function parseIPv6(text: string): bigint | undefined {
  if (text.includes('%') || !text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined
  let n = 0n
  for (const b of ipaddr.IPv6.parse(text).toByteArray()) n = (n << 8n) | BigInt(b)
  if (n >> 32n === MAPPED >> 32n) return undefined
  return n
}

/** True for `::ffff:a.b.c.d` and its other spellings, to give a specific message. */
export function isIPv4Mapped(text: string): boolean {
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return false
  return ipaddr.IPv6.parse(text).isIPv4MappedAddress()
}

/** RFC 5952: lower case, no leading zeros, the longest run (two groups or more, first on a tie) of zero groups as `::`. */
export function formatIPv6(n: bigint): string {
  const words: number[] = []
  for (let i = 7; i >= 0; i--) words.push(Number((n >> BigInt(i * 16)) & 0xffffn))
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':')
  if (best < 0) return hex(words)
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`
}

export function maskOf6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL
}

export function networkOf6(c: Cidr6): bigint {
  return c.ip & maskOf6(c.prefix)
}

/** Parses "addr/len"; host bits may be set (compare with canonicalCidr6). */
export function parseCidr6(text: string): Cidr6 | undefined {
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const ip = parseIPv6(text.slice(0, slash))
  const len = text.slice(slash + 1)
  if (ip === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(len)) return undefined
  const prefix = Number(len)
  if (prefix > 128) return undefined
  return {ip, prefix}
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIPv6(c.ip)}/${c.prefix}`
}

export function canonicalCidr6(c: Cidr6): string {
  return `${formatIPv6(networkOf6(c))}/${c.prefix}`
}

export function cidr6Contains(c: Cidr6, ip: bigint): boolean {
  return (ip & maskOf6(c.prefix)) === networkOf6(c)
}

export function cidr6ContainsCidr(outer: Cidr6, inner: Cidr6): boolean {
  return inner.prefix >= outer.prefix && cidr6Contains(outer, networkOf6(inner))
}

export function cidrs6Overlap(a: Cidr6, b: Cidr6): boolean {
  return cidr6ContainsCidr(a, b) || cidr6ContainsCidr(b, a)
}

/** The canonical spelling of an IPv6 address (`FD00:0::01` → `fd00::1`), or undefined when it is not one. */
export function canonicalIPv6(text: string): string | undefined {
  const n = parseIPv6(text)
  return n === undefined ? undefined : formatIPv6(n)
}
