// The schema of every block body, with zod: shapes, types, enums and defaults, checked
// after expressions are evaluated (so a reference shows up as a Ref, see expressions.ts).
// Meaning (CIDRs, ports, names, cross-references) is checked by build.ts and checks.ts,
// which can say more than a type error can.
//
// The same schemas, with references described as "${...}" strings, generate the JSON
// Schema of the .hcl.json form (json-schema.ts).
import {z} from 'zod'

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

export const dockwallSchema = z.strictObject({
  backend: z
    .enum(['auto', 'nft', 'legacy'])
    .default('auto')
    .describe('iptables backend: auto (detect per namespace), nft or legacy.'),
  state: str.default('dockwall.state.json').describe('State file path, relative to the configuration directory.'),
})

export const variableSchema = z.strictObject({
  default: z
    .unknown()
    .optional()
    .describe('Value used when none is given by DOCKWALL_VAR_<name>, --var-file or --var.'),
  description: str.optional().describe('What the variable is for (documentation only).'),
  // `type = string` (bare, Terraform style) arrives as "${string}"; the loader unwraps it.
  type: z
    .enum(['string', 'number', 'bool', 'list'])
    .optional()
    .describe('string, number, bool or list; inferred from the default when omitted.'),
})

export const networkSchema = z.strictObject({
  name: str.optional().describe('Docker network name; defaults to the label.'),
  subnet: str.describe('IPv4 subnet in CIDR form, e.g. 172.18.103.0/24.'),
  gateway: str.optional().describe('Gateway address inside the subnet.'),
  ip_range: str.optional().describe('Sub-range (CIDR) Docker allocates dynamic addresses from.'),
  ipv6: boolLike
    .optional()
    .describe('IPv6 on this network (Docker EnableIPv6); true when ipv6_subnet is set, false otherwise.'),
  ipv6_subnet: str.optional().describe('IPv6 subnet in CIDR form, e.g. fd00:103::/64; Docker chooses when left out.'),
  ipv6_gateway: str.optional().describe('IPv6 gateway address inside ipv6_subnet.'),
  ipv6_ip_range: str.optional().describe('Sub-range (IPv6 CIDR) Docker allocates dynamic IPv6 addresses from.'),
  internal: boolLike.default(false).describe('Internal network: no route to the outside.'),
  labels: stringMap.default({}).describe('Docker labels.'),
  options: stringMap.default({}).describe('Driver options, e.g. com.docker.network.bridge.name.'),
})

export const containerSchema = z.strictObject({
  name: str.optional().describe('Docker container name; defaults to the label.'),
  // Nested blocks, validated on their own (attachmentSchema, routeSchema).
  network: z
    .unknown()
    .optional()
    .describe('network "<label>" { ipv4_address, ipv6_address, aliases } blocks: attachments.'),
  route: z.unknown().optional().describe('route { destination, via } blocks inside the container.'),
})

export const attachmentSchema = z.strictObject({
  ipv4_address: str.optional().describe("Static IPv4 address inside the network's subnet."),
  ipv6_address: str.optional().describe("Static IPv6 address inside the network's ipv6_subnet."),
  aliases: z.array(str, {error: 'expected a list of strings'}).default([]).describe('DNS aliases on this network.'),
})

export const routeSchema = z.strictObject({
  destination: str.describe('Destination CIDR (IPv4 or IPv6).'),
  via: str.describe("Gateway address of the destination's family, inside one of the container's attached subnets."),
})

