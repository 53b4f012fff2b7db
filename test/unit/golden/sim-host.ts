// A host in memory for the golden tests: Docker networks, containers and their
// endpoints, routes inside containers, and iptables tables, changed by the same
// HostOps interface apply drives on a real host. Deterministic (ids are counters),
// so a story of plans and applies gives the same bytes on every run.
import type {DockerResult, HostOps} from '../../../src/apply/host-ops.js'
import type {DockerContainer, DockerNetwork} from '../../../src/docker/types.js'
import type {Json} from '../../../src/model/resources.js'
import type {Change, FirewallTransaction} from '../../../src/plan/types.js'
import type {ActualModel, ActualNamespace} from '../../../src/refresh/types.js'
import {actualRule} from '../plan/builders.js'
import {applyTransactions} from '../plan/simulate.js'

const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

export class SimHost {
  private seq = 0

  constructor(public actual: ActualModel) {}

  /** A copy of what refresh would read now. */
  read(): ActualModel {
    return structuredClone(this.actual)
  }

  network(name: string): DockerNetwork | undefined {
    return this.actual.docker.networks.find((n) => n.name === name)
  }

  container(name: string): DockerContainer {
    const c = this.actual.docker.containers.find((x) => x.name === name)
    if (!c) throw new Error(`no container ${name}`)
    return c
  }

  namespaceOf(key: ActualNamespace['key']): ActualNamespace {
    const ns = this.actual.namespaces.find((n) => n.key === key)
    if (!ns) throw new Error(`no namespace ${key}`)
    return ns
  }

  createNetwork(name: string, subnet: string, gateway?: string): string {
    const id = `net${String(++this.seq).padStart(3, '0')}${'0'.repeat(58)}`
    this.actual.docker.networks.push({
      id,
      name,
      driver: 'bridge',
      scope: 'local',
      internal: false,
      subnets: [{subnet, ...(gateway ? {gateway} : {})}],
      enableIPv6: false,
      subnets6: [],
      labels: {},
      options: {},
    })
    return id
  }

  connect(container: string, network: string, ip?: string, aliases: string[] = []): void {
    const c = this.container(container)
    const n = this.network(network)
    if (!n) throw new Error(`no network ${network}`)
    c.endpoints.push({
      networkId: n.id,
      networkName: n.name,
      ...(ip ? {ipv4Address: ip, staticIpv4Address: ip} : {ipv4Address: this.dynamicIp(n)}),
      aliases: [c.id.slice(0, 12), ...aliases],
    })
  }

  disconnect(container: string, network: string): void {
    const c = this.container(container)
    c.endpoints = c.endpoints.filter((e) => e.networkName !== network)
  }

  /** Adds a rule to a chain as iptables-save would print it (`spec` in normal form). */
  addRule(key: ActualNamespace['key'], table: 'filter' | 'nat', chain: string, spec: string, top = false): void {
    const c = this.namespaceOf(key).tables[table]?.chains.find((x) => x.name === chain)
    if (!c) throw new Error(`no chain ${chain}`)
    if (top) c.rules.unshift(actualRule(spec))
    else c.rules.push(actualRule(spec))
  }

  removeRule(key: ActualNamespace['key'], table: 'filter' | 'nat', chain: string, match: string): void {
    const c = this.namespaceOf(key).tables[table]?.chains.find((x) => x.name === chain)
    if (!c) throw new Error(`no chain ${chain}`)
    const i = c.rules.findIndex((r) => r.spec.includes(match))
    if (i < 0) throw new Error(`no rule matching ${match} in ${chain}`)
    c.rules.splice(i, 1)
  }

  private dynamicIp(n: DockerNetwork): string {
    const base = (n.subnets[0]?.subnet ?? '10.0.0.0/24').split('/')[0]!.split('.').slice(0, 3).join('.')
    return `${base}.${100 + this.seq++}`
  }

  private containerById(id: string | undefined, name: string | undefined): DockerContainer {
    const c = this.actual.docker.containers.find((x) => x.id === id || x.name === name)
    if (!c) throw new Error(`no container ${id ?? name}`)
    return c
  }

  private routeNs(c: DockerContainer): ActualNamespace {
    const ns = this.actual.namespaces.find((n) => n.container?.id === c.id)
    if (!ns?.routes) throw new Error(`no route table for ${c.name}`)
    return ns
  }

  /** The operations apply performs, with the return values of src/apply/host-ops.ts. */
  ops(): HostOps {
    return {
      dockerChange: async (c: Change): Promise<DockerResult> => {
        const before = c.before ?? {}
        const after = c.after ?? {}
        switch (c.type) {
          case 'network': {
            if (c.action === 'create')
              return {
                ids: {id: this.createNetwork(str(after.name)!, str(after.subnet)!, str(after.gateway))},
                origin: 'created',
              }
            const old = this.actual.docker.networks.find((n) => n.id === c.ids?.id)
            if (!old) throw new Error(`${c.address}: no network ${c.ids?.id}`)
            const attached = this.actual.docker.containers.filter((x) =>
              x.endpoints.some((e) => e.networkId === old.id),
            )
            for (const x of attached) this.disconnect(x.name, old.name)
            this.actual.docker.networks = this.actual.docker.networks.filter((n) => n !== old)
            if (c.action === 'delete') return {ids: {}}
            const id = this.createNetwork(str(after.name)!, str(after.subnet)!, str(after.gateway))
            for (const x of attached) this.connect(x.name, str(after.name)!)
            return {ids: {id}, origin: c.origin ?? 'created'}
          }
          case 'attachment': {
            const network = str(after.network) ?? str(before.network)!
            const x = this.containerById(c.ids?.container, str(after.container) ?? str(before.container))
            if (c.action === 'delete' || c.action === 'replace') this.disconnect(x.name, network)
            if (c.action === 'create' || c.action === 'replace') {
              const aliases = Array.isArray(after.aliases) ? after.aliases.map(String) : []
              this.connect(x.name, network, str(after.ipv4_address), aliases)
            }
            return c.action === 'delete' ? {ids: {}} : {ids: {container: x.id}, origin: c.origin ?? 'created'}
          }
          case 'route': {
            const x = this.containerById(c.ids?.container, undefined)
            const ns = this.routeNs(x)
            const dest = str(after.destination) ?? str(before.destination)
            ns.routes = ns.routes!.filter((r) => r.destination !== dest)
            if (c.action !== 'delete') ns.routes.push({destination: dest!, family: 'ipv4', via: str(after.via)!})
            return {ids: {container: x.id}}
          }
          default:
            throw new Error(`${c.address}: ${c.type} is not a Docker change`)
        }
      },
      restore: async (tx: FirewallTransaction) => {
        this.actual = applyTransactions(this.actual, {firewall: [tx]} as never)
      },
    }
  }
}
