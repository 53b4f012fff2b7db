// The Docker side of generated configuration: `network` blocks for the non-default
// bridge networks, `container` blocks with their attachments, and the labels both get.
import {parseCidr} from '../config/ipv4.js'
import type {DockerContainer, DockerEndpoint, DockerNetwork, DockerSnapshot, IpamSubnet} from '../docker/types.js'
import {LINEAGE_LABEL} from '../model/names.js'
import {attribute, block, type HclBlock, type HclItem, type HclObject} from './hcl-writer.js'
import {formatImportId} from './id.js'
import {LabelAllocator} from './labels.js'
import {containerIps, type ReferenceIndex} from './references.js'

/** Docker's predefined networks: not the operator's, and not something dockwall can create. */
export const DEFAULT_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none'])

export interface GeneratedNetwork {
  net: DockerNetwork
  label: string
  ipam: IpamSubnet
}

export interface KnownContainerFull {
  container: DockerContainer
  label: string
  /** Endpoints on generated networks, with the network's label. */
  attachments: Array<{endpoint: DockerEndpoint; network: GeneratedNetwork}>
  /** True when one of those endpoints has a static address: the container is generated for its attachments. */
  hasStatic: boolean
}

export interface DockerScan {
  networks: GeneratedNetwork[]
  containers: KnownContainerFull[]
  index: ReferenceIndex
  explanations: string[]
}

const byName = <T extends {name: string}>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

export function scanDocker(snapshot: DockerSnapshot): DockerScan {
  const explanations: string[] = []
  const netLabels = new LabelAllocator()
  const networks: GeneratedNetwork[] = []
  for (const net of byName(snapshot.networks)) {
    if (DEFAULT_NETWORKS.has(net.name)) continue
    if (net.driver !== 'bridge') {
      explanations.push(`network ${net.name}: left out, its driver is ${net.driver} (dockwall manages bridge networks)`)
      continue
    }
    const v4 = net.subnets.filter((s) => parseCidr(s.subnet) !== undefined)
    if (v4.length === 0) {
      explanations.push(`network ${net.name}: left out, it has no IPv4 subnet`)
      continue
    }
    if (v4.length > 1)
      explanations.push(
        `network ${net.name}: has ${v4.length} IPv4 subnets; only the first (${v4[0]!.subnet}) is described`,
      )
    const {label, renamed} = netLabels.take(net.name)
    if (renamed)
      explanations.push(`network ${net.name}: labelled ${label} (its name made into a label clashed with another)`)
    networks.push({net, label, ipam: v4[0]!})
  }
  const byId = new Map(
    networks.flatMap(
      (n) =>
        [
          [n.net.id, n],
          [n.net.name, n],
        ] as const,
    ),
  )
  const ctrLabels = new LabelAllocator()
  const containers: KnownContainerFull[] = []
  for (const c of byName(snapshot.containers)) {
    if (c.status === 'gone') continue
    const {label} = ctrLabels.take(c.name)
    const attachments = c.endpoints.flatMap((endpoint) => {
      const network = byId.get(endpoint.networkId) ?? byId.get(endpoint.networkName)
      return network ? [{endpoint, network}] : []
    })
    containers.push({
      container: c,
      label,
      attachments,
      hasStatic: attachments.some(
        (a) => a.endpoint.staticIpv4Address !== undefined || a.endpoint.staticIpv6Address !== undefined,
      ),
    })
  }
  const index: ReferenceIndex = {
    containers: containers.map((k) => ({
      label: k.label,
      name: k.container.name,
      ips: containerIps(k.container),
      staticIps: k.container.endpoints.flatMap((e) => [
        ...(e.staticIpv4Address ? [e.staticIpv4Address] : []),
        ...(e.staticIpv6Address ? [e.staticIpv6Address] : []),
      ]),
    })),
    networks: networks.map((n) => ({
      label: n.label,
      subnet: n.ipam.subnet,
      ...(n.net.subnets6[0] ? {subnet6: n.net.subnets6[0].subnet} : {}),
      ipv6: n.net.enableIPv6,
    })),
  }
  return {networks, containers, index, explanations}
}

