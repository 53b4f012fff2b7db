// The Docker half of refresh: one list call for networks, one for containers,
// then bounded parallel inspects only for the containers the caller needs in
// detail (PID for nsenter, aliases). Never one request per rule.
import type Dockerode from 'dockerode'

import {mapLimit} from '../util/pool.js'
import {dockerError, isNotFound, type DockerReader, type EngineHeaders} from './client.js'
import {parseEngineVersion} from './engine.js'
import type {
  ContainerStatus,
  DockerContainer,
  DockerEndpoint,
  DockerNetwork,
  DockerSnapshot,
  EngineInfo,
  IpamSubnet,
} from './types.js'
import {compareText} from '../util/text.js'

export interface ReadDockerOptions {
  /** Container names (without slash) to inspect; others come from the list call only. `all` inspects everything. */
  inspect: readonly string[] | 'all'
  concurrency?: number
}

const STATUSES: readonly ContainerStatus[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]

function toStatus(s: string | undefined): ContainerStatus {
  return (STATUSES as readonly string[]).includes(s ?? '') ? (s as ContainerStatus) : 'dead'
}

interface WireEndpoint {
  NetworkID?: string
  IPAddress?: string
  GlobalIPv6Address?: string
  IPAMConfig?: {IPv4Address?: string; IPv6Address?: string} | null
  Aliases?: string[] | null
}

/**
 * The aliases given to an endpoint. Engines before API 1.45 (Docker 20.10 here) add the
 * container's short id to inspect's Aliases; 26 and later keep it in DNSNames instead, and
 * the list call reports none on any engine. Dropping the id forms makes every engine read
 * the same: exactly what was asked for at connect time.
 */
function givenAliases(aliases: readonly string[] | null | undefined, containerId: string): string[] {
  return (aliases ?? []).filter((a) => a !== containerId && a !== containerId.slice(0, 12)).sort()
}

function toEndpoints(networks: Record<string, WireEndpoint> | undefined, containerId: string): DockerEndpoint[] {
  return Object.entries(networks ?? {})
    .map(([name, ep]) => {
      const out: DockerEndpoint = {
        networkId: ep.NetworkID ?? '',
        networkName: name,
        aliases: givenAliases(ep.Aliases, containerId),
      }
      if (ep.IPAddress) out.ipv4Address = ep.IPAddress
      if (ep.IPAMConfig?.IPv4Address) out.staticIpv4Address = ep.IPAMConfig.IPv4Address
      if (ep.GlobalIPv6Address) out.ipv6Address = ep.GlobalIPv6Address
      if (ep.IPAMConfig?.IPv6Address) out.staticIpv6Address = ep.IPAMConfig.IPv6Address
      return out
    })
    .sort((a, b) => compareText(a.networkName, b.networkName))
}

export function toNetwork(n: Dockerode.NetworkInspectInfo): DockerNetwork {
  const ipam = (v6: boolean): IpamSubnet[] =>
    (n.IPAM?.Config ?? [])
      .filter((c) => c.Subnet && c.Subnet.includes(':') === v6)
      .map((c) => ({
        subnet: c.Subnet as string,
        ...(c.Gateway ? {gateway: c.Gateway} : {}),
        ...(c.IPRange ? {ipRange: c.IPRange} : {}),
      }))
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    internal: Boolean(n.Internal),
    subnets: ipam(false),
    enableIPv6: Boolean(n.EnableIPv6),
    subnets6: ipam(true),
    labels: {...(n.Labels ?? {})},
    options: {...(n.Options ?? {})},
  }
}

function fromList(c: Dockerode.ContainerInfo): DockerContainer {
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    status: toStatus(c.State),
    endpoints: toEndpoints(c.NetworkSettings?.Networks as Record<string, WireEndpoint> | undefined, c.Id),
    labels: {...(c.Labels ?? {})},
    inspected: false,
  }
}

function fromInspect(c: Dockerode.ContainerInspectInfo): DockerContainer {
  const status = toStatus(c.State?.Status)
  const out: DockerContainer = {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    status,
    endpoints: toEndpoints(c.NetworkSettings?.Networks as Record<string, WireEndpoint> | undefined, c.Id),
    labels: {...(c.Config?.Labels ?? {})},
    inspected: true,
  }
  if (c.State?.Running && c.State.Pid > 0) out.pid = c.State.Pid
  return out
}

