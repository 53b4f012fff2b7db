// Conversions from evaluated attribute values to model values, each with the message
// for a value that does not fit. No positions here: callers attach them.
import type {Endpoint, Family, PortRange} from '../model/types.js'
import {Ref} from './expressions.js'
import {type Cidr, canonicalCidr, formatCidr, parseCidr, parseIPv4} from './ipv4.js'
import {
  type Cidr6,
  canonicalCidr6,
  formatCidr6,
  formatIPv6,
  isIPv4Mapped,
  networkOf6,
  parseCidr6,
  parseIPv6,
} from './ipv6.js'
import {closest} from './suggest.js'

export type Result<T> = {ok: true; value: T} | {ok: false; error: string}
const ok = <T>(value: T): Result<T> => ({ok: true, value})
const err = <T>(error: string): Result<T> => ({ok: false, error})

/** A family-specific attribute that got the other family's value: where the right one goes, for the message. */
export interface OtherField {
  /** The attribute to use instead (`ipv6_address`), or a sentence of advice. */
  use?: string
}

function useHint(other: OtherField | undefined): string {
  return other?.use ? `; use ${other.use}` : ''
}

export function ipv4(text: string, other?: OtherField): Result<number> {
  const n = parseIPv4(text)
  if (n !== undefined) return ok(n)
  if (parseIPv6(text) !== undefined || isIPv4Mapped(text))
    return err(`"${text}" is an IPv6 address; an IPv4 address is expected here${useHint(other)}`)
  if (parseCidr6(text) !== undefined) return err(`"${text}" is an IPv6 CIDR; an IPv4 address is expected here`)
  if (text.includes('/')) return err(`"${text}" is a CIDR; an address is expected here (write it without /prefix)`)
  return err(`"${text}" is not a valid IPv4 address`)
}

export function ipv6(text: string, other?: OtherField): Result<bigint> {
  const n = parseIPv6(text)
  if (n !== undefined) return ok(n)
  if (parseIPv4(text) !== undefined)
    return err(`"${text}" is an IPv4 address; an IPv6 address is expected here${useHint(other)}`)
  if (isIPv4Mapped(text))
    return err(`"${text}" is an IPv4-mapped address (IPv4 traffic); write the IPv4 address${useHint(other)}`)
  if (text.includes('/')) return err(`"${text}" is a CIDR; an address is expected here (write it without /prefix)`)
  return err(`"${text}" is not a valid IPv6 address`)
}

/** A CIDR whose host bits are clear: "10.0.0.1/8" is an error suggesting "10.0.0.0/8". */
export function cidr(text: string, other?: OtherField): Result<Cidr> {
  const c = parseCidr(text)
  if (!c) {
    if (parseCidr6(text) !== undefined)
      return err(`"${text}" is an IPv6 CIDR; an IPv4 CIDR is expected here${useHint(other)}`)
    if (parseIPv6(text) !== undefined)
      return err(`"${text}" is an IPv6 address; an IPv4 CIDR is expected here${useHint(other)}`)
    if (!text.includes('/') && parseIPv4(text) !== undefined)
      return err(`"${text}" is an address; a CIDR is expected here (e.g. ${text}/32)`)
    return err(`"${text}" is not a valid IPv4 CIDR (expected a.b.c.d/len with len 0-32)`)
  }
  if (canonicalCidr(c) !== formatCidr(c)) return err(`"${text}" has host bits set; did you mean "${canonicalCidr(c)}"?`)
  return ok(c)
}

/** An IPv6 CIDR whose host bits are clear. */
export function cidr6(text: string, other?: OtherField): Result<Cidr6> {
  const c = parseCidr6(text)
  if (!c) {
    if (parseCidr(text) !== undefined)
      return err(`"${text}" is an IPv4 CIDR; an IPv6 CIDR is expected here${useHint(other)}`)
    if (parseIPv4(text) !== undefined)
      return err(`"${text}" is an IPv4 address; an IPv6 CIDR is expected here${useHint(other)}`)
    if (!text.includes('/') && parseIPv6(text) !== undefined)
      return err(`"${text}" is an address; a CIDR is expected here (e.g. ${text}/128)`)
    return err(`"${text}" is not a valid IPv6 CIDR (expected addr/len with len 0-128)`)
  }
  if (networkOf6(c) !== c.ip) return err(`"${text}" has host bits set; did you mean "${canonicalCidr6(c)}"?`)
  return ok(c)
}

export function familyName(f: Family): string {
  return f === 'ipv4' ? 'IPv4' : 'IPv6'
}

/** An address of either family, in canonical form. */
export interface FamilyAddress {
  family: Family
  /** Canonical text: dotted quad, or RFC 5952. */
  text: string
}

