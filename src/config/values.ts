// Conversions from evaluated attribute values to model values, each with the message
// for a value that does not fit. No positions here: callers attach them.
import type {Endpoint, PortRange} from '../model/types.js'
import {Ref} from './expressions.js'
import {type Cidr, canonicalCidr, formatCidr, looksLikeIPv6, parseCidr, parseIPv4} from './ipv4.js'
import {closest} from './suggest.js'

export type Result<T> = {ok: true; value: T} | {ok: false; error: string}
const ok = <T>(value: T): Result<T> => ({ok: true, value})
const err = <T>(error: string): Result<T> => ({ok: false, error})

export function ipv4(text: string): Result<number> {
  const n = parseIPv4(text)
  if (n !== undefined) return ok(n)
  if (looksLikeIPv6(text)) return err(`"${text}": IPv6 is not supported yet`)
  if (text.includes('/')) return err(`"${text}" is a CIDR; an address is expected here (write it without /prefix)`)
  return err(`"${text}" is not a valid IPv4 address`)
}

/** A CIDR whose host bits are clear: "10.0.0.1/8" is an error suggesting "10.0.0.0/8". */
export function cidr(text: string): Result<Cidr> {
  const c = parseCidr(text)
  if (!c) {
    if (looksLikeIPv6(text)) return err(`"${text}": IPv6 is not supported yet`)
    if (!text.includes('/') && parseIPv4(text) !== undefined)
      return err(`"${text}" is an address; a CIDR is expected here (e.g. ${text}/32)`)
    return err(`"${text}" is not a valid IPv4 CIDR (expected a.b.c.d/len with len 0-32)`)
  }
  if (canonicalCidr(c) !== formatCidr(c)) return err(`"${text}" has host bits set; did you mean "${canonicalCidr(c)}"?`)
  return ok(c)
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
  if (parseIPv4(v) !== undefined) return ok({kind: 'cidr', cidr: `${v}/32`})
  if (v.includes('/') || /^[0-9.]+$/.test(v) || looksLikeIPv6(v)) {
    const c = cidr(v)
    return c.ok ? ok({kind: 'cidr', cidr: formatCidr(c.value)}) : c
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
