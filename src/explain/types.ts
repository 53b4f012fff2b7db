// The evaluator's input and output. Plain data (strings, numbers, arrays): the output
// is JSON as it stands, and the input is easy to build from refresh's model, from
// fixtures, or from a plan's rendered lines. See README.md in this folder.
import type {Family, Ruleset} from '../netfilter/types.js'

export type {Family} from '../netfilter/types.js'

/** `host`, `container.web`, `client.dwext0`...: any name, unique within a host. */
export type NamespaceId = string

// ---------------------------------------------------------------- input

export interface ExplainHost {
  namespaces: NamespaceInput[]
  /** Layer-2 segments joining interfaces of different namespaces (bridges and veth pairs). */
  segments: Segment[]
  /** Userland proxies (docker-proxy) accepting on a namespace's socket and connecting onward. */
  proxies?: Proxy[]
  /** Bridge names Docker created (docker0, br-<id>): rules in built-in chains naming them are Docker's. */
  dockerBridges?: string[]
}

export interface NamespaceInput {
  id: NamespaceId
  /**
   * The dumps of each family, all tables (raw, mangle, nat, filter, security), as parsed
   * by src/netfilter's parseRuleset. Absent: the namespace holds no rule of that family
   * (every chain accepts). `null`: it could not be read, so any packet crossing it in
   * that family makes the answer `unknown`.
   */
  rulesets: Partial<Record<Family, Ruleset | null>>
  /**
   * Families whose rules are not read yet (the CLI reads a container's iptables when a
   * packet first enters it): a walk that needs them throws RulesNeeded, and the caller
   * reads them, gives them to Explainer.provideRules and asks again.
   */
  deferred?: Family[]
  interfaces: Interface[]
  /** The main routing table; connected routes of interface addresses are implied when missing. */
  routes: Route[]
  /** net.ipv4.ip_forward / net.ipv6.conf.all.forwarding. */
  forwarding: Record<Family, boolean>
  /** net.bridge.bridge-nf-call-iptables / -ip6tables: bridged frames cross iptables (br_netfilter). Default false. */
  bridgeNetfilter?: Record<Family, boolean>
  /**
   * Listening sockets, when known. Absent: every local destination is taken to be listened
   * on (what a reachability question assumes). Present: a connection to anything else is refused.
   */
  sockets?: Socket[]
}

export interface Interface {
  name: string
  /** `10.0.0.1/24`, `fd00::1/64`. */
  addresses: string[]
}

export interface Route {
  /** `10.0.0.0/24`, `default`, `::/0`. */
  destination: string
  family: Family
  dev: string
  via?: string
  /** Preferred source address (`src` in `ip route`). */
  src?: string
  metric?: number
}

export interface Socket {
  proto: Proto
  /** `0.0.0.0` or `::` for any address of the family. */
  address: string
  port: number
}

export interface SegmentMember {
  namespace: NamespaceId
  /** The interface in that namespace (a container's `eth0`). */
  interface: string
  /** The bridge port its frames enter by (the host end of the veth), for `physdev` matches. */
  port?: string
}

export interface Segment {
  /** The bridge device joining the members, in the namespace that owns it (its addresses are that namespace's interface of the same name). */
  bridge?: {namespace: NamespaceId; name: string}
  members: SegmentMember[]
}

export interface Proxy {
  namespace: NamespaceId
  proto: 'tcp' | 'udp'
  /** Address the proxy listens on (`0.0.0.0`, `::`, or one address). */
  address: string
  port: number
  to: {address: string; port: number}
}

// ---------------------------------------------------------------- query

export type Proto = 'tcp' | 'udp' | 'icmp'

export type Endpoint =
  /** A process in a namespace, sending from `address` (default: the address routing picks). */
  | {kind: 'namespace'; namespace: NamespaceId; address?: string}
  /**
   * A client out of the model, whose packets arrive on `interface` of `namespace` (default
   * `host`) from `address`; without `interface`, the one the namespace routes `address` by
   * (where an SSH client's packets come from, for the lockout guard).
   */
  | {kind: 'client'; namespace?: NamespaceId; interface?: string; address: string}

export interface Query {
  from: Endpoint
  /** The destination address as the client writes it (a container's address, a host address with a published port). */
  to: string
  proto: Proto
  /** Destination port (tcp, udp); ignored for icmp. */
  port?: number
  /** Source port of the client (default 40000); icmp: the echo identifier. */
  sourcePort?: number
}

