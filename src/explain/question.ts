// One question as people ask it ("can container.db reach container.web on tcp/80?"),
// answered over every flow it stands for: `dockwall explain`, the `assert` blocks and
// `dockwall test` all come through here. Also the Directory of Docker's names for
// the host description, from refresh's Docker snapshot and the configuration's labels.
import type {DockerSnapshot} from '../docker/types.js'
import type {DesiredModel} from '../model/types.js'
import type {Directory, EndpointResolver, EndpointSpec} from './endpoints.js'
import type {Explainer} from './evaluate.js'
import type {ExplainResult, Proto, Query, Verdict} from './types.js'

export interface Question {
  from: EndpointSpec
  to: EndpointSpec
  proto: Proto
  /** tcp and udp: the destination port. */
  port?: number
  /** The host interface a client's packets arrive on. */
  inInterface?: string
}

export interface FlowAnswer {
  fromLabel: string
  toLabel: string
  query: Query
  result: ExplainResult
}

/** `mixed`: the flows a question stands for do not all get the same answer. */
export type AnswerVerdict = Verdict | 'mixed'

export interface Answer {
  verdict: AnswerVerdict
  flows: FlowAnswer[]
}

export function answerQuestion(explainer: Explainer, resolver: EndpointResolver, q: Question): Answer {
  const resolved = resolver.resolve(q.from, q.to, q.inInterface ? {inInterface: q.inInterface} : {})
  const flows = resolved.map((f): FlowAnswer => {
    const query: Query = {from: f.from, to: f.to, proto: q.proto}
    if (q.port !== undefined) query.port = q.port
    return {fromLabel: f.fromLabel, toLabel: f.toLabel, query, result: explainer.explain(query)}
  })
  const verdicts = new Set(flows.map((f) => f.result.verdict))
  const verdict: AnswerVerdict = verdicts.size === 1 ? [...verdicts][0]! : verdicts.has('unknown') ? 'unknown' : 'mixed'
  return {verdict, flows}
}

/** The bridge device Docker made for a network. */
export function bridgeName(n: DockerSnapshot['networks'][number]): string {
  return n.options['com.docker.network.bridge.name'] ?? `br-${n.id.slice(0, 12)}`
}

/** Docker's names and the configuration's labels for them. */
export function directoryFrom(docker: DockerSnapshot, model: DesiredModel | null): Directory {
  const containerLabels = new Map<string, string[]>()
  for (const c of model?.containers ?? [])
    containerLabels.set(c.name, [...(containerLabels.get(c.name) ?? []), c.label])
  const networkLabels = new Map<string, string[]>()
  for (const n of model?.networks ?? []) networkLabels.set(n.name, [...(networkLabels.get(n.name) ?? []), n.label])
  return {
    containers: docker.containers.map((c) => ({
      name: c.name,
      labels: containerLabels.get(c.name) ?? [],
      running: c.status === 'running',
      endpoints: c.endpoints.map((e) => ({
        network: e.networkName,
        ...(e.ipv4Address ? {ipv4: e.ipv4Address} : {}),
        ...(e.ipv6Address ? {ipv6: e.ipv6Address} : {}),
      })),
    })),
    networks: docker.networks
      .filter((n) => n.driver === 'bridge')
      .map((n) => ({
        name: n.name,
        labels: networkLabels.get(n.name) ?? [],
        subnets: [...n.subnets, ...n.subnets6].map((s) => s.subnet),
        gateways: [...n.subnets, ...n.subnets6].flatMap((s) => (s.gateway ? [s.gateway] : [])),
      })),
  }
}
