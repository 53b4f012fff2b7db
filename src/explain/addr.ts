// Addresses as numbers (bigint for both families), so a rule's `-s 10.0.0.0/8` is one
// AND and one compare per packet. Masks may be non-contiguous, as iptables allows.
import {formatIPv6, parseAddress, type ParsedAddress} from '../netfilter/addr.js'
import type {Family} from './types.js'

export interface Ip {
  family: Family
  value: bigint
}

export interface Cidr {
  family: Family
  /** Network bits (already masked). */
  value: bigint
  mask: bigint
  /** Prefix length, null for a non-contiguous mask. */
  prefix: number | null
}

export const BITS: Readonly<Record<Family, number>> = {ipv4: 32, ipv6: 128}

// Few bigint operations per address: a large dump has tens of thousands of them, and each
// bigint operation allocates.
function toBig(bytes: readonly number[]): bigint {
  const word = (i: number): number =>
    (((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0
  if (bytes.length === 4) return BigInt(word(0))
  return (BigInt(word(0)) << 96n) | (BigInt(word(4)) << 64n) | (BigInt(word(8)) << 32n) | BigInt(word(12))
}

/** The prefix length of a mask given as bytes, or null when its ones are not contiguous. */
function prefixOf(mask: readonly number[]): number | null {
  let len = 0
  let ended = false
  for (const b of mask) {
    if (ended) {
      if (b !== 0) return null
      continue
    }
    if (b === 0xff) {
      len += 8
      continue
    }
    // A partial byte must be ones then zeros: its inverse plus one is a power of two.
    const inv = ~b & 0xff
    if ((inv & (inv + 1)) !== 0) return null
    len += 8 - Math.log2(inv + 1)
    ended = true
  }
  return len
}

export function maskOf(len: number, bits: number): bigint {
  if (len <= 0) return 0n
  return ((1n << BigInt(len)) - 1n) << BigInt(bits - len)
}

function fromParsed(p: ParsedAddress): Cidr {
  const family: Family = p.family
  const mask = toBig(p.mask)
  return {family, value: toBig(p.bytes) & mask, mask, prefix: prefixOf(p.mask)}
}

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/** `10.0.0.1`, `fd00::1`; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address. Null when unreadable. */
export function parseIp(text: string): Ip | null {
  const mapped = V4_MAPPED.exec(text)
  const t = mapped ? mapped[1]! : text
  if (t.includes('/')) return null
  if (!t.includes(':') && !/^\d+\.\d+\.\d+\.\d+$/.test(t)) return null
  const p = parseAddress(t)
  if (!p) return null
  return {family: p.family, value: toBig(p.bytes)}
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/

/** `10.0.0.0/8`, `10.0.0.1` (a host), `10.0.0.0/255.0.0.0`, `fd00::/64`, `default`. Host bits are cleared. */
export function parseCidr(text: string, family?: Family): Cidr | null {
  if (text === 'default') {
    const f = family ?? 'ipv4'
    return {family: f, value: 0n, mask: 0n, prefix: 0}
  }
  // The form iptables-save prints, read without the general parser (a dump holds thousands).
  const d = DOTTED.exec(text)
  if (d) {
    const parts = [d[1], d[2], d[3], d[4]].map(Number) as [number, number, number, number]
    const len = d[5] === undefined ? 32 : Number(d[5])
    const plain = [d[1], d[2], d[3], d[4]].every((x) => !/^0\d/.test(x!))
    if (plain && parts.every((x) => x <= 255) && len <= 32) {
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
      const value = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0
      return {family: 'ipv4', value: BigInt((value & mask) >>> 0), mask: BigInt(mask), prefix: len}
    }
  }
  const p = parseAddress(text)
  return p ? fromParsed(p) : null
}

/** The address part of `10.0.0.1/24` and its prefix, keeping the host bits. */
export function parseInterfaceAddress(text: string): {ip: Ip; cidr: Cidr} | null {
  const slash = text.indexOf('/')
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash))
  const cidr = parseCidr(text)
  if (!ip || !cidr) return null
  return {ip, cidr}
}

export function contains(c: Cidr, ip: Ip): boolean {
  return c.family === ip.family && (ip.value & c.mask) === c.value
}

export function formatIp(ip: Ip): string {
  if (ip.family === 'ipv4') {
    const v = Number(ip.value)
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
  }
  const bytes: number[] = []
  for (let i = 15; i >= 0; i--) bytes.push(Number((ip.value >> BigInt(i * 8)) & 255n))
  return formatIPv6(bytes)
}

export function sameIp(a: Ip, b: Ip): boolean {
  return a.family === b.family && a.value === b.value
}

/** The limited broadcast, multicast and link-local kinds `addrtype` distinguishes from unicast. */
export function isMulticast(ip: Ip): boolean {
  return ip.family === 'ipv4' ? ip.value >> 28n === 0xen : ip.value >> 120n === 0xffn
}

export function isLoopback(ip: Ip): boolean {
  return ip.family === 'ipv4' ? ip.value >> 24n === 127n : ip.value === 1n
}