export const ruleSchema = z.strictObject({
  chain: z
    .enum(['forward', 'input', 'output'])
    .default('forward')
    .describe('forward (between containers/networks), input (to the host or container), output.'),
  from: endpoints.default('any').describe('Source: container.X, network.X, an IP, a CIDR, "any", or a list.'),
  to: endpoints.default('any').describe('Destination: container.X, network.X, an IP, a CIDR, "any", or a list.'),
  proto: z
    .enum(['tcp', 'udp', 'icmp', 'all'])
    .optional()
    .describe('Protocol; tcp when ports are given, otherwise all.'),
  port: portValue.optional().describe('One destination port or range; use either port or ports.'),
  ports: ports.optional().describe('Destination ports: numbers, "8000-8100" ranges, or a list of them.'),
  action: z
    .enum(['accept', 'drop', 'reject', 'log'])
    .default('accept')
    .describe(
      'accept, drop, reject (answers with an ICMP error or a TCP reset), or log (writes the packet to the kernel log and lets it go on to the next rule).',
    ),
  log_prefix: str
    .optional()
    .describe('With action = "log": the text each kernel log line starts with, at most 29 characters.'),
  priority: numberLike.default(100).describe("Order in dockwall's chain, lower first; ties by address."),
  in_interface: str.optional().describe('Input interface (iptables -i); a trailing + is a wildcard.'),
  out_interface: str.optional().describe('Output interface (iptables -o); a trailing + is a wildcard.'),
  in_container: refSchema.optional().describe("Put the rule inside this container's network namespace."),
  family: z
    .enum(['ipv4', 'ipv6'])
    .optional()
    .describe('Only this address family (iptables or ip6tables); by default every family both ends have addresses in.'),
  description: str.optional().describe('Free text, shown in plans (not written to iptables).'),
})

export const portForwardSchema = z.strictObject({
  in_interface: str
    .optional()
    .describe('Host interface the traffic arrives on (nat PREROUTING). Exactly one of in_interface, in_container.'),
  in_container: refSchema
    .optional()
    .describe("Forward inside this container's namespace. Exactly one of in_interface, in_container."),
  proto: z.enum(['tcp', 'udp']).default('tcp').describe('tcp or udp.'),
  port: numberLike.describe('Port the traffic arrives on.'),
  to: endpoint.optional().describe('Destination: container.X or an IP; defaults to in_container.'),
  to_port: numberLike.optional().describe('Destination port; defaults to port.'),
  from: endpoints.default('any').describe('Who may use the forward.'),
  family: z
    .enum(['ipv4', 'ipv6'])
    .optional()
    .describe('Only this address family (iptables or ip6tables); by default every family both ends have addresses in.'),
})

export const masqueradeSchema = z.strictObject({
  source: endpoint.describe('Traffic from: network.X, container.X, a CIDR or an IP.'),
  destination: endpoint.optional().describe('Only traffic to this destination.'),
  out_interface: str.optional().describe('Only traffic leaving through this interface.'),
  in_container: refSchema.optional().describe("Masquerade inside this container's namespace."),
  family: z
    .enum(['ipv4', 'ipv6'])
    .optional()
    .describe('Only this address family (iptables or ip6tables); by default every family both ends have addresses in.'),
})

export const firewallSchema = z.strictObject({
  forward_policy: z
    .enum(['docker', 'drop'])
    .default('docker')
    .describe("docker: after dockwall's rules Docker decides; drop: whitelist."),
  input_policy: z
    .enum(['accept', 'drop'])
    .default('accept')
    .describe('accept: INPUT untouched; drop: whitelist (loopback, established, SSH stay open).'),
  allow_ssh: boolLike.default(true).describe('Keep SSH open when input_policy = "drop".'),
  ssh_port: numberLike.default(22).describe('The SSH port kept open with input_policy = "drop".'),
})

export const importSchema = z.strictObject({
  to: str.describe('Address of a declared resource, e.g. network.frontend.'),
  id: str.describe('Docker id or name of the existing object.'),
})

export const assertSchema = z.strictObject({
  from: endpoint.describe(
    'Where the connection starts: container.X, network.X (each running member), "host", "external:IF" (a client on host interface IF), an IP or a CIDR.',
  ),
  to: endpoint.describe('Where it goes: container.X, network.X (its gateway), "host", "external:IF", an IP or a CIDR.'),
  proto: z.enum(['tcp', 'udp', 'icmp']).default('tcp').describe('tcp, udp or icmp (echo).'),
  port: numberLike.optional().describe('Destination port; required with tcp and udp.'),
  in_interface: str
    .optional()
    .describe("The host interface a client's packets arrive on, when from is an address outside the host."),
  expect: z.enum(['allow', 'deny']).describe('allow: the connection must get through; deny: it must not.'),
  description: str.optional().describe('Free text, shown with the result.'),
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
