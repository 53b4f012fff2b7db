// Renders a loaded model the way the planner does (src/plan/firewall.ts over a
// Resolution of the Docker snapshot), and evaluates packets against dockwall's own
// chains: enough to state a traffic matrix in a unit test.
import type {DockerSnapshot} from '../../../src/docker/types.js'
import {type Cond, condOf, covers, parseNet} from '../../../src/import/conditions.js'
import type {DesiredModel} from '../../../src/model/types.js'
import {parseRule} from '../../../src/netfilter/index.js'
import {
  type DesiredLine,
  compareLines,
  renderFirewall,
  renderMasquerade,
  renderPortForward,
  renderRule,
} from '../../../src/plan/firewall.js'
import {resolve} from '../../../src/plan/resolve.js'

export interface Rendered {
  /** Every line, by address. */
  byAddress: Map<string, DesiredLine[]>
  /** Lines of one namespace and chain, in the order dockwall writes them. */
  chain: (namespace: string, chain: string) => DesiredLine[]
}

export function renderModel(model: DesiredModel, docker: DockerSnapshot): Rendered {
  const res = resolve(model, docker.containers, docker.networks)
  const resources = [
    ...model.rules.map((r) => renderRule(r, res)),
    ...model.portForwards.map((p) => renderPortForward(p, res)),
    ...model.masquerades.map((m) => renderMasquerade(m, res)),
  ]
  const needForward = resources.some((r) =>
    r.lines.some((l) => l.namespace === 'host' && l.chain === 'DOCKWALL-FORWARD'),
  )
  resources.push(renderFirewall(model.firewall, {needForward: {ipv4: needForward, ipv6: needForward}}))
  const byAddress = new Map(resources.map((r) => [r.address, r.lines]))
  const all = resources.flatMap((r) => r.lines)
  return {
    byAddress,
    // Import scans IPv4 here: the IPv6 twins the firewall block also renders are not compared.
    chain: (namespace, chain) =>
      all.filter((l) => l.namespace === namespace && l.family === 'ipv4' && l.chain === chain).sort(compareLines),
  }
}

/** A packet, as conditions: every field it has is set. */
export function packet(p: {
  src: string
  dst: string
  proto: string
  dport?: number
  inIf?: string
  outIf?: string
  state?: string
  dnat?: boolean
}): Cond {
  const cidr = (ip: string): Cond['src'] => parseNet(`${ip}${ip.includes(':') ? '/128' : '/32'}`)
  return {
    src: cidr(p.src),
    dst: cidr(p.dst),
    proto: p.proto,
    ...(p.dport !== undefined ? {dports: [{from: p.dport, to: p.dport}]} : {}),
    ...(p.inIf ? {inIf: p.inIf} : {}),
    ...(p.outIf ? {outIf: p.outIf} : {}),
    states: new Set([p.state ?? 'NEW']),
    ...(p.dnat ? {dnat: true} : {}),
    partial: false,
  }
}

/** The target of the first line in `lines` that matches the packet, or undefined (falls through to Docker). */
export function verdict(lines: readonly DesiredLine[], pkt: Cond): string | undefined {
  for (const l of lines) {
    const r = parseRule(`-A ${l.chain} ${l.spec}`, l.table)
    if (covers(condOf(r), pkt)) return r.target?.name
  }
  return undefined
}
