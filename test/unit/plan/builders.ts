// Small builders for planner tests: a desired model, a Docker snapshot and
// iptables namespaces written as iptables-save lines.
import type {DockerContainer, DockerNetwork} from '../../../src/docker/types.js'
import type {
  AttachmentSpec,
  ContainerSpec,
  DesiredModel,
  Endpoint,
  FirewallSpec,
  MasqueradeSpec,
  NetworkSpec,
  PortForwardSpec,
  RouteSpec,
  RuleSpec,
} from '../../../src/model/types.js'
import type {ActualChain, ActualModel, ActualNamespace, ActualRule, ActualTables} from '../../../src/refresh/types.js'
import type {NamespaceKey} from '../../../src/model/resources.js'

const at = {file: 'main.hcl', line: 1, column: 1}

export function network(label: string, subnet: string, extra: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    address: `network.${label}`,
    label,
    name: label,
    driver: 'bridge',
    subnet,
    internal: false,
    labels: {},
    options: {},
    at,
    ...extra,
  }
}

export function attachment(container: string, net: string, ip?: string, aliases: string[] = []): AttachmentSpec {
  return {
    address: `container.${container}.network.${net}`,
    container,
    network: net,
    ...(ip ? {ipv4Address: ip} : {}),
    aliases,
    at,
  }
}

export function route(container: string, destination: string, via: string): RouteSpec {
  const family = destination.includes(':') ? 'ipv6' : 'ipv4'
  return {address: `container.${container}.route["${destination}"]`, container, destination, via, family, at}
}

export function container(
  label: string,
  attachments: AttachmentSpec[] = [],
  routes: RouteSpec[] = [],
  name = label,
): ContainerSpec {
  return {address: `container.${label}`, label, name, attachments, routes, at}
}

export const ANY: Endpoint = {kind: 'any'}
export const c = (label: string): Endpoint => ({kind: 'container', container: label})
export const n = (label: string): Endpoint => ({kind: 'network', network: label})
export const cidr = (x: string): Endpoint => ({kind: 'cidr', cidr: x, family: x.includes(':') ? 'ipv6' : 'ipv4'})

export function rule(label: string, extra: Partial<RuleSpec> = {}): RuleSpec {
  return {
    address: `rule.${label}`,
    label,
    chain: 'forward',
    from: [ANY],
    to: [ANY],
    proto: 'all',
    ports: [],
    action: 'accept',
    priority: 100,
    at,
    ...extra,
  }
}

export function portForward(
  label: string,
  extra: Partial<PortForwardSpec> & Pick<PortForwardSpec, 'to'>,
): PortForwardSpec {
  return {address: `port_forward.${label}`, label, proto: 'tcp', port: 80, toPort: 80, from: [ANY], at, ...extra}
}

export function masquerade(label: string, source: Endpoint, extra: Partial<MasqueradeSpec> = {}): MasqueradeSpec {
  return {address: `masquerade.${label}`, label, source, at, ...extra}
}

export const defaultFirewall: FirewallSpec = {forwardPolicy: 'docker', inputPolicy: 'accept', sshPort: 22}

export function model(parts: Partial<DesiredModel> = {}): DesiredModel {
  return {
    settings: {backend: 'auto', statePath: 'dockwall.state.json'},
    networks: [],
    containers: [],
    rules: [],
    portForwards: [],
    masquerades: [],
    asserts: [],
    firewall: defaultFirewall,
    imports: [],
    files: ['main.hcl'],
    ...parts,
  }
}

export function dockerNetwork(name: string, subnet: string, extra: Partial<DockerNetwork> = {}): DockerNetwork {
  return {
    id: `id-${name}`,
    name,
    driver: 'bridge',
    scope: 'local',
    internal: false,
    subnets: [{subnet, gateway: subnet.replace(/0\/\d+$/, '1')}],
    enableIPv6: false,
    subnets6: [],
    labels: {},
    options: {},
    ...extra,
  }
}

export function dockerContainer(
  name: string,
  endpoints: Array<{network: string; ip: string; ip6?: string; static?: boolean; aliases?: string[]}>,
  extra: Partial<DockerContainer> = {},
): DockerContainer {
  const id = `${name.padEnd(12, '0')}ffffffffffff`
  return {
    id,
    name,
    status: 'running',
    pid: 4242,
    endpoints: endpoints.map((e) => ({
      networkId: `id-${e.network}`,
      networkName: e.network,
      ipv4Address: e.ip,
      ...(e.static ? {staticIpv4Address: e.ip} : {}),
      ...(e.ip6 ? {ipv6Address: e.ip6} : {}),
      ...(e.ip6 && e.static ? {staticIpv6Address: e.ip6} : {}),
      aliases: e.aliases ?? [id.slice(0, 12)],
    })),
    labels: {},
    inspected: true,
    ...extra,
  }
}

/** Parses just enough of an iptables-save rule line for tests: comment and target. */
export function actualRule(spec: string): ActualRule {
  const comment = /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(spec)
  const target = /-[jg] (\S+)/.exec(spec)
  const r: ActualRule = {spec}
  if (comment) r.comment = (comment[1] ?? (comment[2] as string)).replace(/\\(.)/g, '$1')
  if (target) r.target = target[1] as string
  return r
}

/** `{FORWARD: ['-j DOCKER-USER'], 'DOCKWALL-FORWARD': [...]}` → chains; built-ins get ACCEPT policy. */
export function chains(spec: Record<string, string[]>): ActualChain[] {
  const builtins = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING'])
  return Object.entries(spec).map(([name, rules]) => ({
    name,
    policy: builtins.has(name) ? 'ACCEPT' : null,
    rules: rules.map(actualRule),
  }))
}

/** Built-in filter and nat chains without rules. */
export function emptyTables(): ActualTables {
  return {
    filter: {name: 'filter', chains: chains({INPUT: [], FORWARD: [], OUTPUT: []})},
    nat: {name: 'nat', chains: chains({PREROUTING: [], INPUT: [], OUTPUT: [], POSTROUTING: []})},
  }
}

export function namespace(
  key: NamespaceKey,
  filter: Record<string, string[]>,
  nat: Record<string, string[]> = {},
  extra: Partial<ActualNamespace> = {},
): ActualNamespace {
  return {
    key,
    backend: 'nft',
    backendReason: 'test',
    tables: {
      filter: {name: 'filter', chains: chains({INPUT: [], FORWARD: [], OUTPUT: [], ...filter})},
      nat: {name: 'nat', chains: chains({PREROUTING: [], INPUT: [], OUTPUT: [], POSTROUTING: [], ...nat})},
    },
    // Refresh always reads the host's ip6tables (here: empty built-in chains).
    ...(key === 'host' ? {tables6: emptyTables()} : {}),
    ...extra,
  }
}

/** A Docker host: DOCKER-USER exists and FORWARD jumps to it. */
export function dockerHost(
  filterExtra: Record<string, string[]> = {},
  nat: Record<string, string[]> = {},
): ActualNamespace {
  return namespace('host', {FORWARD: ['-j DOCKER-USER'], 'DOCKER-USER': ['-j RETURN'], ...filterExtra}, nat)
}

export function actual(
  parts: {networks?: DockerNetwork[]; containers?: DockerContainer[]; namespaces?: ActualNamespace[]} = {},
): ActualModel {
  return {
    docker: {
      engine: {version: '20.10.24', apiVersion: '1.41'},
      networks: parts.networks ?? [],
      containers: parts.containers ?? [],
    },
    namespaces: parts.namespaces ?? [dockerHost()],
    unreadable: [],
  }
}
