// The desired model: what the configuration declares, after parsing, variable
// evaluation and reference resolution. Everything downstream (plan, apply, import)
// consumes these types; nothing here knows about HCL or JSON.

/** Where a block or attribute was declared, for error messages. Lines and columns are 1-based. */
export interface SourcePos {
  file: string
  line: number
  column: number
  /** Where the attribute value or expression ends (exclusive), when a message is about one: the caret line spans it. */
  end?: {line: number; column: number}
}

/** Resource addresses, Terraform style: `network.frontend`, `rule.web_http`, `container.lb.network.frontend`. */
export type Address = string

export type Backend = 'nft' | 'legacy'

/** An address family: iptables writes IPv4, ip6tables IPv6; every address, line and transaction has one. */
export type Family = 'ipv4' | 'ipv6'

export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6']

/** The family of an address or CIDR already known to be valid: IPv6 text always holds a colon, IPv4 text never. */
export function addressFamily(text: string): Family {
  return text.includes(':') ? 'ipv6' : 'ipv4'
}
export type BackendSetting = 'auto' | Backend

export interface Settings {
  backend: BackendSetting
  /** Path of the state file, resolved against the configuration directory. */
  statePath: string
}

/**
 * One end of a rule: a reference (kept as a reference so the planner can resolve
 * it against what Docker reports) or a literal.
 */
export type Endpoint =
  | {kind: 'any'}
  | {kind: 'cidr'; cidr: string; family: Family} // canonical a.b.c.d/len or RFC 5952 addr/len (an IP becomes /32 or /128)
  | {kind: 'container'; container: string} // label of a `container` block
  | {kind: 'network'; network: string} // label of a `network` block

export interface PortRange {
  from: number
  to: number // equal to `from` for a single port
}

export interface NetworkSpec {
  address: Address // network.<label>
  label: string
  /** Docker network name; defaults to the label. */
  name: string
  driver: 'bridge'
  subnet: string
  gateway?: string
  ipRange?: string
  /** Present when the network has IPv6 (`ipv6 = true`); its fields are optional: Docker chooses what is left out. */
  ipv6?: Ipv6Settings
  internal: boolean
  labels: Record<string, string>
  /** Driver options (`com.docker.network.bridge.name` etc.). */
  options: Record<string, string>
  at: SourcePos
}

export interface Ipv6Settings {
  subnet?: string
  gateway?: string
  ipRange?: string
}

export interface AttachmentSpec {
  address: Address // container.<label>.network.<network label>
  container: string // container label
  network: string // network label
  ipv4Address?: string
  ipv6Address?: string
  aliases: string[]
  at: SourcePos
}

export interface RouteSpec {
  address: Address // container.<label>.route["<destination>"]
  container: string
  destination: string // CIDR, normalised
  via: string // gateway, of the destination's family
  family: Family
  at: SourcePos
}

export interface ContainerSpec {
  address: Address // container.<label>
  label: string
  /** Docker container name; defaults to the label. */
  name: string
  attachments: AttachmentSpec[]
  routes: RouteSpec[]
  at: SourcePos
}

export type RuleChain = 'forward' | 'input' | 'output'
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'all'
/** `log` writes the packet to the kernel log (iptables LOG) and lets it go on to the next rule. */
export type RuleAction = 'accept' | 'drop' | 'reject' | 'log'

export interface RuleSpec {
  address: Address // rule.<label>
  label: string
  chain: RuleChain
  /** Empty list never happens: `any` is explicit. Several entries mean "any of them". */
  from: Endpoint[]
  to: Endpoint[]
  proto: Protocol
  /** Destination ports; empty means all ports. Only with tcp/udp. */
  ports: PortRange[]
  action: RuleAction
  /** With action `log`: the text the kernel log line starts with (iptables --log-prefix, at most 29 characters). */
  logPrefix?: string
  priority: number
  inInterface?: string
  outInterface?: string
  /** Put the rule inside this container's network namespace instead of the host. */
  inContainer?: string
  /** Only this family; absent: every family both ends have addresses in ("any" has both). */
  family?: Family
  description?: string
  at: SourcePos
}

export interface PortForwardSpec {
  address: Address // port_forward.<label>
  label: string
  /** Exactly one of inInterface / inContainer is set. */
  inInterface?: string
  inContainer?: string
  proto: 'tcp' | 'udp'
  port: number
  /** Destination: a container (resolved to its address) or a literal IP (cidr /32). Defaults to inContainer's own address when in a container. */
  to: Endpoint
  toPort: number
  /** Optional restriction of who may use the forward. */
  from: Endpoint[]
  /** Only this family; absent: every family the destination and `from` have. */
  family?: Family
  at: SourcePos
}

export interface MasqueradeSpec {
  address: Address // masquerade.<label>
  label: string
  source: Endpoint
  destination?: Endpoint
  outInterface?: string
  inContainer?: string
  /** Only this family; absent: every family source and destination have. */
  family?: Family
  at: SourcePos
}

export interface FirewallSpec {
  /** docker: after dockwall's rules, Docker decides. drop: whitelist, anything not accepted is dropped. */
  forwardPolicy: 'docker' | 'drop'
  /** accept: INPUT untouched. drop: whitelist for the host itself (loopback, established and SSH stay open). */
  inputPolicy: 'accept' | 'drop'
  /** TCP port kept open when inputPolicy is drop; null only when the configuration says `allow_ssh = false`. */
  sshPort: number | null
  at?: SourcePos
}

export interface ImportSpec {
  to: Address
  id: string
  at: SourcePos
}

/** What an assertion's `from` or `to` names: a reference, the host, a client on a host interface, or addresses. */
export type AssertEndpoint =
  | {kind: 'container'; container: string} // label of a `container` block
  | {kind: 'network'; network: string} // label of a `network` block
  | {kind: 'host'}
  | {kind: 'external'; interface: string}
  | {kind: 'cidr'; cidr: string; family: Family} // an IP becomes /32 or /128

export type AssertExpect = 'allow' | 'deny'

/** `assert "x" { from, to, proto, port, expect }`: a reachability the planned host must have (issue 16). */
export interface AssertSpec {
  address: Address // assert.<label>
  label: string
  from: AssertEndpoint
  to: AssertEndpoint
  proto: 'tcp' | 'udp' | 'icmp'
  /** tcp and udp only. */
  port?: number
  /** The host interface a client's packets arrive on (from an address outside the host). */
  inInterface?: string
  expect: AssertExpect
  description?: string
  at: SourcePos
}

export interface DesiredModel {
  settings: Settings
  networks: NetworkSpec[]
  containers: ContainerSpec[]
  rules: RuleSpec[]
  portForwards: PortForwardSpec[]
  masquerades: MasqueradeSpec[]
  /** Checked against the planned host by plan, apply, test and watch; never written to the host. */
  asserts: AssertSpec[]
  firewall: FirewallSpec
  imports: ImportSpec[]
  /** The files the model was read from, in load order (for messages and watch). */
  files: string[]
}
