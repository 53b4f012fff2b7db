// Planning the Docker side: networks, container attachments and routes inside containers.
import type {DockerContainer, DockerEndpoint, DockerNetwork} from '../docker/types.js'
import type {Diagnostic} from '../errors.js'
import type {AttachmentSpec, DesiredModel, NetworkSpec, RouteSpec} from '../model/types.js'
import type {ActualNamespace} from '../refresh/types.js'
import type {StateResource} from '../model/resources.js'
import {reasonText, type ReasonCode} from './reasons.js'
import type {Resolution} from './resolve.js'
import type {Attributes, Json, NamespaceKey} from '../model/resources.js'
import type {Change, Drift} from './types.js'

export interface DockerPlanContext {
  /** Null in destroy mode: nothing is desired. */
  model: DesiredModel | null
  res: Resolution
  networks: readonly DockerNetwork[]
  containers: readonly DockerContainer[]
  namespaces: ReadonlyMap<NamespaceKey, ActualNamespace>
  unreadable: ReadonlyMap<NamespaceKey, string>
  prior: ReadonlyMap<string, StateResource>
  /** Why a managed object the plan does not want is removed (not configured, or destroy). */
  removal: ReasonCode
}

export interface PartialPlan {
  changes: Change[]
  drift: Drift[]
  errors: Diagnostic[]
}

function empty(): PartialPlan {
  return {changes: [], drift: [], errors: []}
}