// ---------------------------------------------------------------- output

export type Verdict = 'allow' | 'deny' | 'unknown'

export type Owner =
  {kind: 'dockwall'; address: string} | {kind: 'docker'} | {kind: 'foreign'; chain: string; position: number}

/** One rule of a dump: where it is and who wrote it. */
export interface RuleRef {
  namespace: NamespaceId
  family: Family
  table: string
  chain: string
  /** 1-based within the chain, as `iptables -L --line-numbers` counts. */
  position: number
  /** `-A CHAIN args` in iptables-save's normal form. */
  text: string
  owner: Owner
}

export interface ChainRef {
  namespace: NamespaceId
  family: Family
  table: string
  chain: string
}

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING'

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED'

export interface PacketView {
  family: Family
  src: string
  dst: string
  proto: Proto
  sport?: number
  dport?: number
  icmpType?: number
  /** TCP flags set: `SYN`, `SYN,ACK`, `ACK`. */
  tcpFlags?: string
}

export type NatKind = 'DNAT' | 'REDIRECT' | 'SNAT' | 'MASQUERADE'

/** What stopped a packet that was not accepted. */
export type Decision =
  | {kind: 'rule'; target: string; rule: RuleRef}
  | {kind: 'policy'; policy: string; chain: ChainRef}
  | {kind: 'routing'; namespace: NamespaceId; reason: string}
  | {kind: 'socket'; namespace: NamespaceId; reason: string}
  | {kind: 'unknown'; reason: string; rules: RuleRef[]}

export type Step =
  /** The packet enters a namespace: sent by a local process, or received on an interface. */
  | {kind: 'enter'; namespace: NamespaceId; interface?: string; physdev?: string; packet: PacketView}
  | {kind: 'chain'; chain: ChainRef; hook: Hook}
  /** A rule whose matches all held (or could not be evaluated: `unknown` names what was not modelled). */
  | {kind: 'rule'; rule: RuleRef; effect: string; unknown?: string}
  /** A built-in chain ended without a verdict rule: its policy applied. */
  | {kind: 'policy'; chain: ChainRef; policy: string}
  /** A user chain ended (or a RETURN): back to the caller. */
  | {kind: 'return'; chain: ChainRef}
  | {kind: 'conntrack'; namespace: NamespaceId; state: CtState; direction: 'original' | 'reply'; nat?: string}
  | {kind: 'nat'; namespace: NamespaceId; nat: NatKind | 'un-NAT'; from: string; to: string; rule?: RuleRef}
  | {
      kind: 'route'
      namespace: NamespaceId
      decision: 'local' | 'forward' | 'bridge' | 'output'
      interface?: string
      nextHop?: string
    }
  | {kind: 'deliver'; namespace: NamespaceId; address: string; port?: number}
  | {kind: 'leave'; namespace: NamespaceId; interface: string; nextHop: string}

export type Outcome =
  /** Accepted by a local socket of `namespace` (or a listener assumed there). */
  | {kind: 'delivered'; namespace: NamespaceId; address: string; port?: number; proxy?: Proxy}
  /** Sent out of the model through an interface that leads nowhere known (toward a client). */
  | {kind: 'left'; namespace: NamespaceId; interface: string; nextHop: string}
  | {kind: 'dropped'; by: Decision}

export interface PacketTrace {
  /**
   * `neighbour`: IPv6 neighbour discovery the first packet needs across a bridge whose frames
   * cross ip6tables; `first`: the connection's first packet; `reply`: the answer; `next`: the
   * client's following packet.
   */
  packet: 'neighbour' | 'first' | 'reply' | 'next'
  steps: Step[]
  outcome: Outcome
}

export interface ExplainResult {
  verdict: Verdict
  /** One line for people. */
  summary: string
  family: Family
  /** The packets simulated, in order; later ones only while earlier ones got through. */
  traces: PacketTrace[]
  /** Deny: what dropped it. Allow: the filter verdict that let the first packet through (FORWARD first, then INPUT, OUTPUT). */
  decidedBy: Decision
  /** Every ACCEPT (rule or policy) that let the first packet through a filter chain, in path order. */
  accepts: Decision[]
  /** Rules with a match or target outside the model, that the packets reached; whether they changed the answer is in `verdict`. */
  unmodelled: {rule: RuleRef; what: string}[]
  /** When a userland proxy accepted the connection: the proxy's own connection onward. */
  relay?: ExplainResult
}
