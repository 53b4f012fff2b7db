// Hand-made hosts for the evaluator's unit tests: a host namespace with bridges and
// other interfaces, containers on the bridges (eth0, eth1... in order, a default route
// through the first network's gateway), rules given as iptables-save text.
import {TYPICAL} from '../../capture/scenario.js'
import {loadCapture} from '../../capture/fixture.js'
import {
  type Decision,
  type Directory,
  type ExplainHost,
  type ExplainResult,
  type NamespaceInput,
  type Proxy,
} from '../../../src/explain/index.js'
import {parseRuleset} from '../../../src/netfilter/index.js'

export interface NetSpec {
  bridge: string
  /** The bridge's address with its prefix: `10.1.0.1/24`. */
  gateway: string
  gateway6?: string
}

export interface CtrSpec {
  name: string
  /** Addresses with prefix, one per network, in interface order. */
  on: Array<{bridge: string; ip: string; ip6?: string}>
  rules?: string
  rules6?: string
  /** No default route (an internal network's container). */
  noDefault?: boolean
}

export interface HostSpec {
  rules?: string
  rules6?: string
  /** Interfaces besides lo and the bridges: `eth0` toward the world. */
  interfaces?: Array<{name: string; addresses: string[]}>
  routes?: NamespaceInput['routes']
  forwarding?: {ipv4: boolean; ipv6: boolean}
  bridgeNetfilter?: boolean
  nets: NetSpec[]
  ctrs: CtrSpec[]
  proxies?: Proxy[]
  dockerBridges?: string[]
}

const rules = (text: string | undefined, family: 'ipv4' | 'ipv6') =>
  text === undefined ? undefined : parseRuleset(text, {family})

export function buildHost(spec: HostSpec): ExplainHost {
  const hostNs: NamespaceInput = {
    id: 'host',
    rulesets: {},
    interfaces: [
      {name: 'lo', addresses: ['127.0.0.1/8', '::1/128']},
      ...(spec.interfaces ?? []),
      ...spec.nets.map((n) => ({name: n.bridge, addresses: [n.gateway, ...(n.gateway6 ? [n.gateway6] : [])]})),
    ],
    routes: spec.routes ?? [],
    forwarding: spec.forwarding ?? {ipv4: true, ipv6: true},
    bridgeNetfilter: {ipv4: spec.bridgeNetfilter ?? true, ipv6: spec.bridgeNetfilter ?? true},
  }
  const v4 = rules(spec.rules, 'ipv4')
  const v6 = rules(spec.rules6, 'ipv6')
  if (v4) hostNs.rulesets.ipv4 = v4
  if (v6) hostNs.rulesets.ipv6 = v6
  const namespaces: NamespaceInput[] = [hostNs]
  const segments: ExplainHost['segments'] = spec.nets.map((n) => ({
    bridge: {namespace: 'host', name: n.bridge},
    members: [],
  }))
  for (const c of spec.ctrs) {
    const id = `container.${c.name}`
    const ns: NamespaceInput = {
      id,
      rulesets: {},
      interfaces: [{name: 'lo', addresses: ['127.0.0.1/8', '::1/128']}],
      routes: [],
      forwarding: {ipv4: false, ipv6: false},
    }
    c.on.forEach((e, i) => {
      const dev = `eth${i}`
      ns.interfaces.push({name: dev, addresses: [e.ip, ...(e.ip6 ? [e.ip6] : [])]})
      const seg = segments.find((s) => s.bridge?.name === e.bridge)
      if (!seg) throw new Error(`no network with bridge ${e.bridge}`)
      seg.members.push({namespace: id, interface: dev, port: `veth${c.name}${i}`})
    })
    const first = c.on[0]
    const net = spec.nets.find((n) => n.bridge === first?.bridge)
    if (first && net && !c.noDefault) {
      ns.routes.push({family: 'ipv4', destination: 'default', dev: 'eth0', via: net.gateway.split('/')[0]!})
      if (net.gateway6 && first.ip6)
        ns.routes.push({family: 'ipv6', destination: 'default', dev: 'eth0', via: net.gateway6.split('/')[0]!})
    }
    const r4 = rules(c.rules, 'ipv4')
    const r6 = rules(c.rules6, 'ipv6')
    if (r4) ns.rulesets.ipv4 = r4
    if (r6) ns.rulesets.ipv6 = r6
    namespaces.push(ns)
  }
  const host: ExplainHost = {namespaces, segments}
  if (spec.proxies) host.proxies = spec.proxies
  if (spec.dockerBridges) host.dockerBridges = spec.dockerBridges
  return host
}

