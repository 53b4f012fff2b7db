// Networks and containers with the options the explain tests need and the sandbox's
// helpers do not offer (published ports, icc=false, internal, IPv6), made through the
// sandbox's Docker API.
import type {Sandbox} from '../sandbox/index.js'
import {TEST_IMAGE} from '../sandbox/index.js'

export interface NetworkSpec {
  name: string
  subnet: string
  gateway?: string
  internal?: boolean
  /** false: Docker's `com.docker.network.bridge.enable_icc=false`. */
  icc?: boolean
  /** The bridge's name (`com.docker.network.bridge.name`); Docker's `br-<id>` by default. */
  bridge?: string
  ipv6Subnet?: string
}

export interface PublishSpec {
  hostPort: number
  containerPort: number
  proto?: 'tcp' | 'udp'
}

export interface ContainerSpec {
  name: string
  /** The first one is the network the container is created on; `bridge` is Docker's default network. */
  networks: Array<{network: string; ip?: string; ip6?: string}>
  publish?: PublishSpec[]
}

export async function createNetworkSpec(sb: Sandbox, n: NetworkSpec): Promise<string> {
  const options: Record<string, string> = {}
  if (n.icc === false) options['com.docker.network.bridge.enable_icc'] = 'false'
  if (n.bridge) options['com.docker.network.bridge.name'] = n.bridge
  const config: Array<{Subnet: string; Gateway?: string}> = [
    {Subnet: n.subnet, ...(n.gateway ? {Gateway: n.gateway} : {})},
  ]
  if (n.ipv6Subnet) config.push({Subnet: n.ipv6Subnet})
  const net = await sb.docker.createNetwork({
    Name: n.name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: n.internal ?? false,
    EnableIPv6: n.ipv6Subnet !== undefined,
    Options: options,
    IPAM: {Driver: 'default', Config: config},
  })
  return net.id
}

export async function runContainerSpec(sb: Sandbox, c: ContainerSpec): Promise<void> {
  const [first, ...rest] = c.networks
  if (!first) throw new Error(`container ${c.name} needs a network`)
  const endpoint = (ip?: string, ip6?: string) =>
    ip || ip6 ? {IPAMConfig: {...(ip ? {IPv4Address: ip} : {}), ...(ip6 ? {IPv6Address: ip6} : {})}} : {}
  const exposed: Record<string, object> = {}
  const bindings: Record<string, Array<{HostPort: string}>> = {}
  for (const p of c.publish ?? []) {
    const key = `${p.containerPort}/${p.proto ?? 'tcp'}`
    exposed[key] = {}
    bindings[key] = [...(bindings[key] ?? []), {HostPort: String(p.hostPort)}]
  }
  const container = await sb.docker.createContainer({
    name: c.name,
    Image: TEST_IMAGE,
    Cmd: ['sleep', '1000000'],
    StopTimeout: 1,
    ExposedPorts: exposed,
    HostConfig: {NetworkMode: first.network, PortBindings: bindings},
    NetworkingConfig: {EndpointsConfig: {[first.network]: endpoint(first.ip, first.ip6)}},
  })
  for (const n of rest)
    await sb.docker.getNetwork(n.network).connect({Container: container.id, EndpointConfig: endpoint(n.ip, n.ip6)})
  await container.start()
}

/**
 * The "typical" host of the explain fixtures: two user networks and a container on both,
 * published ports (one on Docker's default bridge), an internal network, and a network
 * with icc=false.
 */
export const TYPICAL: {networks: NetworkSpec[]; containers: ContainerSpec[]} = {
  networks: [
    {name: 'front', subnet: '10.31.1.0/24', gateway: '10.31.1.1'},
    {name: 'back', subnet: '10.31.2.0/24', gateway: '10.31.2.1'},
    {name: 'intern', subnet: '10.31.3.0/24', gateway: '10.31.3.1', internal: true},
    {name: 'noicc', subnet: '10.31.4.0/24', gateway: '10.31.4.1', icc: false},
  ],
  containers: [
    {name: 'web', networks: [{network: 'front', ip: '10.31.1.10'}], publish: [{hostPort: 8080, containerPort: 80}]},
    {
      name: 'api',
      networks: [
        {network: 'front', ip: '10.31.1.20'},
        {network: 'back', ip: '10.31.2.20'},
      ],
      publish: [{hostPort: 9090, containerPort: 90}],
    },
    {name: 'db', networks: [{network: 'back', ip: '10.31.2.30'}]},
    {name: 'vault', networks: [{network: 'intern', ip: '10.31.3.40'}]},
    {name: 'iso1', networks: [{network: 'noicc', ip: '10.31.4.10'}], publish: [{hostPort: 8443, containerPort: 443}]},
    {name: 'iso2', networks: [{network: 'noicc', ip: '10.31.4.11'}]},
    {name: 'legacy', networks: [{network: 'bridge'}], publish: [{hostPort: 7070, containerPort: 70}]},
  ],
}

export async function buildTypical(sb: Sandbox): Promise<void> {
  for (const n of TYPICAL.networks) await createNetworkSpec(sb, n)
  for (const c of TYPICAL.containers) await runContainerSpec(sb, c)
}

/** Removes every container and every network but Docker's own, so the next scenario starts clean. */
export async function clearScenario(sb: Sandbox): Promise<void> {
  for (const c of await sb.docker.listContainers({all: true})) await sb.docker.getContainer(c.Id).remove({force: true})
  for (const n of await sb.docker.listNetworks())
    if (!['bridge', 'host', 'none'].includes(n.Name)) await sb.docker.getNetwork(n.Id).remove()
}