/** An IP address of either family. */
export function ipAny(text: string): Result<FamilyAddress> {
  if (parseIPv4(text) !== undefined) return ok({family: 'ipv4', text})
  const n = parseIPv6(text)
  if (n !== undefined) return ok({family: 'ipv6', text: formatIPv6(n)})
  if (isIPv4Mapped(text)) return err(`"${text}" is an IPv4-mapped address (IPv4 traffic); write the IPv4 address`)
  if (text.includes('/')) return err(`"${text}" is a CIDR; an address is expected here (write it without /prefix)`)
  return err(`"${text}" is not a valid IPv4 or IPv6 address`)
}

/** A CIDR of either family (host bits clear), in canonical form. */
export function cidrAny(text: string): Result<FamilyAddress> {
  if (text.includes(':')) {
    const c = cidr6(text)
    return c.ok ? ok({family: 'ipv6', text: formatCidr6(c.value)}) : c
  }
  const c = cidr(text)
  return c.ok ? ok({family: 'ipv4', text: formatCidr(c.value)}) : c
}

export interface Labels {
  containers: ReadonlySet<string>
  networks: ReadonlySet<string>
}

/** One rule end: a reference, "any", an IP (becomes /32) or a CIDR. */
export function endpoint(v: Ref | string, labels: Labels): Result<Endpoint> {
  if (v instanceof Ref)
    return ok(v.kind === 'container' ? {kind: 'container', container: v.name} : {kind: 'network', network: v.name})
  if (v === 'any') return ok({kind: 'any'})
  if (parseIPv4(v) !== undefined) return ok({kind: 'cidr', cidr: `${v}/32`, family: 'ipv4'})
  const v6 = parseIPv6(v)
  if (v6 !== undefined) return ok({kind: 'cidr', cidr: `${formatIPv6(v6)}/128`, family: 'ipv6'})
  if (isIPv4Mapped(v)) return err(`"${v}" is an IPv4-mapped address (IPv4 traffic); write the IPv4 address`)
  if (v.includes('/') || /^[0-9.]+$/.test(v) || v.includes(':')) {
    const c = cidrAny(v)
    return c.ok ? ok({kind: 'cidr', cidr: c.value.text, family: c.value.family}) : c
  }
  // A bare name: most likely a reference written as a string.
  if (labels.containers.has(v))
    return err(`"${v}" is a string; to refer to the container write container.${v} (without quotes)`)
  if (labels.networks.has(v))
    return err(`"${v}" is a string; to refer to the network write network.${v} (without quotes)`)
  const near = closest(v, labels.containers)
  return err(
    `"${v}" is not an IP address, a CIDR, "any", or a reference (container.NAME, network.NAME)${near ? `; did you mean container.${near}?` : ''}`,
  )
}

const PORT_MIN = 1
const PORT_MAX = 65535

function onePort(text: string): Result<number> {
  if (!/^[0-9]+$/.test(text)) return err(`"${text}" is not a port number`)
  const n = Number(text)
  if (n < PORT_MIN || n > PORT_MAX) return err(`port ${n} is out of range (${PORT_MIN}-${PORT_MAX})`)
  return ok(n)
}

/** A port or a range: 80, "80", "8000-8100". */
export function portRange(v: number | string): Result<PortRange> {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return err(`port ${v} is not an integer`)
    if (v < PORT_MIN || v > PORT_MAX) return err(`port ${v} is out of range (${PORT_MIN}-${PORT_MAX})`)
    return ok({from: v, to: v})
  }
  const t = v.trim()
  const colon = /^([0-9]+):([0-9]+)$/.exec(t)
  if (colon) return err(`"${t}": write port ranges with "-" ("${colon[1]}-${colon[2]}")`)
  const m = /^([0-9]+)\s*-\s*([0-9]+)$/.exec(t)
  if (!m) {
    const p = onePort(t)
    return p.ok
      ? ok({from: p.value, to: p.value})
      : err(/^[0-9]+$/.test(t) ? p.error : `"${t}" is not a port or a range like "8000-8100"`)
  }
  const a = onePort(m[1]!)
  if (!a.ok) return a
  const b = onePort(m[2]!)
  if (!b.ok) return b
  if (a.value > b.value) return err(`port range "${t}" is reversed; did you mean "${b.value}-${a.value}"?`)
  return ok({from: a.value, to: b.value})
}

/** A single port (port_forward, ssh_port). */
export function port(v: number | string): Result<number> {
  const r = portRange(v)
  if (!r.ok) return r
  if (r.value.from !== r.value.to) return err(`expected a single port, got the range "${v}"`)
  return ok(r.value.from)
}

export function integer(v: number | string, what: string): Result<number> {
  const n = typeof v === 'number' ? v : /^-?[0-9]+$/.test(v.trim()) ? Number(v) : NaN
  if (!Number.isSafeInteger(n)) return err(`${what} must be an integer, got ${JSON.stringify(v)}`)
  return ok(n)
}

export function bool(v: boolean | 'true' | 'false'): boolean {
  return v === true || v === 'true'
}
