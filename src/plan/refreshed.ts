// What `apply --refresh-only` records (Terraform's refreshed prior state): every managed
// object as refresh found it. A network, attachment, route or rule gone from the host
// leaves the state; one that is there is recorded as it is (a network's settings and id,
// an attachment's static addresses and aliases, a rule's iptables lines). Nothing that
// refresh did not read is judged: lines in a namespace, family or table that was not read,
// a route in a container that is not running, keep their record. The planner builds this
// for a refresh-only plan; apply writes it as the state and touches nothing on the host.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import type {RuleLine, StateResource} from '../model/resources.js'
import {familyTables, type ActualModel} from '../refresh/types.js'
import type {ActualIndex} from './actual-index.js'
import {recordedAttachmentAttrs} from './attachment-changes.js'
import {ruleTypeOf, writtenAs} from './firewall-changes.js'
import {actualNetworkAttrs} from './network-changes.js'

export function refreshedResources(
  prior: readonly StateResource[],
  actual: ActualModel,
  index: ActualIndex,
): StateResource[] {
  const out: StateResource[] = []
  for (const r of prior) {
    const next = refreshed(r, actual, index)
    if (next) out.push(next)
  }
  return out
}

function refreshed(r: StateResource, actual: ActualModel, index: ActualIndex): StateResource | undefined {
  switch (r.type) {
    case 'network': {
      const n = findNetwork(actual.docker.networks, r)
      return n ? {...r, ids: {...r.ids, id: n.id}, attributes: actualNetworkAttrs(n)} : undefined
    }
    case 'attachment': {
      const c = findContainer(actual.docker.containers, r)
      const ep = c?.endpoints.find((e) => e.networkName === r.attributes.network)
      if (!c || !ep) return undefined
      return {...r, ids: {...r.ids, container: c.id}, attributes: recordedAttachmentAttrs(c, ep)}
    }
    case 'route': {
      const ns = index.namespaces.get(`container.${r.address.split('.')[1] ?? ''}`)
      // A container that is not running has no routes to read: its record stays.
      if (!ns?.routes) return r
      const have = ns.routes.find((x) => x.destination === r.attributes.destination)
      return have ? {...r, attributes: {...r.attributes, via: have.via ?? null}} : undefined
    }
    case 'chain':
      return r
    default:
      return ruleTypeOf(r.address) && !r.pendingMove ? refreshedLines(r, index) : r
  }
}

/** A rule-like resource's lines as the host has them; none left (where refresh read) and it leaves the state. */
function refreshedLines(r: StateResource, index: ActualIndex): StateResource | undefined {
  const recorded = r.lines ?? []
  // A deferred rule's record has no lines: there is nothing on the host to compare.
  if (recorded.length === 0) return r
  const read = (l: RuleLine): boolean =>
    familyTables(index.namespaces.get(l.namespace), l.family)?.[l.table] !== undefined
  const found: RuleLine[] = (index.byAddress.get(writtenAs(r) ?? r.address) ?? []).map((l) => ({
    namespace: l.namespace,
    family: l.family,
    table: l.table,
    chain: l.chain,
    spec: l.spec,
  }))
  const lines = [...found, ...recorded.filter((l) => !read(l))]
  if (lines.length === 0) return undefined
  return {...r, lines}
}

function findNetwork(networks: readonly DockerNetwork[], r: StateResource): DockerNetwork | undefined {
  return (
    (r.ids.id ? networks.find((n) => n.id === r.ids.id) : undefined) ??
    networks.find((n) => n.name === r.attributes.name)
  )
}

function findContainer(containers: readonly DockerContainer[], r: StateResource): DockerContainer | undefined {
  return containers.find((c) => c.id === r.ids.container) ?? containers.find((c) => c.name === r.attributes.container)
}
