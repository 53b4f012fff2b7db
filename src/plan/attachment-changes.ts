// Planning container attachments: connect what is missing, reconnect what differs (a
// static address or aliases cannot change in place) or whose network is replaced, adopt
// a matching connection, and disconnect (or release) what left the configuration. A
// container that does not exist yet defers its attachments.
import type {DockerContainer, DockerEndpoint} from '../docker/types.js'
import type {Attributes, StateResource} from '../model/resources.js'
import type {AttachmentSpec, ContainerSpec} from '../model/types.js'
import {emptyPlan, jsonEq, type DockerPlanContext, type PartialPlan} from './docker-changes.js'
import {reasonText} from './reasons.js'
import {REQUESTED_REPLACE, type Change, type Drift} from './types.js'

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

/**
 * An attachment as the state records it, read from the host (apply --refresh-only): the
 * addresses it holds statically (what `ipv4_address` declares; a dynamic one is Docker's
 * to change, and recorded it would read as a lost static address later), its aliases.
 */
export function recordedAttachmentAttrs(c: DockerContainer, ep: DockerEndpoint): Attributes {
  return {
    container: c.name,
    network: ep.networkName,
    ipv4_address: ep.staticIpv4Address ?? null,
    ipv6_address: ep.staticIpv6Address ?? null,
    aliases: dockerAliases(c, ep),
  }
}

function attachmentDiffs(want: Attributes, c: DockerContainer, ep: DockerEndpoint): {key: string; text: string}[] {
  const out: {key: string; text: string}[] = []
  const ip = want.ipv4_address
  if (ip !== null) {
    if (ep.staticIpv4Address !== ip)
      out.push({key: 'ipv4_address', text: `static address: ${ep.staticIpv4Address ?? 'none'} → ${String(ip)}`})
    else if (ep.ipv4Address && ep.ipv4Address !== ip)
      out.push({key: 'ipv4_address', text: `address: ${ep.ipv4Address} → ${String(ip)}`})
  }
  const ip6 = want.ipv6_address
  if (ip6 !== null) {
    // Docker prints IPv6 in RFC 5952, as the configuration's canonical form is: text comparison is exact.
    if (ep.staticIpv6Address !== ip6)
      out.push({
        key: 'ipv6_address',
        text: `static IPv6 address: ${ep.staticIpv6Address ?? 'none'} → ${String(ip6)}`,
      })
    else if (ep.ipv6Address && ep.ipv6Address !== ip6)
      out.push({key: 'ipv6_address', text: `IPv6 address: ${ep.ipv6Address} → ${String(ip6)}`})
  }
  const have = dockerAliases(c, ep)
  const wanted = Array.isArray(want.aliases) ? comparableAliases(want.aliases.map(String), c) : []
  if (!jsonEq(wanted, have))
    out.push({key: 'aliases', text: `aliases: ${JSON.stringify(have)} → ${JSON.stringify(wanted)}`})
  return out
}

export function planAttachments(ctx: DockerPlanContext, networkChanges: readonly Change[]): PartialPlan {
  const out = emptyPlan()
  const netChange = new Map(networkChanges.map((c) => [c.address, c]))
  const desired = new Set<string>()
  for (const spec of ctx.model?.containers ?? []) {
    for (const att of spec.attachments) {
      desired.add(att.address)
      desiredAttachment(ctx, spec, att, netChange, out)
    }
  }
  for (const prior of ctx.prior.values())
    if (prior.type === 'attachment' && !desired.has(prior.address)) out.changes.push(removedAttachment(ctx, prior))
  return out
}

function desiredAttachment(
  ctx: DockerPlanContext,
  spec: ContainerSpec,
  att: AttachmentSpec,
  netChange: ReadonlyMap<string, Change>,
  out: PartialPlan,
): void {
  const net = ctx.res.networks.get(att.network)
  const networkName = net?.spec.name ?? att.network
  const after = attachmentAttrs(att, spec.name, networkName)
  const prior = ctx.prior.get(att.address)
  const base = {address: att.address, type: 'attachment' as const, dependsOn: [`network.${att.network}`]}
  const c = ctx.res.containers.get(spec.label)?.docker
  if (!c) {
    out.changes.push({
      ...base,
      action: 'deferred',
      before: null,
      after,
      reasons: [`container "${spec.name}" does not exist yet; it is connected when it appears`],
    })
    return
  }
  const ep = c.endpoints.find((e) => e.networkName === networkName)
  const nc = netChange.get(`network.${att.network}`)
  if (prior) out.drift.push(...attachmentDrift(att.address, prior, spec.name, networkName, ep))
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
    return
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
    return
  }
  const diffs = attachmentDiffs(after, c, ep)
  const requested = prior !== undefined && ctx.replace.has(att.address)
  if (diffs.length === 0 && !requested) {
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
      reasons: [...(requested ? [REQUESTED_REPLACE] : []), ...diffs.map((d) => `${d.text} (forces reconnection)`)],
      ...(diffs.length > 0 ? {replacePaths: [...new Set(diffs.map((d) => d.key))]} : {}),
      ...(requested ? {requested: true as const} : {}),
      ids: {container: c.id},
      origin: prior?.origin ?? 'created',
    })
  }
}

/** What happened to a managed attachment outside dockwall: disconnected, or its static addresses lost. */
function attachmentDrift(
  address: string,
  prior: StateResource,
  container: string,
  networkName: string,
  ep: DockerEndpoint | undefined,
): Drift[] {
  const out: Drift[] = []
  if (!ep) {
    out.push({
      address,
      kind: 'deleted',
      summary: `container "${container}" was disconnected from "${networkName}" outside dockwall`,
    })
    return out
  }
  if (prior.attributes.ipv4_address && ep.staticIpv4Address !== prior.attributes.ipv4_address) {
    out.push({
      address,
      kind: 'lost-static-ip',
      summary: `container "${container}" lost its static address ${String(prior.attributes.ipv4_address)} on "${networkName}"`,
    })
  }
  if (prior.attributes.ipv6_address && ep.staticIpv6Address !== prior.attributes.ipv6_address) {
    out.push({
      address,
      kind: 'lost-static-ip',
      summary: `container "${container}" lost its static IPv6 address ${String(prior.attributes.ipv6_address)} on "${networkName}"`,
    })
  }
  return out
}

/** A managed attachment that left the configuration: disconnected, or only forgotten (gone already, or adopted). */
function removedAttachment(ctx: DockerPlanContext, prior: StateResource): Change {
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
  return {
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
  }
}
