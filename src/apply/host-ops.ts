// The side effects apply performs, behind one interface so the engine can be
// tested with stubs. The real implementation talks to Docker through dockerode,
// runs `ip route` inside containers via nsenter, and writes iptables through
// iptables-restore --noflush (src/netfilter).
import type Dockerode from 'dockerode'

import {dockerError, isNotFound, type DockerConnection} from '../docker/client.js'
import {ExternalError} from '../errors.js'
import {LINEAGE_LABEL} from '../model/names.js'
import type {Json, Origin} from '../model/resources.js'
import type {Change, FirewallTransaction} from '../plan/types.js'
import {run, type NetnsTarget} from '../util/exec.js'

/** What a Docker change leaves to record: the object's ids (a new network's id) and, for what it made, its origin. */
export interface DockerResult {
  ids: {[key: string]: string}
  origin?: Origin
}

export interface HostOps {
  /** Performs a network, attachment or route change. */
  dockerChange(change: Change): Promise<DockerResult>
  /** Runs one iptables-restore --noflush transaction; throws when it did not commit. */
  restore(tx: FirewallTransaction): Promise<void>
}

export interface RealHostOpsOptions {
  /** dockerode's connection, asked for on the first Docker change (an apply of rules alone never loads it). */
  docker: () => Promise<DockerConnection>
  /** Writes one restore transaction (src/netfilter); the namespace is resolved by the caller. */
  restore: (tx: FirewallTransaction) => Promise<void>
  /** The state's lineage: every network dockwall creates carries it as a label (LINEAGE_LABEL). */
  lineage: string
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

interface EndpointRecord {
  container: string
  name: string
  aliases: string[]
  /** The static address (IPAMConfig), if any. */
  ipv4?: string
  ipv6?: string
  /** The address it had: what a restored network gives it back. */
  currentIpv4?: string
  currentIpv6?: string
}

export function createHostOps(opts: RealHostOpsOptions): HostOps {
  let docker: Promise<DockerOps> | undefined
  return {
    restore: opts.restore,
    dockerChange: async (c) => (await (docker ??= opts.docker().then((d) => new DockerOps(d, opts.lineage)))).change(c),
  }
}

/** The Docker side of apply: networks, attachments, and routes inside containers (ip route via nsenter). */
class DockerOps {
  private readonly client: Dockerode
  private readonly display: string

  constructor(
    docker: DockerConnection,
    private readonly lineage: string,
  ) {
    this.client = docker.client
    this.display = docker.display
  }

  async change(c: Change): Promise<DockerResult> {
    switch (c.type) {
      case 'network':
        return this.networkChange(c)
      case 'attachment':
        return this.attachmentChange(c)
      case 'route':
        return this.routeChange(c)
      default:
        throw new Error(`${c.address}: ${c.type} is not a Docker change`)
    }
  }

