// The plan's note on published ports Docker's userland proxy serves over IPv6 (see
// src/refresh/published.ts): forward rules never see that traffic, so the plan says where
// it leads and what decides it, the host's input rules as the configuration declares them.
import type {Diagnostic} from '../errors.js'
import type {DesiredModel, RuleSpec} from '../model/types.js'
import {describePublishedOverIpv6, type PublishedOverIpv6} from '../refresh/published.js'

/** The first host input rule (dockwall's order: priority, then address) that covers the port over IPv6. */
function deciding(p: PublishedOverIpv6, rules: readonly RuleSpec[]): RuleSpec | undefined {
  return rules
    .filter(
      (r) =>
        r.chain === 'input' &&
        !r.inContainer &&
        r.family !== 'ipv4' &&
        (r.proto === 'all' || r.proto === p.proto) &&
        (r.ports.length === 0 || r.ports.some((x) => x.from <= p.port && p.port <= x.to)),
    )
    .sort((a, b) => a.priority - b.priority || (a.address < b.address ? -1 : 1))[0]
}

function verdict(p: PublishedOverIpv6, model: DesiredModel | undefined): string {
  const r = model ? deciding(p, model.rules) : undefined
  if (r) {
    const some = r.from.some((e) => e.kind !== 'any') || r.inInterface ? ' for the sources it names' : ''
    return `${r.action === 'accept' ? 'allowed' : 'closed'} by ${r.address}${some}`
  }
  return model?.firewall.inputPolicy === 'drop' ? 'closed by input_policy = "drop"' : 'open'
}

export function publishedOverIpv6Warning(
  published: readonly PublishedOverIpv6[],
  model: DesiredModel | undefined,
): Diagnostic | undefined {
  if (published.length === 0) return undefined
  const n = published.length
  return {
    severity: 'warning',
    summary: `${n} published ${n === 1 ? 'port is' : 'ports are'} reachable over IPv6 through Docker's userland proxy, where forward rules do not apply`,
    detail: [
      ...published.map((p) => `${describePublishedOverIpv6(p)}: ${verdict(p, model)}`),
      "The proxy relays IPv6 clients to the container's IPv4 address through the host's INPUT chain,",
      'never FORWARD or DOCKER-USER: a rule with chain = "input" and the port allows or drops it.',
    ].join('\n'),
  }
}
