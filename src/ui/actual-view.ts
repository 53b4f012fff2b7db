// `dockwall show --actual`: the refreshed actual state, as text or JSON. Rules in
// dockwall's chains are attributed to their resource address; in the chains dockwall
// cares about, Docker's own lines are attributed to Docker (its raw PREROUTING drops
// included) and the rest are listed as foreign (what import adopts).
import {dockerHints, ownerOf, type DockerHints} from '../import/owners.js'
import {FIREWALL_TABLES, type FirewallTable} from '../model/resources.js'
import {IptablesParseError, parseRule} from '../netfilter/index.js'
import {COMMENT_PREFIX, isOwnedChain, JUMP_COMMENT} from '../plan/firewall.js'
import {mentionsNoOwnedChain} from '../refresh/unparsed.js'
import {FAMILIES, type Family} from '../model/types.js'
import {familyTables, type ActualModel, type ActualNamespace} from '../refresh/types.js'
import {describePublishedOverIpv6, publishedOverIpv6} from '../refresh/published.js'

/**
 * 1.1 added `docker_rules`, `family` on chains, jumps and rules (ip6tables are listed too),
 * `ipv6_read`, and IPv6 on networks and endpoints; 1.2 `published_over_ipv6`.
 */
export const ACTUAL_JSON_FORMAT_VERSION = '1.2'

/** Foreign chains dockwall reads for import and drift: its jump points and where hand-written rules live. */
const WATCHED: Record<FirewallTable, readonly string[]> = {
  filter: ['DOCKER-USER', 'FORWARD', 'INPUT', 'OUTPUT'],
  nat: ['PREROUTING', 'POSTROUTING'],
  raw: ['PREROUTING'],
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
  owned_chains: {family: Family; table: string; chain: string; rules: RuleView[]}[]
  jumps: {family: Family; table: string; from: string; to: string; position: number}[]
  foreign_rules: {family: Family; table: string; chain: string; position: number; spec: string}[]
  /** Docker's own lines in the watched chains (its jumps, masquerades, raw direct-access drops). */
  docker_rules: {family: Family; table: string; chain: string; position: number; spec: string}[]
  /** False when ip6tables were not read there (a container without IPv6). */
  ipv6_read: boolean
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
      ipv6: boolean
      ipv6_subnets: {subnet: string; gateway: string | null}[]
      internal: boolean
      labels: Record<string, string>
    }[]
    containers: {
      id: string
      name: string
      status: string
      pid: number | null
      endpoints: {
        network: string
        ipv4_address: string | null
        static: boolean
        ipv6_address: string | null
        static_ipv6: boolean
        aliases: string[]
      }[]
    }[]
  }
  namespaces: NamespaceView[]
  unreadable: {key: string; reason: string}[]
  /**
   * Published ports Docker's userland proxy serves over IPv6 to a container's IPv4 address:
   * reachable over IPv6 through the host's INPUT chain, never FORWARD or DOCKER-USER.
   */
  published_over_ipv6: {
    proto: string
    address: string
    port: number
    container: string | null
    to_address: string
    to_port: number
  }[]
}

/** Whether Docker wrote this line: the same judgement import makes (src/import/owners.ts), one place for both. */
function isDockerLine(family: Family, table: string, chain: string, spec: string, hints: DockerHints): boolean {
  try {
    return ownerOf(parseRule(`-A ${chain} ${spec}`, table, {family}), hints)?.owner === 'docker'
  } catch (e) {
    if (e instanceof IptablesParseError) return false
    throw e
  }
}