function stringMap(m: Record<string, string>): HclObject {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

export function networkBlock(n: GeneratedNetwork): {block: HclBlock; importId: string} {
  const body: HclItem[] = []
  if (n.label !== n.net.name) body.push(attribute('name', n.net.name))
  body.push(attribute('subnet', n.ipam.subnet))
  if (n.ipam.gateway) body.push(attribute('gateway', n.ipam.gateway))
  if (n.ipam.ipRange) body.push(attribute('ip_range', n.ipam.ipRange))
  // IPv6 as Docker has it: the first IPv6 subnet (with its gateway and range), or `ipv6 = true` when Docker chose none.
  const v6 = n.net.subnets6[0]
  if (n.net.enableIPv6 && v6) {
    body.push(attribute('ipv6_subnet', v6.subnet))
    if (v6.gateway) body.push(attribute('ipv6_gateway', v6.gateway))
    if (v6.ipRange) body.push(attribute('ipv6_ip_range', v6.ipRange))
  } else if (n.net.enableIPv6) body.push(attribute('ipv6', true))
  if (n.net.internal) body.push(attribute('internal', true))
  // Not dockwall's own lineage label: dockwall sets it, the configuration may not.
  const labels = Object.fromEntries(Object.entries(n.net.labels).filter(([k]) => k !== LINEAGE_LABEL))
  if (Object.keys(labels).length > 0) body.push(attribute('labels', stringMap(labels)))
  if (Object.keys(n.net.options).length > 0) body.push(attribute('options', stringMap(n.net.options)))
  return {
    block: block('network', [n.label], body, [`Docker network ${n.net.name} (${n.net.id.slice(0, 12)})`]),
    importId: formatImportId({kind: 'network', network: n.net.name}),
  }
}

/** Aliases the operator gave; Docker adds the short and full id and (from 25) the name itself. */
export function userAliases(c: DockerContainer, e: DockerEndpoint): string[] {
  return e.aliases.filter((a) => a !== c.id.slice(0, 12) && a !== c.id && a !== c.name).sort()
}

export interface ContainerBlock {
  block: HclBlock
  /** One per declared attachment: address and ID. */
  imports: Array<{to: string; id: string}>
}

/** A container block. With `withAttachments`, its endpoints on generated networks become attachments to import. */
export function containerBlock(k: KnownContainerFull, withAttachments: boolean, why: string): ContainerBlock {
  const body: HclItem[] = []
  const imports: ContainerBlock['imports'] = []
  if (k.label !== k.container.name) body.push(attribute('name', k.container.name))
  if (withAttachments) {
    for (const {endpoint, network} of [...k.attachments].sort((a, b) => (a.network.label < b.network.label ? -1 : 1))) {
      const att: HclItem[] = []
      if (endpoint.staticIpv4Address) att.push(attribute('ipv4_address', endpoint.staticIpv4Address))
      if (endpoint.staticIpv6Address) att.push(attribute('ipv6_address', endpoint.staticIpv6Address))
      const aliases = userAliases(k.container, endpoint)
      if (aliases.length > 0) att.push(attribute('aliases', aliases))
      const note = endpoint.staticIpv4Address
        ? undefined
        : [`dynamic address${endpoint.ipv4Address ? ` (now ${endpoint.ipv4Address})` : ''}: Docker chooses it`]
      body.push(block('network', [network.label], att, note))
      imports.push({
        to: `container.${k.label}.network.${network.label}`,
        id: formatImportId({kind: 'attachment', container: k.container.name, network: network.net.name}),
      })
    }
  }
  return {block: block('container', [k.label], body, [`Docker container ${k.container.name}: ${why}`]), imports}
}
