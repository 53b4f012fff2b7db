// What dockwall knows about Docker, independent of dockerode's wire types.

export interface IpamSubnet {
  subnet: string
  gateway?: string
  ipRange?: string
}

export interface DockerNetwork {
  id: string
  name: string
  driver: string
  scope: string
  internal: boolean
  /** IPv4 subnets (IPAM config entries). */
  subnets: IpamSubnet[]
  /** Docker's EnableIPv6. */
  enableIPv6: boolean
  /** IPv6 subnets (IPAM config entries, and those Docker chose itself). */
  subnets6: IpamSubnet[]
  labels: Record<string, string>
  options: Record<string, string>
}

export interface DockerEndpoint {
  networkId: string
  networkName: string
  /** Current IPv4 address, without prefix length; absent when the container is not running. */
  ipv4Address?: string
  /** The static address requested at connect time (IPAMConfig), if any. */
  staticIpv4Address?: string
  /** Current global IPv6 address (GlobalIPv6Address), in Docker's (RFC 5952) spelling. */
  ipv6Address?: string
  staticIpv6Address?: string
  /**
   * The aliases given at connect time, sorted (the container's id forms, which engines before
   * API 1.45 add, are dropped on read). Only inspected containers have them: the list call reports none.
   */
  aliases: string[]
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | 'gone'

export interface DockerContainer {
  id: string
  /** Without Docker's leading slash. */
  name: string
  status: ContainerStatus
  /** PID of the container's init process when running (from inspect); used for nsenter. */
  pid?: number
  endpoints: DockerEndpoint[]
  labels: Record<string, string>
  /** True when the details (pid, aliases) come from an inspect, not just the list. */
  inspected: boolean
}

export interface EngineInfo {
  version: string
  apiVersion: string
  /** Docker 28+ reports its firewall backend (iptables, nftables); older engines: undefined. */
  firewallBackend?: string
  /** The engine's own iptables setting is off when false (dockerd --iptables=false). */
  iptables?: boolean
}

export interface DockerSnapshot {
  engine: EngineInfo
  networks: DockerNetwork[]
  containers: DockerContainer[]
}
