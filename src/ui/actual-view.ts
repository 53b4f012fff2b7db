// `dockwall show --actual`: the refreshed actual state, as text or JSON. Rules in
// dockwall's chains are attributed to their resource address; rules others wrote
// in the chains dockwall cares about are listed as foreign (what import adopts).
import {COMMENT_PREFIX, JUMP_COMMENT, OWNED_CHAINS} from '../plan/firewall.js'
import {mentionsNoOwnedChain} from '../refresh/unparsed.js'
import type {ActualModel, ActualNamespace, ActualRule} from '../refresh/types.js'

export const ACTUAL_JSON_FORMAT_VERSION = '1.0'

/** Foreign chains dockwall reads for import and drift: its jump points and where hand-written rules live. */
const WATCHED: Record<'filter' | 'nat', readonly string[]> = {
  filter: ['DOCKER-USER', 'FORWARD', 'INPUT', 'OUTPUT'],
  nat: ['PREROUTING', 'POSTROUTING'],
}

interface RuleView {
  spec: string
  address: string | null
}

interface NamespaceView {
  key: string
  container: {name: string; id: string; pid: number} | null
  backend: string
  backend_reason: string
  owned_chains: {table: string; chain: string; rules: RuleView[]}[]
  jumps: {table: string; from: string; to: string; position: number}[]
  foreign_rules: {table: string; chain: string; position: number; spec: string}[]
  routes: {destination: string; via: string | null; dev: string | null}[] | null
}

export interface ActualJson {
  format_version: string
  docker: {
    engine: {version: string; api_version: string; firewall_backend: string | null}
    networks: {
      id: string
      name: string
      driver: string
      subnets: {subnet: string; gateway: string | null}[]
      internal: boolean
      labels: Record<string, string>
    }[]
    containers: {
      id: string
      name: string
      status: string
      pid: number | null
      endpoints: {network: string; ipv4_address: string | null; static: boolean; aliases: string[]}[]
    }[]
  }
  namespaces: NamespaceView[]
  unreadable: {key: string; reason: string}[]
}

/** Docker's bridge interfaces: `docker0` or `br-<network id prefix>`, or the name the network's options give. */
function dockerBridges(actual: ActualModel): Set<string> {
  const out = new Set<string>()
  for (const n of actual.docker.networks)
    if (n.driver === 'bridge') out.add(n.options['com.docker.network.bridge.name'] ?? `br-${n.id.slice(0, 12)}`)
  return out
}

function interfacesOf(spec: string): string[] {
  const tokens = spec.split(/\s+/)
  return tokens.flatMap((t, i) => ((t === '-i' || t === '-o') && tokens[i + 1] ? [tokens[i + 1] as string] : []))
}

/**
 * Rules Docker wrote in the watched chains, which are not candidates for import: jumps to its
 * own chains, the `-j RETURN` that ends DOCKER-USER (Docker up to 28.2), and its per-bridge
 * rules in FORWARD and nat POSTROUTING. Everything else in DOCKER-USER is the user's.
 */
function isDockerOwn(chain: string, rule: ActualRule, bridges: ReadonlySet<string>): boolean {
  if ((rule.target ?? '').startsWith('DOCKER')) return true
  if (chain === 'DOCKER-USER') return rule.spec === '-j RETURN'
  if (chain === 'FORWARD' || chain === 'POSTROUTING') return interfacesOf(rule.spec).some((i) => bridges.has(i))
  return false
}

function namespaceView(ns: ActualNamespace, bridges: ReadonlySet<string>): NamespaceView {
  const view: NamespaceView = {
    key: ns.key,
    container: ns.container ?? null,
    backend: ns.backend,
    backend_reason: ns.backendReason,
    owned_chains: [],
    jumps: [],
    foreign_rules: [],
    routes: ns.routes
      ? ns.routes.map((r) => ({destination: r.destination, via: r.via ?? null, dev: r.dev ?? null}))
      : null,
  }
  for (const table of ['filter', 'nat'] as const) {
    for (const chain of ns.tables[table]?.chains ?? []) {
      const owned = Object.hasOwn(OWNED_CHAINS, chain.name)
      if (owned) {
        view.owned_chains.push({
          table,
          chain: chain.name,
          rules: chain.rules.map((r) => ({
            spec: r.spec,
            address:
              r.comment?.startsWith(COMMENT_PREFIX) && r.comment !== JUMP_COMMENT
                ? r.comment.slice(COMMENT_PREFIX.length)
                : null,
          })),
        })
        continue
      }
      // Not watched and no jump to our chains (known without parsing it, src/refresh/tables.ts): nothing to show.
      if (!WATCHED[table].includes(chain.name) && mentionsNoOwnedChain(chain)) continue
      chain.rules.forEach((r, position) => {
        if (r.target && Object.hasOwn(OWNED_CHAINS, r.target))
          view.jumps.push({table, from: chain.name, to: r.target, position})
        else if (WATCHED[table].includes(chain.name) && !isDockerOwn(chain.name, r, bridges))
          view.foreign_rules.push({table, chain: chain.name, position, spec: r.spec})
      })
    }
  }
  return view
}