/** A decision in one line, for table-driven expectations: `host filter DOCKER-ISOLATION-STAGE-2#1 DROP`. */
export function decisionText(d: Decision): string {
  switch (d.kind) {
    case 'rule':
      return `${d.rule.namespace} ${d.rule.family === 'ipv6' ? 'ip6 ' : ''}${d.rule.table} ${d.rule.chain}#${d.rule.position} ${d.target}`
    case 'policy':
      return `${d.chain.namespace} ${d.chain.family === 'ipv6' ? 'ip6 ' : ''}${d.chain.table} ${d.chain.chain} policy ${d.policy}`
    case 'routing':
      return `${d.namespace} routing: ${d.reason}`
    case 'socket':
      return `${d.namespace} socket: ${d.reason}`
    case 'unknown':
      return `unknown: ${d.reason}`
  }
}

/** The trace steps in one line each, for failure messages. */
export function stepsText(r: ExplainResult): string {
  return r.traces
    .map(
      (t) =>
        `${t.packet}: ${t.steps
          .map((s) =>
            s.kind === 'rule'
              ? `${s.rule.namespace}:${s.rule.table}:${s.rule.chain}#${s.rule.position} ${s.effect}`
              : s.kind === 'nat'
                ? `${s.nat} ${s.from}->${s.to}`
                : s.kind === 'enter'
                  ? `[${s.namespace}${s.interface ? ` ${s.interface}` : ''}]`
                  : s.kind === 'policy'
                    ? `${s.chain.table}:${s.chain.chain} policy ${s.policy}`
                    : s.kind === 'conntrack'
                      ? `ct ${s.state}`
                      : s.kind === 'route'
                        ? `route ${s.decision}${s.interface ? ` ${s.interface}` : ''}`
                        : s.kind,
          )
          .join(' | ')} => ${t.outcome.kind}`,
    )
    .join('\n')
}

export {FIXTURES, fixtureText, loadCapture} from '../../capture/fixture.js'

/**
 * The captured Docker 28.5 host (nft) with the typical topology, as the CLI sees it (no
 * external client's namespace: a client is outside the host), and a Directory of its
 * names: `web` also has the label `frontend_web`; `stopped` is not running; a network
 * shares the name `iso2` with a container.
 */
export function capturedTypical(): {host: ExplainHost; directory: Directory} {
  const captured = loadCapture('docker-28.5-nft')
  const meta = captured.meta
  // The capture holds the external client's namespace; the CLI reads no such thing (a client is outside the host).
  const host: ExplainHost = {
    ...captured.host,
    namespaces: captured.host.namespaces.filter((n) => !n.id.startsWith('client.')),
    // The client's veth pair is no segment then: its far end is outside, as on a real host.
    segments: captured.host.segments
      .map((s) => ({...s, members: s.members.filter((m) => !m.namespace.startsWith('client.'))}))
      .filter((s) => s.bridge !== undefined || s.members.length > 1),
  }

  const directory: Directory = {
    containers: [
      ...Object.entries(meta.containers).map(([name, nets]) => ({
        name,
        labels: name === 'web' ? ['frontend_web'] : [],
        running: true,
        endpoints: Object.entries(nets).map(([network, ipv4]) => ({network, ipv4})),
      })),
      {name: 'stopped', labels: [], running: false, endpoints: []},
    ],
    networks: [
      ...TYPICAL.networks.map((n) => ({
        name: n.name,
        labels: [],
        subnets: [n.subnet],
        gateways: n.gateway ? [n.gateway] : [],
      })),
      {name: 'bridge', labels: [], subnets: ['172.17.0.0/16'], gateways: ['172.17.0.1']},
      // A network and a container of the same name.
      {name: 'iso2', labels: [], subnets: ['10.31.9.0/24'], gateways: ['10.31.9.1']},
    ],
  }
  return {host, directory}
}