function namespaceView(ns: ActualNamespace, hints: DockerHints): NamespaceView {
  const view: NamespaceView = {
    key: ns.key,
    container: ns.container ?? null,
    backend: ns.backend,
    backend_reason: ns.backendReason,
    owned_chains: [],
    jumps: [],
    foreign_rules: [],
    docker_rules: [],
    ipv6_read: ns.tables6 !== undefined,
    routes: ns.routes
      ? ns.routes.map((r) => ({destination: r.destination, via: r.via ?? null, dev: r.dev ?? null}))
      : null,
  }
  for (const family of FAMILIES)
    for (const table of FIREWALL_TABLES) {
      for (const chain of familyTables(ns, family)?.[table]?.chains ?? []) {
        if (isOwnedChain(table, chain.name)) {
          view.owned_chains.push({
            family,
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
          if (r.target && isOwnedChain(table, r.target))
            view.jumps.push({family, table, from: chain.name, to: r.target, position})
          else if (!WATCHED[table].includes(chain.name)) return
          else if (isDockerLine(family, table, chain.name, r.spec, hints))
            view.docker_rules.push({family, table, chain: chain.name, position, spec: r.spec})
          else view.foreign_rules.push({family, table, chain: chain.name, position, spec: r.spec})
        })
      }
    }
  return view
}

export function actualToJson(actual: ActualModel): ActualJson {
  const d = actual.docker
  const hints = dockerHints(actual.docker)
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
        ipv6: n.enableIPv6,
        ipv6_subnets: n.subnets6.map((s) => ({subnet: s.subnet, gateway: s.gateway ?? null})),
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
          ipv6_address: e.ipv6Address ?? null,
          static_ipv6: e.staticIpv6Address !== undefined,
          aliases: e.aliases,
        })),
      })),
    },
    namespaces: actual.namespaces.map((ns) => namespaceView(ns, hints)),
    unreadable: actual.unreadable,
    published_over_ipv6: publishedOverIpv6(actual).map((p) => ({
      proto: p.proto,
      address: p.address,
      port: p.port,
      container: p.container,
      to_address: p.to.address,
      to_port: p.to.port,
    })),
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
      `  ${n.name.padEnd(24)} ${n.driver.padEnd(8)} ${[...n.subnets, ...n.ipv6_subnets].map((s) => s.subnet).join(', ') || '-'}${n.ipv6 && n.ipv6_subnets.length === 0 ? ' (IPv6 on)' : ''}${n.internal ? '  internal' : ''}`,
    )
  out.push('', 'Containers:')
  for (const c of j.docker.containers) {
    const eps = c.endpoints
      .map(
        (e) =>
          `${e.network}=${e.ipv4_address ?? '-'}${e.static ? ' (static)' : ''}${e.ipv6_address ? ` ${e.ipv6_address}${e.static_ipv6 ? ' (static)' : ''}` : ''}`,
      )
      .join(', ')
    out.push(`  ${c.name.padEnd(24)} ${c.status.padEnd(8)} ${eps || '-'}`)
  }
  const published6 = publishedOverIpv6(actual)
  if (published6.length > 0) {
    out.push(
      '',
      "Published ports reachable over IPv6 (Docker's userland proxy: the host's INPUT decides, not FORWARD or DOCKER-USER):",
    )
    for (const p of published6) out.push(`  ${describePublishedOverIpv6(p)}`)
  }
  for (const ns of j.namespaces) {
    out.push(
      '',
      `Namespace ${ns.key === 'host' ? 'host' : `${ns.key} (pid ${ns.container?.pid})`}: iptables ${ns.backend_reason}`,
    )
    if (!ns.ipv6_read) out.push('  ip6tables not read (no IPv6 here)')
    if (ns.jumps.length === 0 && ns.owned_chains.length === 0) out.push('  no dockwall chains')
    // IPv4 entries read as before; ip6tables ones say so.
    const t = (family: Family, table: string): string => (family === 'ipv4' ? table : `ip6tables ${table}`)
    for (const jmp of ns.jumps)
      out.push(`  jump: ${t(jmp.family, jmp.table)} ${jmp.from} #${jmp.position + 1} -> ${jmp.to}`)
    for (const c of ns.owned_chains) {
      out.push(`  ${t(c.family, c.table)} ${c.chain}:`)
      for (const r of c.rules) out.push(`    ${r.address ? `[${r.address}] ` : "[not dockwall's] "}${r.spec}`)
    }
    if (ns.foreign_rules.length > 0) {
      out.push('  rules written by others (candidates for `dockwall import`):')
      for (const f of ns.foreign_rules) out.push(`    ${t(f.family, f.table)} ${f.chain} #${f.position + 1}: ${f.spec}`)
    }
    if (ns.docker_rules.length > 0) {
      out.push("  Docker's own rules in those chains (left alone):")
      for (const d of ns.docker_rules) out.push(`    ${t(d.family, d.table)} ${d.chain} #${d.position + 1}: ${d.spec}`)
    }
    if (ns.routes)
      for (const r of ns.routes)
        out.push(`  route ${r.destination}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`)
  }
  for (const u of j.unreadable) out.push('', `Namespace ${u.key}: not read (${u.reason})`)
  return `${out.join('\n')}\n`
}