export function actualToJson(actual: ActualModel): ActualJson {
  const d = actual.docker
  const bridges = dockerBridges(actual)
  return {
    format_version: ACTUAL_JSON_FORMAT_VERSION,
    docker: {
      engine: {
        version: d.engine.version,
        api_version: d.engine.apiVersion,
        firewall_backend: d.engine.firewallBackend ?? null,
      },
      networks: d.networks.map((n) => ({
        id: n.id,
        name: n.name,
        driver: n.driver,
        subnets: n.subnets.map((s) => ({subnet: s.subnet, gateway: s.gateway ?? null})),
        internal: n.internal,
        labels: n.labels,
      })),
      containers: d.containers.map((c) => ({
        id: c.id,
        name: c.name,
        status: c.status,
        pid: c.pid ?? null,
        endpoints: c.endpoints.map((e) => ({
          network: e.networkName,
          ipv4_address: e.ipv4Address ?? null,
          static: e.staticIpv4Address !== undefined,
          aliases: e.aliases,
        })),
      })),
    },
    namespaces: actual.namespaces.map((ns) => namespaceView(ns, bridges)),
    unreadable: actual.unreadable,
  }
}

export function renderActualText(actual: ActualModel): string {
  const j = actualToJson(actual)
  const out: string[] = []
  out.push(
    `Docker Engine ${j.docker.engine.version} (API ${j.docker.engine.api_version}${j.docker.engine.firewall_backend ? `, firewall backend ${j.docker.engine.firewall_backend}` : ''})`,
    '',
  )
  out.push('Networks:')
  for (const n of j.docker.networks)
    out.push(
      `  ${n.name.padEnd(24)} ${n.driver.padEnd(8)} ${n.subnets.map((s) => s.subnet).join(', ') || '-'}${n.internal ? '  internal' : ''}`,
    )
  out.push('', 'Containers:')
  for (const c of j.docker.containers) {
    const eps = c.endpoints.map((e) => `${e.network}=${e.ipv4_address ?? '-'}${e.static ? ' (static)' : ''}`).join(', ')
    out.push(`  ${c.name.padEnd(24)} ${c.status.padEnd(8)} ${eps || '-'}`)
  }
  for (const ns of j.namespaces) {
    out.push(
      '',
      `Namespace ${ns.key === 'host' ? 'host' : `${ns.key} (pid ${ns.container?.pid})`}: iptables ${ns.backend_reason}`,
    )
    if (ns.jumps.length === 0 && ns.owned_chains.length === 0) out.push('  no dockwall chains')
    for (const jmp of ns.jumps) out.push(`  jump: ${jmp.table} ${jmp.from} #${jmp.position + 1} -> ${jmp.to}`)
    for (const c of ns.owned_chains) {
      out.push(`  ${c.table} ${c.chain}:`)
      for (const r of c.rules) out.push(`    ${r.address ? `[${r.address}] ` : "[not dockwall's] "}${r.spec}`)
    }
    if (ns.foreign_rules.length > 0) {
      out.push('  rules written by others (candidates for `dockwall import`):')
      for (const f of ns.foreign_rules) out.push(`    ${f.table} ${f.chain} #${f.position + 1}: ${f.spec}`)
    }
    if (ns.routes)
      for (const r of ns.routes)
        out.push(`  route ${r.destination}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`)
  }
  for (const u of j.unreadable) out.push('', `Namespace ${u.key}: not read (${u.reason})`)
  return `${out.join('\n')}\n`
}
