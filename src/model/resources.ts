// The vocabulary every layer shares (Terraform's addrs/states role): resource types,
// attribute values, where iptables lines live, and the record of one managed resource
// as the state keeps it and the planner reads it. Nothing here depends on another
// module of dockwall, so config, refresh, state, plan and apply can all import it.
import type {Family} from './types.js'

export type ResourceType =
  'network' | 'attachment' | 'route' | 'rule' | 'port_forward' | 'masquerade' | 'firewall' | 'chain'

/** Plain JSON values only, so plans and states serialise and compare byte for byte. */
export type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
export type Attributes = {[key: string]: Json}

/** Where iptables lines live: the host (or --netns), or a container's namespace by its config label. */
export type NamespaceKey = 'host' | `container.${string}`

/**
 * The iptables tables dockwall writes: filter and nat for its rules, raw for the openings
 * that let declared flows past Docker 28's direct-access drops (raw PREROUTING).
 */
export type FirewallTable = 'filter' | 'nat' | 'raw'

export const FIREWALL_TABLES: readonly FirewallTable[] = ['filter', 'nat', 'raw']

/** One iptables rule as dockwall writes it: chain plus the arguments after `-A CHAIN`. */
export interface RuleLine {
  namespace: NamespaceKey
  /** iptables (ipv4) or ip6tables (ipv6): each family has its own tables. */
  family: Family
  table: FirewallTable
  chain: string
  /** Arguments in iptables-save's normal form, e.g. `-s 10.0.0.0/8 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.x" -j ACCEPT`. */
  spec: string
}

/** How an object came to be in the state: dockwall made it, or found it matching and adopted it, or imported it. */
export type Origin = 'created' | 'adopted' | 'imported'

export const ORIGINS: readonly Origin[] = ['created', 'adopted', 'imported']

/** One managed resource as the state records it and the planner reads it. */
export interface StateResource {
  /** Unique within a state: `network.frontend`, `container.lb.network.frontend`, `rule.web_http`. */
  address: string
  type: ResourceType
  /** Identifiers of the real objects: `id` (a Docker network), `container` (a Docker container). */
  ids: {[key: string]: string}
  /** Networks and attachments: whether dockwall made the object (destroy removes it) or adopted it (destroy releases it). */
  origin?: Origin
  /** A rule imported from a foreign chain whose line is still there: the next apply moves it into dockwall's chain. */
  pendingMove?: true
  attributes: Attributes
  /** For rule-like resources: the iptables lines dockwall wrote for it, in chain order. */
  lines?: RuleLine[]
}

/** Whether two JSON values are equal (key order ignored, as in the canonical state and plan). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a === null || b === null) return false
  if (typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => jsonEqual(x, b[i]))
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k], b[k]))
}

/**
 * Whether two records of a resource hold the same values, field by field. Equal records
 * encode to the same bytes; unequal ones may still (the encoder orders keys and lines), so
 * a caller that needs the bytes' verdict compares those when this says no.
 */
export function sameStateResource(a: StateResource, b: StateResource): boolean {
  if (a === b) return true
  if (a.address !== b.address || a.type !== b.type || a.origin !== b.origin || a.pendingMove !== b.pendingMove)
    return false
  if (!jsonEqual(a.ids, b.ids) || !jsonEqual(a.attributes, b.attributes)) return false
  if (a.lines === undefined || b.lines === undefined) return a.lines === b.lines
  if (a.lines.length !== b.lines.length) return false
  const other = b.lines
  return a.lines.every((l, i) => sameRuleLine(l, other[i]!))
}

/** The same line written the same way (two spellings of one rule differ here: compare normal forms for that). */
export function sameRuleLine(a: RuleLine, b: RuleLine): boolean {
  return (
    a.spec === b.spec &&
    a.chain === b.chain &&
    a.table === b.table &&
    a.family === b.family &&
    a.namespace === b.namespace
  )
}

/** The part of the state the planner reads. */
export interface PriorState {
  serial: number
  lineage: string
  resources: readonly StateResource[]
}