  /** Errors from dockerode become ExternalErrors that say what was being done and where. */
  private async wrap<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof ExternalError) throw err
      throw dockerError(err, this.display, doing)
    }
  }

  private networkChange(c: Change): Promise<DockerResult> {
    const before = c.before ?? {}
    const after = c.after ?? {}
    return this.wrap(`${c.action} network ${str(after.name) ?? str(before.name)}`, async (): Promise<DockerResult> => {
      if (c.action === 'create') return {ids: {id: await this.createNetwork(after)}, origin: 'created'}
      const oldId = c.ids?.id
      if (!oldId) throw new ExternalError(`${c.address}: no Docker network id in the plan`)
      const old = (await this.client.getNetwork(oldId).inspect()) as Dockerode.NetworkInspectInfo
      const attached = await this.endpointsOf(old)
      for (const e of attached) await this.disconnect(oldId, e.container)
      try {
        await this.client.getNetwork(oldId).remove()
      } catch (err) {
        // The network is still there: give its containers back before reporting.
        await this.reconnectAll(oldId, attached).catch(() => {})
        throw err
      }
      if (c.action === 'delete') return {ids: {}}
      let id: string
      try {
        id = await this.createNetwork(after)
      } catch (err) {
        // Docker refused the successor after the old network was deleted (an overlapping
        // subnet created meanwhile, a pool conflict): put the old one back as it was, with its
        // containers at their addresses, then report the failure.
        throw new ExternalError(`${await this.restoreNetwork(old, attached, err)}`)
      }
      // Put back every container the replace disconnected; dockwall's own attachments are then replaced as planned.
      for (const e of attached) await this.connect(id, e.container, {}, e.aliases)
      return {ids: {id}, origin: c.origin ?? 'created'}
    })
  }

  /** Recreates a deleted network from its inspect data and reconnects its containers; says what happened. */
  private async restoreNetwork(
    old: Dockerode.NetworkInspectInfo,
    attached: readonly EndpointRecord[],
    cause: unknown,
  ): Promise<string> {
    const why = dockerError(cause, this.display, `create network ${old.Name}`).message
    let id: string
    try {
      const net = await this.client.createNetwork({
        Name: old.Name,
        Driver: old.Driver,
        CheckDuplicate: true,
        EnableIPv6: old.EnableIPv6,
        Internal: old.Internal,
        Attachable: old.Attachable,
        IPAM: {
          Driver: old.IPAM?.Driver ?? 'default',
          Config: (old.IPAM?.Config ?? []).map((cfg) => ({
            ...(cfg.Subnet ? {Subnet: cfg.Subnet} : {}),
            ...(cfg.Gateway ? {Gateway: cfg.Gateway} : {}),
            ...(cfg.IPRange ? {IPRange: cfg.IPRange} : {}),
          })),
          ...(old.IPAM?.Options ? {Options: old.IPAM.Options} : {}),
        },
        Labels: old.Labels ?? {},
        Options: old.Options ?? {},
      })
      id = net.id
    } catch (err) {
      const lost = attached.map((e) => e.name).join(', ')
      return `${why}; restoring the old network ${old.Name} failed too (${dockerError(err, this.display, 'recreate it').message})${lost ? `: ${lost} stay disconnected` : ''}`
    }
    const failed = await this.reconnectAll(id, attached, true)
    const back = attached.length - failed.length
    return [
      `${why}; the old network ${old.Name} was restored with its settings (new id ${id.slice(0, 12)})`,
      attached.length > 0 ? ` and ${back} of ${attached.length} disconnected containers reconnected` : '',
      failed.length > 0 ? ` (not: ${failed.join('; ')})` : '',
    ].join('')
  }

  /** Connects each container again (at its old addresses when `addresses`); returns what failed. */
  private async reconnectAll(
    network: string,
    attached: readonly EndpointRecord[],
    addresses = true,
  ): Promise<string[]> {
    const failed: string[] = []
    for (const e of attached) {
      const ips = addresses
        ? {
            ...((e.ipv4 ?? e.currentIpv4) ? {ipv4: e.ipv4 ?? e.currentIpv4} : {}),
            ...((e.ipv6 ?? e.currentIpv6) ? {ipv6: e.ipv6 ?? e.currentIpv6} : {}),
          }
        : {}
      try {
        await this.connect(network, e.container, ips, e.aliases)
      } catch (err) {
        failed.push(`${e.name}: ${dockerError(err, this.display, 'reconnect').message}`)
      }
    }
    return failed
  }

  private attachmentChange(c: Change): Promise<DockerResult> {
    const before = c.before ?? {}
    const after = c.after ?? {}
    const network = str(after.network) ?? (str(before.network) as string)
    const container = c.ids?.container ?? (str(after.container) as string)
    return this.wrap(`${c.action} ${c.address}`, async (): Promise<DockerResult> => {
      if (c.action === 'delete' || c.action === 'replace') await this.disconnect(network, container)
      if (c.action === 'create' || c.action === 'replace')
        await this.connect(
          network,
          container,
          {ipv4: str(after.ipv4_address), ipv6: str(after.ipv6_address)},
          strings(after.aliases),
        )
      return c.action === 'delete' ? {ids: {}} : {ids: {container}, origin: c.origin ?? 'created'}
    })
  }

  private routeChange(c: Change): Promise<DockerResult> {
    const container = c.ids?.container
    if (!container) throw new ExternalError(`${c.address}: no container id in the plan`)
    return this.wrap(`${c.action} ${c.address}`, async (): Promise<DockerResult> => {
      if (c.action === 'delete') await this.routeCmd('del', container, c.before ?? {})
      else await this.routeCmd('replace', container, c.after ?? {})
      return {ids: {container}}
    })
  }

  private async createNetwork(after: {[k: string]: Json}): Promise<string> {
    const config: Dockerode.IPAM['Config'] = [
      {
        Subnet: str(after.subnet) as string,
        ...(str(after.gateway) ? {Gateway: str(after.gateway)} : {}),
        ...(str(after.ip_range) ? {IPRange: str(after.ip_range)} : {}),
      },
    ]
    // Without ipv6_subnet, Docker chooses one (from its default pools, or refuses when it has none).
    if (str(after.ipv6_subnet))
      config.push({
        Subnet: str(after.ipv6_subnet) as string,
        ...(str(after.ipv6_gateway) ? {Gateway: str(after.ipv6_gateway)} : {}),
        ...(str(after.ipv6_ip_range) ? {IPRange: str(after.ipv6_ip_range)} : {}),
      })
    const net = await this.client.createNetwork({
      Name: str(after.name) as string,
      Driver: str(after.driver) ?? 'bridge',
      CheckDuplicate: true,
      EnableIPv6: after.ipv6 === true,
      Internal: after.internal === true,
      IPAM: {Driver: 'default', Config: config},
      // The lineage label lets a later plan recognise the network as this state's own, even if
      // the apply was killed before it saved the state (src/plan/network-changes.ts).
      Labels: {...((after.labels ?? {}) as {[k: string]: string}), [LINEAGE_LABEL]: this.lineage},
      Options: (after.options ?? {}) as {[k: string]: string},
    })
    return net.id
  }

  /** Containers attached to a network now, with what is needed to reconnect them. */
  private async endpointsOf(info: Dockerode.NetworkInspectInfo): Promise<EndpointRecord[]> {
    const out: EndpointRecord[] = []
    for (const id of Object.keys(info.Containers ?? {})) {
      const c = await this.client.getContainer(id).inspect()
      const ep = (
        c.NetworkSettings.Networks as Record<
          string,
          {
            Aliases?: string[] | null
            IPAMConfig?: {IPv4Address?: string; IPv6Address?: string} | null
            IPAddress?: string
            GlobalIPv6Address?: string
          }
        >
      )[info.Name]
      const rec: EndpointRecord = {
        container: id,
        name: c.Name.replace(/^\//, ''),
        aliases: (ep?.Aliases ?? []).filter((a) => a !== id.slice(0, 12) && a !== c.Name.replace(/^\//, '')),
      }
      if (ep?.IPAMConfig?.IPv4Address) rec.ipv4 = ep.IPAMConfig.IPv4Address
      if (ep?.IPAMConfig?.IPv6Address) rec.ipv6 = ep.IPAMConfig.IPv6Address
      if (ep?.IPAddress) rec.currentIpv4 = ep.IPAddress
      if (ep?.GlobalIPv6Address) rec.currentIpv6 = ep.GlobalIPv6Address
      out.push(rec)
    }
    return out
  }

  private async disconnect(network: string, container: string): Promise<void> {
    try {
      await this.client.getNetwork(network).disconnect({Container: container, Force: true})
    } catch (err) {
      // Already disconnected (or gone): the goal is reached.
      const msg = (err as {json?: {message?: string}}).json?.message ?? ''
      if (isNotFound(err) || /is not connected/.test(msg)) return
      throw err
    }
  }

  private async connect(
    network: string,
    container: string,
    ips: {ipv4?: string; ipv6?: string},
    aliases: string[],
  ): Promise<void> {
    const ipam = {
      ...(ips.ipv4 ? {IPv4Address: ips.ipv4} : {}),
      ...(ips.ipv6 ? {IPv6Address: ips.ipv6} : {}),
    }
    await this.client.getNetwork(network).connect({
      Container: container,
      EndpointConfig: {...(Object.keys(ipam).length > 0 ? {IPAMConfig: ipam} : {}), Aliases: aliases},
    })
  }

  private async containerPid(id: string): Promise<number> {
    const c = await this.client.getContainer(id).inspect()
    if (!c.State.Running || c.State.Pid <= 0)
      throw new ExternalError(`container ${c.Name.replace(/^\//, '')} is not running`)
    return c.State.Pid
  }

  private async routeCmd(verb: 'replace' | 'del', containerId: string, attrs: {[k: string]: Json}): Promise<void> {
    const target: NetnsTarget = {kind: 'pid', pid: await this.containerPid(containerId)}
    // `ip route del` of a route that is already gone (its interface went with a disconnect) exits 2 with ESRCH: the goal is reached.
    const r = await run('ip', ['route', verb, str(attrs.destination) as string, 'via', str(attrs.via) as string], {
      netns: target,
      okExitCodes: verb === 'del' ? [2] : [],
    })
    if (r.exitCode === 2 && !/No such process/.test(r.stderr))
      throw new ExternalError(`${r.command.join(' ')}: ${r.stderr.trim()}`)
  }
}