export async function readEngine(conn: DockerReader): Promise<EngineInfo> {
  try {
    // A /_ping refused (a socket proxy's rules) is not the engine's answer: /version and /info say it.
    const headers = conn.client.ping ? await conn.client.ping().catch(() => undefined) : undefined
    const pinged = headers && engineFromHeaders(headers)
    if (pinged) {
      // Only Docker 28 and later report a firewall backend; /info is read for it there alone.
      if ((parseEngineVersion(pinged.version)?.major ?? 0) < 28) return pinged
      return withFirewallBackend(pinged, (await conn.client.info()) as Record<string, unknown>)
    }
    const [version, info] = await Promise.all([
      conn.client.version(),
      conn.client.info() as Promise<Record<string, unknown>>,
    ])
    return withFirewallBackend({version: version.Version, apiVersion: version.ApiVersion}, info)
  } catch (err) {
    throw dockerError(err, conn.display, 'reading engine version')
  }
}

/** The engine named by /_ping's headers (`Server: Docker/28.5.2+dfsg4 (linux)`); undefined when they do not name it. */
export function engineFromHeaders(headers: EngineHeaders): EngineInfo | undefined {
  const server = /^Docker\/(\S+)/.exec(headers.server ?? '')?.[1]
  if (!server || !headers.apiVersion || parseEngineVersion(server) === undefined) return undefined
  return {version: server, apiVersion: headers.apiVersion}
}

function withFirewallBackend(engine: EngineInfo, info: Record<string, unknown>): EngineInfo {
  const fw = info.FirewallBackend as {Driver?: string} | undefined
  return fw?.Driver ? {...engine, firewallBackend: fw.Driver} : engine
}

/**
 * Container inspects in flight. Each waits on dockerd more than it costs it: measured with
 * `npm run bench` (200 containers, 2 CPUs), 200 inspects took 0.12-0.24 s 8 at a time and
 * 0.04-0.07 s 64 at a time. 64 is also Docker Compose's default parallel limit.
 */
export const INSPECT_CONCURRENCY = 64

/** The first round of a read (the engine, the list calls) and the inspects asked for with it. */
export interface DockerLists {
  engine: EngineInfo
  networks: Dockerode.NetworkInspectInfo[]
  containers: Dockerode.ContainerInfo[]
  /** The containers inspected with the lists, by id. */
  inspected: ReadonlyMap<string, DockerContainer>
}

/**
 * The engine, the list calls, and the inspects of `inspect` (container names): a session
 * starts them as soon as the lock is held (Session.takeDockerLists), with the configuration's
 * containers, so dockerd answers while the state is read; readDocker then inspects only the
 * containers the state adds.
 */
export async function listDocker(
  conn: DockerReader,
  inspect: readonly string[] = [],
  concurrency = INSPECT_CONCURRENCY,
): Promise<DockerLists> {
  const {client, display} = conn
  let engine: EngineInfo
  let networks: Dockerode.NetworkInspectInfo[]
  let containers: Dockerode.ContainerInfo[]
  try {
    ;[engine, networks, containers] = await Promise.all([
      readEngine(conn),
      client.listNetworks(),
      client.listContainers({all: true}),
    ])
  } catch (err) {
    if (err instanceof Error && err.name === 'ExternalError') throw err
    throw dockerError(err, display, 'listing networks and containers')
  }
  const wanted = new Set(inspect)
  const inspected = new Map<string, DockerContainer>()
  await mapLimit(
    containers.filter((c) => wanted.has(fromList(c).name)),
    concurrency,
    async (c) => void inspected.set(c.Id, await inspectListed(conn, c)),
  )
  return {engine, networks, containers, inspected}
}

async function inspectListed(conn: DockerReader, c: Dockerode.ContainerInfo): Promise<DockerContainer> {
  const listed = fromList(c)
  try {
    return fromInspect(await conn.client.getContainer(c.Id).inspect())
  } catch (err) {
    // Removed between list and inspect: report it, do not crash.
    if (isNotFound(err)) return {...listed, status: 'gone' as const, endpoints: [], inspected: true}
    throw dockerError(err, conn.display, `inspecting container ${listed.name}`)
  }
}

/** The snapshot a refresh reads: the lists (`lists` when they were started early), then the inspects still missing. */
export async function readDocker(
  conn: DockerReader,
  opts: ReadDockerOptions,
  lists?: Promise<DockerLists>,
): Promise<DockerSnapshot> {
  const {engine, networks: networkList, containers: containerList, inspected} = await (lists ?? listDocker(conn))
  const wanted = opts.inspect === 'all' ? null : new Set(opts.inspect)
  const containers = await mapLimit(containerList, opts.concurrency ?? 8, async (c) => {
    const listed = fromList(c)
    if (wanted && !wanted.has(listed.name)) return listed
    return inspected.get(c.Id) ?? inspectListed(conn, c)
  })

  return {
    engine,
    networks: networkList.map(toNetwork).sort((a, b) => compareText(a.name, b.name)),
    containers: containers.sort((a, b) => compareText(a.name, b.name)),
  }
}
