// Planning Docker networks: create what is missing, replace what differs (Docker cannot
// change a network in place), adopt a matching network nobody manages, refuse to touch a
// different one, and delete (or, when adopted, release) what left the configuration.
import type {DockerContainer, DockerNetwork} from '../docker/types.js'
import {LINEAGE_LABEL} from '../model/names.js'
import type {Attributes, StateResource} from '../model/resources.js'
import type {NetworkSpec} from '../model/types.js'
import {emptyPlan, jsonEq, sortedRecord, type DockerPlanContext, type PartialPlan} from './docker-changes.js'
import {reasonText} from './reasons.js'
import {REQUESTED_REPLACE, type Change} from './types.js'

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
    // dockwall's own mark is not a setting the configuration states (see ownLineage).
    labels: sortedRecord(Object.fromEntries(Object.entries(n.labels).filter(([k]) => k !== LINEAGE_LABEL))),
    options: sortedRecord(n.options),
  }
}

/** The lineage of the state whose dockwall created this network, from its label; undefined for anyone else's. */
export function ownLineage(n: DockerNetwork): string | undefined {
  return n.labels[LINEAGE_LABEL]
}

/** Set by Docker when the configuration leaves them out: a desired null matches anything. */
const DOCKER_CHOOSES: ReadonlySet<string> = new Set([
  'gateway',
  'ip_range',
  'ipv6_subnet',
  'ipv6_gateway',
  'ipv6_ip_range',
])

/** Attribute differences (the key, and a sentence); a desired null gateway, ip_range or IPv6 subnet means "Docker chooses" and matches anything. */
function networkDiffs(want: Attributes, have: Attributes): {key: string; text: string}[] {
  const out: {key: string; text: string}[] = []
  for (const key of Object.keys(want)) {
    if (DOCKER_CHOOSES.has(key) && want[key] === null) continue
    if (!jsonEq(want[key], have[key]))
      out.push({key, text: `${key}: ${JSON.stringify(have[key] ?? null)} → ${JSON.stringify(want[key])}`})
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
  const out = emptyPlan()
  const byName = new Map(ctx.networks.map((n) => [n.name, n]))
  const byId = new Map(ctx.networks.map((n) => [n.id, n]))
  const desired = new Set<string>()
  for (const spec of ctx.model?.networks ?? []) {
    desired.add(spec.address)
    desiredNetwork(ctx, spec, byName, byId, out)
  }
  for (const prior of ctx.prior.values()) {
    if (prior.type !== 'network' || desired.has(prior.address)) continue
    const actual = (prior.ids.id ? byId.get(prior.ids.id) : undefined) ?? byName.get(String(prior.attributes.name))
    if (actual) out.changes.push(removedNetwork(ctx, prior, actual))
    else {
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
    }
  }
  return out
}

/** One configured network: create, replace (renamed or different), adopt, or an error when someone else's differs. */
function desiredNetwork(
  ctx: DockerPlanContext,
  spec: NetworkSpec,
  byName: ReadonlyMap<string, DockerNetwork>,
  byId: ReadonlyMap<string, DockerNetwork>,
  out: PartialPlan,
): void {
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
    out.changes.push(newNetwork(ctx, spec, after, prior, priorNet))
    return
  }
  const before = actualNetworkAttrs(actual)
  const diffs = networkDiffs(after, before)
  const origin = prior?.origin ?? (prior ? 'created' : undefined)
  const requested = prior !== undefined && ctx.replace.has(spec.address)
  if (diffs.length === 0 && !requested) {
    // Made by this state's dockwall, which was stopped before it saved the state (SIGKILL
    // during the create): its own, not someone else's to adopt, so destroy removes it.
    const ours = !prior && ctx.lineage !== null && ownLineage(actual) === ctx.lineage
    const reasons = prior
      ? []
      : ours
        ? [
            `a Docker network "${spec.name}" created by this state's dockwall (labelled with its lineage) exists; dockwall records it as created`,
          ]
        : [`a Docker network "${spec.name}" with these settings exists; dockwall adopts it`]
    out.changes.push({
      address: spec.address,
      type: 'network',
      action: 'no-op',
      before,
      after,
      reasons,
      dependsOn: [],
      ids: {id: actual.id},
      origin: origin ?? (ours ? 'created' : 'adopted'),
    })
    return
  }
  if (!prior) {
    // Never replace a network dockwall did not create or adopt: it may carry someone's containers.
    out.errors.push({
      severity: 'error',
      address: spec.address,
      at: spec.at,
      summary: `a Docker network named "${spec.name}" already exists with different settings (${diffs.map((d) => d.text).join('; ')}), and dockwall does not manage it`,
      detail: 'Rename the network in the configuration, change it to match, or adopt it first with `dockwall import`.',
    })
    return
  }
  if (prior.attributes && !jsonEq(prior.attributes.subnet, before.subnet)) {
    out.drift.push({
      address: spec.address,
      kind: 'changed',
      summary: `Docker network "${spec.name}" was recreated outside dockwall (${diffs.map((d) => d.text).join('; ')})`,
    })
  }
  out.changes.push({
    address: spec.address,
    type: 'network',
    action: 'replace',
    before,
    after,
    reasons: [
      ...(requested ? [REQUESTED_REPLACE] : []),
      ...diffs.map((d) => `${d.text} (forces replacement: Docker networks cannot be changed in place)`),
    ],
    ...(diffs.length > 0 ? {replacePaths: diffs.map((d) => d.key)} : {}),
    ...(requested ? {requested: true as const} : {}),
    dependsOn: [],
    disconnects: attachedContainers(actual, ctx.containers),
    ids: {id: actual.id},
    origin: origin ?? 'created',
  })
}

/** No network of that name: create it, or (renamed) replace the one dockwall had under the old name. */
function newNetwork(
  ctx: DockerPlanContext,
  spec: NetworkSpec,
  after: Attributes,
  prior: StateResource | undefined,
  priorNet: DockerNetwork | undefined,
): Change {
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
    change.replacePaths = ['name']
    change.disconnects = attachedContainers(priorNet, ctx.containers)
    change.ids = {id: priorNet.id}
    change.origin = prior?.origin ?? 'created'
  }
  return change
}

/** A managed network that left the configuration and still exists: deleted, or released when dockwall adopted it. */
function removedNetwork(ctx: DockerPlanContext, prior: StateResource, actual: DockerNetwork): Change {
  const origin = prior.origin ?? 'created'
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
  return change
}