function jsonEq(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

function sortedRecord(r: Record<string, string>): {[k: string]: string} {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

// ---- networks -------------------------------------------------------------

export function networkAttrs(spec: NetworkSpec): Attributes {
  return {
    name: spec.name,
    driver: spec.driver,
    subnet: spec.subnet,
    gateway: spec.gateway ?? null,
    ip_range: spec.ipRange ?? null,
    ipv6: spec.ipv6 !== undefined,
    ipv6_subnet: spec.ipv6?.subnet ?? null,
    ipv6_gateway: spec.ipv6?.gateway ?? null,
    ipv6_ip_range: spec.ipv6?.ipRange ?? null,
    internal: spec.internal,
    labels: sortedRecord(spec.labels),
    options: sortedRecord(spec.options),
  }
}

export function actualNetworkAttrs(n: DockerNetwork): Attributes {
  const ipam = n.subnets[0]
  const ipam6 = n.subnets6[0]
  return {
    name: n.name,
    driver: n.driver,
    subnet: ipam?.subnet ?? null,
    gateway: ipam?.gateway ?? null,
    ip_range: ipam?.ipRange ?? null,
    ipv6: n.enableIPv6,
    ipv6_subnet: ipam6?.subnet ?? null,
    ipv6_gateway: ipam6?.gateway ?? null,
    ipv6_ip_range: ipam6?.ipRange ?? null,
    internal: n.internal,
    labels: sortedRecord(n.labels),
    options: sortedRecord(n.options),
  }
}

/** Set by Docker when the configuration leaves them out: a desired null matches anything. */
const DOCKER_CHOOSES: ReadonlySet<string> = new Set([
  'gateway',
  'ip_range',
  'ipv6_subnet',
  'ipv6_gateway',
  'ipv6_ip_range',
])

/** Attribute differences; a desired null gateway, ip_range or IPv6 subnet means "Docker chooses" and matches anything. */
function networkDiffs(want: Attributes, have: Attributes): string[] {
  const out: string[] = []
  for (const key of Object.keys(want)) {
    if (DOCKER_CHOOSES.has(key) && want[key] === null) continue
    if (!jsonEq(want[key], have[key]))
      out.push(`${key}: ${JSON.stringify(have[key] ?? null)} → ${JSON.stringify(want[key])}`)
  }
  return out
}

function attachedContainers(net: DockerNetwork, containers: readonly DockerContainer[]): string[] {
  return containers
    .filter((c) => c.endpoints.some((e) => e.networkId === net.id || e.networkName === net.name))
    .map((c) => c.name)
    .sort()
}

export function planNetworks(ctx: DockerPlanContext): PartialPlan {
  const out = empty()
  const byName = new Map(ctx.networks.map((n) => [n.name, n]))
  const byId = new Map(ctx.networks.map((n) => [n.id, n]))
  const desired = new Set<string>()
  for (const spec of ctx.model?.networks ?? []) {
    desired.add(spec.address)
    const prior = ctx.prior.get(spec.address)
    const after = networkAttrs(spec)
    const actual = byName.get(spec.name)
    const priorNet = prior?.ids.id ? byId.get(prior.ids.id) : undefined
    if (prior && !priorNet && !actual)
      out.drift.push({
        address: spec.address,
        kind: 'deleted',
        summary: `Docker network "${String(prior.attributes.name)}" was removed outside dockwall`,
      })
    if (!actual) {
      const change: Change = {
        address: spec.address,
        type: 'network',
        action: 'create',
        before: null,
        after,
        reasons: [],
        dependsOn: [],
      }
      // A renamed network: the old one (ours) goes, the new one comes.
      if (priorNet && priorNet.name !== spec.name) {
        change.action = 'replace'
        change.before = actualNetworkAttrs(priorNet)
        change.reasons.push(`name: "${priorNet.name}" → "${spec.name}" (Docker cannot rename networks)`)
        change.disconnects = attachedContainers(priorNet, ctx.containers)
        change.ids = {id: priorNet.id}
        change.origin = prior?.origin ?? 'created'
      }
      out.changes.push(change)
      continue
    }
    const before = actualNetworkAttrs(actual)
    const diffs = networkDiffs(after, before)
    const origin = prior?.origin ?? (prior ? 'created' : undefined)
    if (diffs.length === 0) {
      const reasons = prior ? [] : [`a Docker network "${spec.name}" with these settings exists; dockwall adopts it`]
      out.changes.push({
        address: spec.address,
        type: 'network',
        action: 'no-op',
        before,
        after,
        reasons,
        dependsOn: [],
        ids: {id: actual.id},
        origin: origin ?? 'adopted',
      })
      continue
    }
    if (!prior) {
      // Never replace a network dockwall did not create or adopt: it may carry someone's containers.
      out.errors.push({
        severity: 'error',
        address: spec.address,
        at: spec.at,
        summary: `a Docker network named "${spec.name}" already exists with different settings (${diffs.join('; ')}), and dockwall does not manage it`,
        detail:
          'Rename the network in the configuration, change it to match, or adopt it first with `dockwall import`.',
      })
      continue
    }
    if (prior.attributes && !jsonEq(prior.attributes.subnet, before.subnet)) {
      out.drift.push({
        address: spec.address,
        kind: 'changed',
        summary: `Docker network "${spec.name}" was recreated outside dockwall (${diffs.join('; ')})`,
      })
    }
    out.changes.push({
      address: spec.address,
      type: 'network',
      action: 'replace',
      before,
      after,
      reasons: diffs.map((d) => `${d} (forces replacement: Docker networks cannot be changed in place)`),
      dependsOn: [],
      disconnects: attachedContainers(actual, ctx.containers),
      ids: {id: actual.id},
      origin: origin ?? 'created',
    })
  }
  for (const prior of ctx.prior.values()) {
    if (prior.type !== 'network' || desired.has(prior.address)) continue
    const actual = (prior.ids.id ? byId.get(prior.ids.id) : undefined) ?? byName.get(String(prior.attributes.name))
    const origin = prior?.origin ?? 'created'
    if (!actual) {
      out.drift.push({
        address: prior.address,
        kind: 'deleted',
        summary: `Docker network "${String(prior.attributes.name)}" was removed outside dockwall`,
      })
      out.changes.push({
        address: prior.address,
        type: 'network',
        action: 'delete',
        before: prior.attributes,
        after: null,
        reasons: [reasonText('already-gone')],
        dependsOn: [],
        ids: {...prior.ids},
        ...(prior.origin ? {origin: prior.origin} : {}),
        forget: true,
      })
      continue
    }
    // Containers whose attachment dockwall made go with their own delete; list only the others.
    const managed = new Set(
      [...ctx.prior.values()]
        .filter((p) => p.type === 'attachment' && p.attributes.network === actual.name)
        .map((p) => String(p.attributes.container)),
    )
    const attached = attachedContainers(actual, ctx.containers).filter((name) => !managed.has(name))
    const change: Change = {
      address: prior.address,
      type: 'network',
      action: 'delete',
      before: actualNetworkAttrs(actual),
      after: null,
      reasons: [],
      dependsOn: [],
      ids: {id: actual.id},
      origin,
    }
    if (origin === 'adopted') {
      change.reasons.push(reasonText('release-network'))
      change.forget = true
    } else {
      change.reasons.push(reasonText(ctx.removal))
      if (attached.length > 0) change.disconnects = attached
    }
    out.changes.push(change)
  }
  return out
}

// ---- attachments ----------------------------------------------------------

/**
 * Aliases compared without the container's own name: Docker's DNS answers to the name on
 * every user network anyway, so declaring it (as Compose users often do) changes nothing,
 * and whether an engine lists it depends on how the endpoint was made. Compared with it,
 * a declared ["lb"] on container lb would never settle (issue 14).
 */
function comparableAliases(aliases: readonly string[], c: DockerContainer): string[] {
  return aliases.filter((a) => a !== c.name && a !== c.id && a !== c.id.slice(0, 12)).sort()
}

function dockerAliases(c: DockerContainer, ep: DockerEndpoint): string[] {
  return comparableAliases(ep.aliases, c)
}

export function attachmentAttrs(att: AttachmentSpec, containerName: string, networkName: string): Attributes {
  return {
    container: containerName,
    network: networkName,
    ipv4_address: att.ipv4Address ?? null,
    ipv6_address: att.ipv6Address ?? null,
    aliases: [...att.aliases].sort(),
  }
}

function actualAttachmentAttrs(c: DockerContainer, ep: DockerEndpoint): Attributes {
  return {
    container: c.name,
    network: ep.networkName,
    ipv4_address: ep.staticIpv4Address ?? ep.ipv4Address ?? null,
    ipv6_address: ep.staticIpv6Address ?? ep.ipv6Address ?? null,
    aliases: dockerAliases(c, ep),
  }
}

function attachmentDiffs(want: Attributes, c: DockerContainer, ep: DockerEndpoint): string[] {
  const out: string[] = []
  const ip = want.ipv4_address
  if (ip !== null) {
    if (ep.staticIpv4Address !== ip) out.push(`static address: ${ep.staticIpv4Address ?? 'none'} → ${String(ip)}`)
    else if (ep.ipv4Address && ep.ipv4Address !== ip) out.push(`address: ${ep.ipv4Address} → ${String(ip)}`)
  }
  const ip6 = want.ipv6_address
  if (ip6 !== null) {
    // Docker prints IPv6 in RFC 5952, as the configuration's canonical form is: text comparison is exact.
    if (ep.staticIpv6Address !== ip6)
      out.push(`static IPv6 address: ${ep.staticIpv6Address ?? 'none'} → ${String(ip6)}`)
    else if (ep.ipv6Address && ep.ipv6Address !== ip6) out.push(`IPv6 address: ${ep.ipv6Address} → ${String(ip6)}`)
  }
  const have = dockerAliases(c, ep)
  const wanted = Array.isArray(want.aliases) ? comparableAliases(want.aliases.map(String), c) : []
  if (!jsonEq(wanted, have)) out.push(`aliases: ${JSON.stringify(have)} → ${JSON.stringify(wanted)}`)
  return out
}

export function planAttachments(ctx: DockerPlanContext, networkChanges: readonly Change[]): PartialPlan {
  const out = empty()
  const netChange = new Map(networkChanges.map((c) => [c.address, c]))
  const desired = new Set<string>()
  for (const spec of ctx.model?.containers ?? []) {
    const rc = ctx.res.containers.get(spec.label)
    for (const att of spec.attachments) {
      desired.add(att.address)
      const net = ctx.res.networks.get(att.network)
      const networkName = net?.spec.name ?? att.network
      const after = attachmentAttrs(att, spec.name, networkName)
      const prior = ctx.prior.get(att.address)
      const base = {address: att.address, type: 'attachment' as const, dependsOn: [`network.${att.network}`]}
      const c = rc?.docker
      if (!c) {
        out.changes.push({
          ...base,
          action: 'deferred',
          before: null,
          after,
          reasons: [`container "${spec.name}" does not exist yet; it is connected when it appears`],
        })
        continue
      }
      const ep = c.endpoints.find((e) => e.networkName === networkName)
      const nc = netChange.get(`network.${att.network}`)
      if (prior && !ep)
        out.drift.push({
          address: att.address,
          kind: 'deleted',
          summary: `container "${spec.name}" was disconnected from "${networkName}" outside dockwall`,
        })
      if (prior && ep && prior.attributes.ipv4_address && ep.staticIpv4Address !== prior.attributes.ipv4_address) {
        out.drift.push({
          address: att.address,
          kind: 'lost-static-ip',
          summary: `container "${spec.name}" lost its static address ${String(prior.attributes.ipv4_address)} on "${networkName}"`,
        })
      }
      if (prior && ep && prior.attributes.ipv6_address && ep.staticIpv6Address !== prior.attributes.ipv6_address) {
        out.drift.push({
          address: att.address,
          kind: 'lost-static-ip',
          summary: `container "${spec.name}" lost its static IPv6 address ${String(prior.attributes.ipv6_address)} on "${networkName}"`,
        })
      }
      if (!ep || nc?.action === 'create') {
        out.changes.push({
          ...base,
          action: 'create',
          before: null,
          after,
          reasons: [],
          ids: {container: c.id},
          origin: 'created',
        })
        continue
      }
      const before = actualAttachmentAttrs(c, ep)
      if (nc?.action === 'replace') {
        out.changes.push({
          ...base,
          action: 'replace',
          before,
          after,
          reasons: [`network.${att.network} is replaced`],
          ids: {container: c.id},
          origin: prior?.origin ?? 'created',
        })
        continue
      }
      const diffs = attachmentDiffs(after, c, ep)
      if (diffs.length === 0) {
        out.changes.push({
          ...base,
          action: 'no-op',
          before,
          after,
          reasons: prior ? [] : [reasonText('adopt-attachment')],
          ids: {container: c.id},
          origin: prior?.origin ?? (prior ? 'created' : 'adopted'),
        })
      } else {
        out.changes.push({
          ...base,
          action: 'replace',
          before,
          after,
          reasons: diffs.map((d) => `${d} (forces reconnection)`),
          ids: {container: c.id},
          origin: prior?.origin ?? 'created',
        })
      }
    }
  }
  for (const prior of ctx.prior.values()) {
    if (prior.type !== 'attachment' || desired.has(prior.address)) continue
    const c = ctx.containers.find((x) => x.id === prior.ids.container || x.name === prior.attributes.container)
    const ep = c?.endpoints.find((e) => e.networkName === prior.attributes.network)
    const origin = prior?.origin ?? 'created'
    const forget = !c || !ep || origin === 'adopted'
    const reasons =
      !c || !ep
        ? [reasonText('already-disconnected')]
        : origin === 'adopted'
          ? [reasonText('release-attachment')]
          : [reasonText(ctx.removal)]
    out.changes.push({
      address: prior.address,
      type: 'attachment',
      action: 'delete',
      before: c && ep ? actualAttachmentAttrs(c, ep) : prior.attributes,
      after: null,
      reasons,
      dependsOn: [`network.${String(prior.address.split('.network.')[1] ?? '')}`],
      ids: c ? {container: c.id} : {},
      origin,
      ...(forget ? {forget: true as const} : {}),
    })
  }
  return out
}

// ---- routes ---------------------------------------------------------------

export function routeAttrs(r: RouteSpec, containerName: string): Attributes {
  return {container: containerName, destination: r.destination, via: r.via}
}

export function planRoutes(ctx: DockerPlanContext): PartialPlan {
  const out = empty()
  const desired = new Set<string>()
  for (const spec of ctx.model?.containers ?? []) {
    const ns = `container.${spec.label}` as const
    const rc = ctx.res.containers.get(spec.label)
    const deps = spec.attachments.map((a) => a.address)
    for (const r of spec.routes) {
      desired.add(r.address)
      const after = routeAttrs(r, spec.name)
      const base = {address: r.address, type: 'route' as const, dependsOn: deps}
      const prior = ctx.prior.get(r.address)
      const actualNs = ctx.namespaces.get(ns)
      if (!rc?.docker || !rc.running || !actualNs?.routes) {
        const why = !rc?.docker
          ? `container "${spec.name}" does not exist yet`
          : !rc.running
            ? `container "${spec.name}" is not running`
            : `cannot read routes in container "${spec.name}": ${ctx.unreadable.get(ns) ?? 'unknown reason'}`
        out.changes.push({...base, action: 'deferred', before: null, after, reasons: [why]})
        continue
      }
      const have = actualNs.routes.find((x) => x.destination === r.destination)
      if (!have) {
        if (prior)
          out.drift.push({
            address: r.address,
            kind: 'deleted',
            summary: `route to ${r.destination} is missing in container "${spec.name}" (restarted?)`,
          })
        out.changes.push({...base, action: 'create', before: null, after, reasons: [], ids: {container: rc.docker.id}})
      } else if (have.via !== r.via) {
        out.changes.push({
          ...base,
          action: 'update',
          before: {container: spec.name, destination: have.destination, via: have.via ?? null},
          after,
          reasons: [`via: ${have.via ?? 'direct'} → ${r.via}`],
          ids: {container: rc.docker.id},
        })
      } else {
        out.changes.push({...base, action: 'no-op', before: after, after, reasons: [], ids: {container: rc.docker.id}})
      }
    }
  }
  for (const prior of ctx.prior.values()) {
    if (prior.type !== 'route' || desired.has(prior.address)) continue
    const label = prior.address.split('.')[1] ?? ''
    const actualNs = ctx.namespaces.get(`container.${label}`)
    const present = actualNs?.routes?.some(
      (x) => x.destination === prior.attributes.destination && x.via === prior.attributes.via,
    )
    const c = ctx.containers.find((x) => x.id === prior.ids.container || x.name === prior.attributes.container)
    // A route goes before the attachment its gateway is reached through.
    const attachments = [...ctx.prior.values()]
      .filter((p) => p.type === 'attachment' && p.address.startsWith(`container.${label}.network.`))
      .map((p) => p.address)
      .sort()
    out.changes.push({
      address: prior.address,
      type: 'route',
      action: 'delete',
      before: prior.attributes,
      after: null,
      reasons: [reasonText(present ? ctx.removal : 'already-gone')],
      dependsOn: attachments,
      ids: c ? {container: c.id} : {},
      ...(present ? {} : {forget: true as const}),
    })
  }
  return out
}
