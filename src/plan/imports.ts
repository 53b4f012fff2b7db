// Imports: `import { to, id }` blocks and `dockwall import ADDRESS ID` adopt objects
// that exist already. The planner sees an import as a prior-state entry with origin
// "imported": a Docker network or attachment is then managed as if dockwall had made
// it; a rule living in a foreign chain (DOCKER-USER, FORWARD, nat PREROUTING...) is
// moved into dockwall's chain, the foreign line deleted in the same transaction.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import type {Diagnostic} from '../errors.js'
import {importKindOf, locateRule, parseImportId, type ImportId} from '../import/id.js'
import type {SourcePos} from '../model/types.js'
import {familyTables, type ActualModel} from '../refresh/types.js'
import {actualNetworkAttrs} from './network-changes.js'
import type {StateResource} from '../model/resources.js'
import type {RuleLine} from '../model/resources.js'

export interface ImportRequest {
  to: string
  id: string
  at?: SourcePos
}

export interface ResolvedImports {
  /** Prior-state entries standing for the imported objects. */
  resources: StateResource[]
  /** What each import adopts, for the plan's reasons. */
  descriptions: Map<string, string>
  errors: Diagnostic[]
}

function findNetwork(networks: readonly DockerNetwork[], key: string): DockerNetwork | undefined {
  return networks.find((n) => n.name === key) ?? networks.find((n) => key.length >= 12 && n.id.startsWith(key))
}

function findContainer(containers: readonly DockerContainer[], key: string): DockerContainer | undefined {
  return (
    containers.find((c) => c.name === key && c.status !== 'gone') ??
    containers.find((c) => key.length >= 12 && c.id.startsWith(key))
  )
}

/** The iptables line a rule id names, as it is on the host now. */
export function importedLine(id: ImportId, actual: ActualModel): {line: RuleLine; position: number} | {error: string} {
  if (id.kind === 'network' || id.kind === 'attachment') return {error: 'not a rule id'}
  const found = locateRule(id, actual.namespaces)
  if (!found.ok) return {error: found.error}
  const chain = familyTables(
    actual.namespaces.find((n) => n.key === id.namespace),
    id.family,
  )?.[id.table]?.chains.find((c) => c.name === id.chain)
  const rule = chain?.rules[found.index]
  if (!rule) return {error: `rule #${found.index + 1} of ${id.chain} is gone`}
  return {
    line: {namespace: id.namespace, family: id.family, table: id.table, chain: id.chain, spec: rule.spec},
    position: found.index + 1,
  }
}

export function resolveImports(
  requests: readonly ImportRequest[],
  actual: ActualModel,
  prior: ReadonlyMap<string, StateResource>,
): ResolvedImports {
  const out: ResolvedImports = {resources: [], descriptions: new Map(), errors: []}
  const fail = (r: ImportRequest, summary: string): void => {
    out.errors.push({severity: 'error', address: r.to, summary: `import: ${summary}`, ...(r.at ? {at: r.at} : {})})
  }
  for (const r of requests) {
    // Already in the state: imported before (Terraform ignores such import blocks too).
    if (prior.has(r.to)) continue
    const kind = importKindOf(r.to)
    if (!kind) {
      fail(
        r,
        `${r.to} is not a resource that can be imported (networks, attachments, rules, port forwards, masquerades)`,
      )
      continue
    }
    const parsed = parseImportId(kind, r.id)
    if (!parsed.ok) {
      fail(r, parsed.error)
      continue
    }
    const id = parsed.id
    if (id.kind === 'network') {
      const n = findNetwork(actual.docker.networks, id.network)
      if (!n) {
        fail(r, `no Docker network named or with id "${id.network}"`)
        continue
      }
      out.resources.push({
        address: r.to,
        type: 'network',
        ids: {id: n.id},
        origin: 'imported',
        attributes: actualNetworkAttrs(n),
      })
      out.descriptions.set(r.to, `imports Docker network "${n.name}" (${n.id.slice(0, 12)})`)
    } else if (id.kind === 'attachment') {
      const c = findContainer(actual.docker.containers, id.container)
      const ep = c?.endpoints.find(
        (e) => e.networkName === id.network || (id.network.length >= 12 && e.networkId.startsWith(id.network)),
      )
      if (!c || !ep) {
        fail(
          r,
          c
            ? `container "${c.name}" is not connected to "${id.network}"`
            : `no container named or with id "${id.container}"`,
        )
        continue
      }
      out.resources.push({
        address: r.to,
        type: 'attachment',
        ids: {container: c.id},
        origin: 'imported',
        attributes: {
          container: c.name,
          network: ep.networkName,
          ipv4_address: ep.staticIpv4Address ?? ep.ipv4Address ?? null,
          ipv6_address: ep.staticIpv6Address ?? ep.ipv6Address ?? null,
          aliases: ep.aliases,
        },
      })
      out.descriptions.set(r.to, `imports the connection of "${c.name}" to "${ep.networkName}"`)
    } else {
      const found = importedLine(id, actual)
      if ('error' in found) {
        fail(r, found.error)
        continue
      }
      out.resources.push({
        address: r.to,
        type: id.kind,
        ids: {},
        origin: 'imported',
        pendingMove: true,
        attributes: {},
        lines: [found.line],
      })
      out.descriptions.set(
        r.to,
        `imports ${found.line.namespace === 'host' ? '' : `${found.line.namespace} `}${found.line.table} ${found.line.chain} #${found.position} and moves it into dockwall's chain`,
      )
    }
  }
  return out
}
