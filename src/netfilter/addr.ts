// Addresses as iptables prints them: IPv4 `a.b.c.d/len` (host bits cleared, a
// non-contiguous mask printed dotted), IPv6 as glibc's inet_ntop prints it.
import ipaddr from 'ipaddr.js'

/** An address with its mask, or `any` (`0.0.0.0/0`, which iptables-save leaves out). */
export type ParsedAddress =
  {family: 'ipv4'; bytes: number[]; mask: number[]} | {family: 'ipv6'; bytes: number[]; mask: number[]}

function prefixMask(len: number, size: number): number[] {
  const out: number[] = []
  for (let i = 0; i < size; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8))
    out.push(bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff)
  }
  return out
}

function maskPrefix(mask: number[]): number | null {
  let len = 0
  let ended = false
  for (const b of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = ((b >> bit) & 1) === 1
      if (set && ended) return null
      if (set) len++
      else ended = true
    }
  }
  return len
}

// xtables' __numeric_to_ipaddr: 1 to 4 decimal parts, missing trailing parts are 0
// ("10/8" is 10.0.0.0/8). Parts in hex or octal are legal there too; we decline them.
function parseIPv4(text: string, isMask: boolean): number[] | null {
  const parts = text.split('.')
  if (parts.length > 4 || (isMask && parts.length !== 4)) return null
  const out: number[] = []
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null
    const n = Number(p)
    if (n > 255) return null
    out.push(n)
  }
  while (out.length < 4) out.push(0)
  return out
}

/** Parses `ADDR[/LEN|/MASK]` as iptables does; null for a hostname or anything unusual (left as written). */
export function parseAddress(text: string): ParsedAddress | null {
  const slash = text.lastIndexOf('/')
  const addr = slash >= 0 ? text.slice(0, slash) : text
  const maskText = slash >= 0 ? text.slice(slash + 1) : undefined
  if (addr.includes(':')) {
    let parsed: ipaddr.IPv6
    try {
      if (!ipaddr.IPv6.isValid(addr) || addr.includes('%')) return null
      parsed = ipaddr.IPv6.parse(addr)
    } catch {
      return null
    }
    let mask: number[]
    if (maskText === undefined) mask = prefixMask(128, 16)
    else if (/^\d{1,3}$/.test(maskText) && Number(maskText) <= 128) mask = prefixMask(Number(maskText), 16)
    else if (ipaddr.IPv6.isValid(maskText)) mask = ipaddr.IPv6.parse(maskText).toByteArray()
    else return null
    const bytes = parsed.toByteArray().map((b, i) => b & (mask[i] ?? 0))
    return {family: 'ipv6', bytes, mask}
  }
  const bytes = parseIPv4(addr, false)
  if (!bytes) return null
  let mask: number[] | null
  if (maskText === undefined) mask = prefixMask(32, 4)
  else if (/^\d{1,2}$/.test(maskText) && Number(maskText) <= 32) mask = prefixMask(Number(maskText), 4)
  else mask = parseIPv4(maskText, true)
  if (!mask) return null
  return {family: 'ipv4', bytes: bytes.map((b, i) => b & (mask[i] ?? 0)), mask}
}

export function isAnyAddress(a: ParsedAddress): boolean {
  return a.mask.every((b) => b === 0)
}

/** glibc inet_ntop for IPv6: lower case, longest run (>= 2) of zero groups as `::`, embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d. */
export function formatIPv6(bytes: number[]): string {
  const words: number[] = []
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0))
  let bestBase = -1
  let bestLen = 0
  let curBase = -1
  let curLen = 0
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i
        curLen = 1
      } else curLen++
    } else if (curBase >= 0) {
      if (curLen > bestLen) {
        bestBase = curBase
        bestLen = curLen
      }
      curBase = -1
    }
  }
  if (curBase >= 0 && curLen > bestLen) {
    bestBase = curBase
    bestLen = curLen
  }
  if (bestLen < 2) bestBase = -1
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':'
      continue
    }
    if (i !== 0) out += ':'
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += bytes.slice(12, 16).join('.')
      break
    }
    out += (words[i] ?? 0).toString(16)
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':'
  return out
}

/** `a.b.c.d/len` or `addr/len` as iptables-save prints a header address. */
export function formatAddress(a: ParsedAddress): string {
  const prefix = maskPrefix(a.mask)
  if (a.family === 'ipv4') {
    const addr = a.bytes.join('.')
    return `${addr}/${prefix ?? a.mask.join('.')}`
  }
  return `${formatIPv6(a.bytes)}/${prefix ?? formatIPv6(a.mask)}`
}

/** A bare address (no mask), as conntrack prints `--ctorigdst` for a host address. */
export function formatBareAddress(a: ParsedAddress): string {
  return a.family === 'ipv4' ? a.bytes.join('.') : formatIPv6(a.bytes)
}

export function isHostMask(a: ParsedAddress): boolean {
  return a.mask.every((b) => b === 0xff)
}
