// IPv4 addresses and CIDRs as unsigned 32-bit numbers. Written here rather than with
// ipaddr.js because validation must be strict (ipaddr.js accepts "10", "0x0a.1" and
// leading zeros, which iptables and Docker read differently) and the checks need
// plain integer math: containment, overlap, network and broadcast addresses.

export interface Cidr {
  /** The address as written (may have host bits set). */
  ip: number
  prefix: number
}

/**
 * Parses dotted-quad IPv4 ("10.0.0.1"); undefined for anything else (no leading zeros, no
 * short forms). Four octets of one to three digits, "0" or not starting with 0, each at
 * most 255; read character by character (it runs for every address of every rule).
 */
export function parseIPv4(text: string): number | undefined {
  let n = 0
  let octet = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || octet > 255 || ++dots > 3) return undefined
      n = n * 256 + octet
      octet = 0
      digits = 0
      continue
    }
    if (c < 48 || c > 57 || digits === 3 || (digits === 1 && octet === 0)) return undefined
    octet = octet * 10 + (c - 48)
    digits++
  }
  if (dots !== 3 || digits === 0 || octet > 255) return undefined
  return n * 256 + octet
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** Parses "a.b.c.d/len"; host bits may be set (check with `isCanonical`). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const ip = parseIPv4(text.slice(0, slash))
  const len = text.slice(slash + 1)
  if (ip === undefined || !/^(0|[1-9][0-9]?)$/.test(len)) return undefined
  const prefix = Number(len)
  if (prefix > 32) return undefined
  return {ip, prefix}
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

export function networkOf(c: Cidr): number {
  return (c.ip & maskOf(c.prefix)) >>> 0
}

export function broadcastOf(c: Cidr): number {
  return (networkOf(c) | (~maskOf(c.prefix) >>> 0)) >>> 0
}

export function isCanonical(c: Cidr): boolean {
  return networkOf(c) === c.ip
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.ip)}/${c.prefix}`
}

/** The canonical form of a CIDR: host bits cleared ("10.0.0.1/8" → "10.0.0.0/8"). */
export function canonicalCidr(c: Cidr): string {
  return `${formatIPv4(networkOf(c))}/${c.prefix}`
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return (ip & maskOf(c.prefix)) >>> 0 === networkOf(c)
}

/** True when `inner` lies completely inside `outer`. */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, networkOf(inner))
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a)
}
