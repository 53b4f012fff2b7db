// The schema of every block body, with zod: shapes, types, enums and defaults, checked
// after expressions are evaluated (so a reference shows up as a Ref, see expressions.ts).
// Meaning (CIDRs, ports, names, cross-references) is checked by build.ts and checks.ts,
// which can say more than a type error can.
//
// The same schemas, with references described as "${...}" strings, generate the JSON
// Schema of the .hcl.json form (json-schema.ts).
import * as z from '../util/zod.js'
import {Ref} from './expressions.js'

// Scalars that may arrive as text: environment and --var values are strings, and a
// variable without a declared type keeps them so.
const numberLike = z.union([z.number(), z.string()], {error: 'expected a number'})
const boolLike = z.union([z.boolean(), z.enum(['true', 'false'])], {error: 'expected true or false'})
const str = z.string({error: 'expected a string'})
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], {error: 'expected a string'}), {
  error: 'expected a map of strings ({ key = "value" })',
})

export const refSchema = z.custom<Ref>((v) => v instanceof Ref, {
  error: 'expected a reference such as container.NAME (without quotes)',
})
const endpoint = z.union([refSchema, z.string()], {
  error: 'expected container.NAME, network.NAME, an IP, a CIDR or "any"',
})
const endpoints = z.union([endpoint, z.array(endpoint)], {
  error: 'expected container.NAME, network.NAME, an IP, a CIDR, "any", or a list of them',
})
const portValue = z.union([z.number(), z.string()], {error: 'expected a port number or a range "8000-8100"'})
const ports = z.union([portValue, z.array(portValue)], {
  error: 'expected a port number, a range "8000-8100", or a list of them',
})

/**
 * `schema` with a description, as classic zod's `schema.describe(text)`: a copy of the
 * schema, registered with the text in z.globalRegistry (where z.toJSONSchema reads
 * descriptions), the original left as it is. Not `z.describe(text)` as a check: that adds
 * a check to the definition, and fast-check.ts leaves every schema with checks to zod.
 */
export function described<S extends z.ZodMiniType>(schema: S, description: string): S {
  const copy = schema.clone()
  z.globalRegistry.add(copy, {description})
  return copy
}

/** An optional field and its description: classic zod's `s.optional().describe(text)`. */
export const optional = <S extends z.ZodMiniType>(s: S, text: string) => described(z.optional(s), text)

export const dockwallSchema = z.strictObject({
  backend: described(
    z._default(z.enum(['auto', 'nft', 'legacy']), 'auto'),
    'iptables backend: auto (detect per namespace), nft or legacy.',
  ),
  state: described(z._default(str, 'dockwall.state.json'), 'State file path, relative to the configuration directory.'),
})

export const variableSchema = z.strictObject({
  default: optional(z.unknown(), 'Value used when none is given by DOCKWALL_VAR_<name>, --var-file or --var.'),
  description: optional(str, 'What the variable is for (documentation only).'),
  // `type = string` (bare, Terraform style) arrives as "${string}"; the loader unwraps it.
  type: optional(
    z.enum(['string', 'number', 'bool', 'list']),
    'string, number, bool or list; inferred from the default when omitted.',
  ),
})

export const networkSchema = z.strictObject({
  name: optional(str, 'Docker network name; defaults to the label.'),
  subnet: described(str, 'IPv4 subnet in CIDR form, e.g. 172.18.103.0/24.'),
  gateway: optional(str, 'Gateway address inside the subnet.'),
  ip_range: optional(str, 'Sub-range (CIDR) Docker allocates dynamic addresses from.'),
  ipv6: optional(boolLike, 'IPv6 on this network (Docker EnableIPv6); true when ipv6_subnet is set, false otherwise.'),
  ipv6_subnet: optional(str, 'IPv6 subnet in CIDR form, e.g. fd00:103::/64; Docker chooses when left out.'),
  ipv6_gateway: optional(str, 'IPv6 gateway address inside ipv6_subnet.'),
  ipv6_ip_range: optional(str, 'Sub-range (IPv6 CIDR) Docker allocates dynamic IPv6 addresses from.'),
  internal: described(z._default(boolLike, false), 'Internal network: no route to the outside.'),
  labels: described(z._default(stringMap, {}), 'Docker labels.'),
  options: described(z._default(stringMap, {}), 'Driver options, e.g. com.docker.network.bridge.name.'),
})

export const containerSchema = z.strictObject({
  name: optional(str, 'Docker container name; defaults to the label.'),
  // Nested blocks, validated on their own (attachmentSchema, routeSchema).
  network: optional(z.unknown(), 'network "<label>" { ipv4_address, ipv6_address, aliases } blocks: attachments.'),
  route: optional(z.unknown(), 'route { destination, via } blocks inside the container.'),
})

export const attachmentSchema = z.strictObject({
  ipv4_address: optional(str, "Static IPv4 address inside the network's subnet."),
  ipv6_address: optional(str, "Static IPv6 address inside the network's ipv6_subnet."),
  aliases: described(
    z._default(z.array(str, {error: 'expected a list of strings'}), []),
    'DNS aliases on this network.',
  ),
})

export const routeSchema = z.strictObject({
  destination: described(str, 'Destination CIDR (IPv4 or IPv6).'),
  via: described(str, "Gateway address of the destination's family, inside one of the container's attached subnets."),
})

export const ruleSchema = z.strictObject({
  chain: described(
    z._default(z.enum(['forward', 'input', 'output']), 'forward'),
    'forward (between containers/networks), input (to the host or container), output.',
  ),
  from: described(z._default(endpoints, 'any'), 'Source: container.X, network.X, an IP, a CIDR, "any", or a list.'),
  to: described(z._default(endpoints, 'any'), 'Destination: container.X, network.X, an IP, a CIDR, "any", or a list.'),
  proto: optional(z.enum(['tcp', 'udp', 'icmp', 'all']), 'Protocol; tcp when ports are given, otherwise all.'),
  port: optional(portValue, 'One destination port or range; use either port or ports.'),
  ports: optional(ports, 'Destination ports: numbers, "8000-8100" ranges, or a list of them.'),
  action: described(
    z._default(z.enum(['accept', 'drop', 'reject', 'log']), 'accept'),
    'accept, drop, reject (answers with an ICMP error or a TCP reset), or log (writes the packet to the kernel log and lets it go on to the next rule).',
  ),
  log_prefix: optional(str, 'With action = "log": the text each kernel log line starts with, at most 29 characters.'),
  priority: described(z._default(numberLike, 100), "Order in dockwall's chain, lower first; ties by address."),
  in_interface: optional(str, 'Input interface (iptables -i); a trailing + is a wildcard.'),
  out_interface: optional(str, 'Output interface (iptables -o); a trailing + is a wildcard.'),
  in_container: optional(refSchema, "Put the rule inside this container's network namespace."),
  family: optional(
    z.enum(['ipv4', 'ipv6']),
    'Only this address family (iptables or ip6tables); by default every family both ends have addresses in.',
  ),
  description: optional(str, 'Free text, shown in plans (not written to iptables).'),
})

export const portForwardSchema = z.strictObject({
  in_interface: optional(
    str,
    'Host interface the traffic arrives on (nat PREROUTING). Exactly one of in_interface, in_container.',
  ),
  in_container: optional(
    refSchema,
    "Forward inside this container's namespace. Exactly one of in_interface, in_container.",
  ),
  proto: described(z._default(z.enum(['tcp', 'udp']), 'tcp'), 'tcp or udp.'),
  port: described(numberLike, 'Port the traffic arrives on.'),
  to: optional(endpoint, 'Destination: container.X or an IP; defaults to in_container.'),
  to_port: optional(numberLike, 'Destination port; defaults to port.'),
  from: described(z._default(endpoints, 'any'), 'Who may use the forward.'),
  family: optional(
    z.enum(['ipv4', 'ipv6']),
    'Only this address family (iptables or ip6tables); by default every family both ends have addresses in.',
  ),
})

export const masqueradeSchema = z.strictObject({
  source: described(endpoint, 'Traffic from: network.X, container.X, a CIDR or an IP.'),
  destination: optional(endpoint, 'Only traffic to this destination.'),
  out_interface: optional(str, 'Only traffic leaving through this interface.'),
  in_container: optional(refSchema, "Masquerade inside this container's namespace."),
  family: optional(
    z.enum(['ipv4', 'ipv6']),
    'Only this address family (iptables or ip6tables); by default every family both ends have addresses in.',
  ),
})

export const firewallSchema = z.strictObject({
  forward_policy: described(
    z._default(z.enum(['docker', 'drop']), 'docker'),
    "docker: after dockwall's rules Docker decides; drop: whitelist.",
  ),
  input_policy: described(
    z._default(z.enum(['accept', 'drop']), 'accept'),
    'accept: INPUT untouched; drop: whitelist (loopback, established, SSH stay open).',
  ),
  allow_ssh: described(z._default(boolLike, true), 'Keep SSH open when input_policy = "drop".'),
  ssh_port: described(z._default(numberLike, 22), 'The SSH port kept open with input_policy = "drop".'),
})

export const importSchema = z.strictObject({
  to: described(str, 'Address of a declared resource, e.g. network.frontend.'),
  id: described(str, 'Docker id or name of the existing object.'),
})

export const assertSchema = z.strictObject({
  from: described(
    endpoint,
    'Where the connection starts: container.X, network.X (each running member), "host", "external:IF" (a client on host interface IF), an IP or a CIDR.',
  ),
  to: described(
    endpoint,
    'Where it goes: container.X, network.X (its gateway), "host", "external:IF", an IP or a CIDR.',
  ),
  proto: described(z._default(z.enum(['tcp', 'udp', 'icmp']), 'tcp'), 'tcp, udp or icmp (echo).'),
  port: optional(numberLike, 'Destination port; required with tcp and udp.'),
  in_interface: optional(
    str,
    "The host interface a client's packets arrive on, when from is an address outside the host.",
  ),
  expect: described(z.enum(['allow', 'deny']), 'allow: the connection must get through; deny: it must not.'),
  description: optional(str, 'Free text, shown with the result.'),
})

export const BODY_SCHEMAS = {
  dockwall: dockwallSchema,
  variable: variableSchema,
  network: networkSchema,
  container: containerSchema,
  rule: ruleSchema,
  port_forward: portForwardSchema,
  masquerade: masqueradeSchema,
  assert: assertSchema,
  firewall: firewallSchema,
  import: importSchema,
} as const

export type DockwallBody = z.output<typeof dockwallSchema>
export type VariableBody = z.output<typeof variableSchema>
export type NetworkBody = z.output<typeof networkSchema>
export type ContainerBody = z.output<typeof containerSchema>
export type AttachmentBody = z.output<typeof attachmentSchema>
export type RouteBody = z.output<typeof routeSchema>
export type RuleBody = z.output<typeof ruleSchema>
export type PortForwardBody = z.output<typeof portForwardSchema>
export type MasqueradeBody = z.output<typeof masqueradeSchema>
export type FirewallBody = z.output<typeof firewallSchema>
export type ImportBody = z.output<typeof importSchema>
export type AssertBody = z.output<typeof assertSchema>
