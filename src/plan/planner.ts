// plan(desired, actual, prior) → Plan. Pure and deterministic: the same inputs
// give the same plan, byte for byte (everything is sorted; no clocks). The one random value
// is a first plan's lineage (no prior state), drawn unless options.lineage gives it.
import {createHash, randomUUID} from 'node:crypto'

import type {Diagnostic} from '../errors.js'
import {FAMILIES, type Backend, type DesiredModel, type Endpoint, type Family, type PortRange} from '../model/types.js'
import {engineHasRawDrops, unsupportedEngine} from '../docker/engine.js'
import {isDirectAccessDrop} from '../docker/layout.js'
import {unparsedRuleLines} from '../refresh/unparsed.js'
import {familyTables, type ActualModel, type ActualTable, type ActualTables} from '../refresh/types.js'
import {indexActual} from './actual-index.js'
import {planAttachments} from './attachment-changes.js'
import type {DockerPlanContext} from './docker-changes.js'
import {planNetworks} from './network-changes.js'
import {planRoutes} from './route-changes.js'
import {renderFirewall, renderMasquerade, renderPortForward, renderRule, type RenderedResource} from './firewall.js'
import {planFirewall, touchesFirewall, type Normalize} from './firewall-changes.js'
import {refreshedResources} from './refreshed.js'
import {resolveImports, type ImportRequest} from './imports.js'
import {publishedOverIpv6Warning} from './published6.js'
import {publishedOverIpv6} from '../refresh/published.js'
import type {PriorState} from '../model/resources.js'
import {removalReason} from './reasons.js'
import {resolve, type EndpointLeaving, type Resolution} from './resolve.js'
import {type Attributes, type Json, type NamespaceKey} from '../model/resources.js'
import {PLAN_FORMAT_VERSION, type Change, type Plan, type PlanMode} from './types.js'

export interface PlanOptions {
  mode: PlanMode
  /** `--target` addresses; their dependencies are pulled in. Empty = everything. */
  targets: readonly string[]
  /** `--replace` addresses (networks and attachments): replaced even where nothing forces it. */
  replace?: readonly string[]
  dockwallVersion: string
  /** Brings an iptables rule spec to iptables-save's normal form (src/netfilter). */
  normalize?: Normalize
  /** The lineage a first apply gives the state (no prior state); a fresh UUID when absent. */
  lineage?: string
}

export interface PlanInputs {
  model: DesiredModel
  actual: ActualModel
  prior: PriorState | null
  /** Imports besides the configuration's `import` blocks (none today; kept for callers that plan one). */
  imports?: ImportRequest[]
}

export interface PlanResult {
  plan: Plan
  /** Errors that make the plan unusable (apply must refuse). */
  errors: Diagnostic[]
}

function endpointText(e: Endpoint): string {
  switch (e.kind) {
    case 'any':
      return 'any'
    case 'cidr':
      return e.cidr
    case 'container':
      return `container.${e.container}`
    case 'network':
      return `network.${e.network}`
  }
}

function portsText(ports: readonly PortRange[]): Json[] {
  return ports.map((p) => (p.from === p.to ? p.from : `${p.from}-${p.to}`))
}

function withOptional(base: Attributes, extra: Record<string, string | undefined>): Attributes {
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) base[k] = v
  return base
}

/** Config-level attributes of the iptables resources, shown as before/after and kept in the state. */
function firewallAttributes(model: DesiredModel | null): Map<string, Attributes> {
  const out = new Map<string, Attributes>()
  if (!model) return out
  // The Docker name of an in_container namespace, kept so a later refresh can find it even after the block is gone.
  const nameOf = (label: string | undefined): string | undefined =>
    label ? (model.containers.find((c) => c.label === label)?.name ?? label) : undefined
  for (const r of model.rules) {
    out.set(
      r.address,
      withOptional(
        {
          chain: r.chain,
          from: r.from.map(endpointText),
          to: r.to.map(endpointText),
          proto: r.proto,
          ports: portsText(r.ports),
          action: r.action,
          priority: r.priority,
        },
        {
          in_interface: r.inInterface,
          out_interface: r.outInterface,
          in_container: r.inContainer,
          container_name: nameOf(r.inContainer),
          log_prefix: r.logPrefix,
          description: r.description,
        },
      ),
    )
  }
  for (const p of model.portForwards) {
    out.set(
      p.address,
      withOptional(
        {proto: p.proto, port: p.port, to: endpointText(p.to), to_port: p.toPort, from: p.from.map(endpointText)},
        {in_interface: p.inInterface, in_container: p.inContainer, container_name: nameOf(p.inContainer)},
      ),
    )
  }
  for (const m of model.masquerades) {
    out.set(
      m.address,
      withOptional(
        {source: endpointText(m.source)},
        {
          destination: m.destination ? endpointText(m.destination) : undefined,
          out_interface: m.outInterface,
          in_container: m.inContainer,
          container_name: nameOf(m.inContainer),
        },
      ),
    )
  }
  const fw = model.firewall
  out.set('firewall', {forward_policy: fw.forwardPolicy, input_policy: fw.inputPolicy, ssh_port: fw.sshPort})
  return out
}

/**
 * The tables as hashed: chains refresh left unparsed (src/refresh/tables.ts) by their
 * iptables-save lines, which identify their content as well as the parsed rules do,
 * without parsing thousands of rules the plan never reads.
 */
function tablesForHash(tables: ActualTables): unknown {
  const lazy = (t: ActualTable | undefined): boolean =>
    t?.chains.some((c) => unparsedRuleLines(c) !== undefined) ?? false
  if (!Object.values(tables).some(lazy)) return tables
  const out: {[name: string]: unknown} = {}
  for (const [name, t] of Object.entries(tables) as Array<[string, ActualTable | undefined]>) {
    if (!t) continue
    out[name] = {
      name: t.name,
      chains: t.chains.map((c) => {
        const lines = unparsedRuleLines(c)
        return lines ? {name: c.name, policy: c.policy, lines} : c
      }),
    }
  }
  return out
}

/**
 * Whether forward accepts towards containers need raw openings on this host: the engine is
 * one that drops direct access in raw PREROUTING (Docker 28+), or such drops are there
 * (an engine whose version says otherwise, or could not be read).
 */
export function needsRawOpenings(actual: ActualModel): boolean {
  if (engineHasRawDrops(actual.docker.engine)) return true
  const host = actual.namespaces.find((n) => n.key === 'host')
  // Docker writes them in iptables and ip6tables alike: either family's raw table says so.
  return FAMILIES.some(
    (f) =>
      familyTables(host, f)
        ?.raw?.chains.find((c) => c.name === 'PREROUTING')
        ?.rules.some((r) => isDirectAccessDrop(r.spec)) ?? false,
  )
}

/** Hash of what the plan read, so `apply PLANFILE` can refuse when the host moved on. */
export function hashActual(actual: ActualModel): string {
  const byName = <T extends {name: string}>(xs: readonly T[]): T[] =>
    [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const docker = {
    networks: byName(actual.docker.networks),
    containers: byName(actual.docker.containers).map((c) => ({
      id: c.id,
      name: c.name,
      status: c.status,
      pid: c.pid ?? null,
      endpoints: c.endpoints,
    })),
  }
  const namespaces = [...actual.namespaces]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((n) => ({
      key: n.key,
      backend: n.backend,
      tables: tablesForHash(n.tables),
      // Absent, not null, for a namespace whose ip6tables were not read (a container without IPv6).
      ...(n.tables6 ? {tables6: tablesForHash(n.tables6)} : {}),
      routes: n.routes ?? null,
    }))
  return createHash('sha256').update(JSON.stringify({docker, namespaces})).digest('hex')
}

/**
 * The host a plan read, in parts a person can name (`container web`, `the iptables nat table
 * of host`), each with its own hash: a saved plan file keeps them, so `apply PLANFILE` can
 * say what moved when it refuses. Computed only when a plan is saved.
 */
export function hostParts(actual: ActualModel): Record<string, string> {
  const h = (x: unknown): string => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16)
  const parts: Record<string, string> = {}
  for (const n of actual.docker.networks) parts[`Docker network ${n.name}`] = h(n)
  for (const c of actual.docker.containers)
    parts[`container ${c.name}`] = h({id: c.id, status: c.status, pid: c.pid ?? null, endpoints: c.endpoints})
  for (const ns of actual.namespaces) {
    for (const [tool, tables] of [
      ['iptables', ns.tables],
      ['ip6tables', ns.tables6],
    ] as const) {
      if (!tables) continue
      for (const [name, t] of Object.entries(tables) as Array<[string, ActualTable | undefined]>)
        if (t) parts[`the ${tool} ${name} table of ${ns.key}`] = h({backend: ns.backend, t: tablesForHash({[name]: t})})
    }
    if (ns.routes) parts[`the routes of ${ns.key}`] = h(ns.routes)
    // What hashActual also covers beyond those parts: the namespace itself (one refresh read
    // that another did not, or one that came or went with no table of its own) and which of its
    // families and routes were read. Without it, a host could move with nothing to name.
    parts[`the namespace ${ns.key}`] = h({
      backend: ns.backend,
      tables: Object.keys(ns.tables),
      tables6: ns.tables6 ? Object.keys(ns.tables6) : null,
      routes: ns.routes !== undefined,
    })
  }
  return parts
}

/** The parts of the host that differ between two hostParts readings: changed, gone or new. */
export function movedParts(then: Record<string, string>, now: Record<string, string>): string[] {
  const names = new Set([...Object.keys(then), ...Object.keys(now)])
  return [...names]
    .filter((k) => then[k] !== now[k])
    .map((k) => (now[k] === undefined ? `${k} (gone)` : then[k] === undefined ? `${k} (new)` : k))
    .sort()
}

/** Expands targets to the addresses they cover (a container target covers its attachments and routes) plus dependencies. */
function targetFilter(
  targets: readonly string[],
  changes: readonly Change[],
  rendered: readonly RenderedResource[],
): ((address: string) => boolean) | null {
  if (targets.length === 0) return null
  const deps = new Map<string, string[]>()
  for (const c of changes) deps.set(c.address, c.dependsOn)
  for (const r of rendered) deps.set(r.address, r.dependsOn)
  const covers = (t: string, a: string): boolean => a === t || a.startsWith(`${t}.`) || a.startsWith(`${t}[`)
  const chosen = new Set<string>()
  const visit = (a: string): void => {
    if (chosen.has(a)) return
    chosen.add(a)
    for (const d of deps.get(a) ?? []) for (const candidate of deps.keys()) if (covers(d, candidate)) visit(candidate)
  }
  for (const a of deps.keys()) if (targets.some((t) => covers(t, a))) visit(a)
  return (address: string) => chosen.has(address)
}

/** Rewrites `container.X` dependencies to the attachment addresses that give X its addresses. */
function resolveDeps(deps: readonly string[], attachmentsOf: ReadonlyMap<string, string[]>): string[] {
  const out = new Set<string>()
  for (const d of deps) {
    const atts = attachmentsOf.get(d)
    if (atts) for (const a of atts) out.add(a)
    else if (d.startsWith('network.') || d === 'firewall') out.add(d)
  }
  return [...out].sort()
}

export function makePlan(inputs: PlanInputs, options: PlanOptions): PlanResult {
  const normalize = options.normalize ?? ((s: string) => s.trim().replace(/\s+/g, ' '))
  const model = options.mode === 'destroy' ? null : inputs.model
  const {actual} = inputs
  const rawOpenings = needsRawOpenings(actual)
  const unreadable = new Map(actual.unreadable.map((u) => [u.key, u.reason]))
  // In destroy mode nothing is desired: resolve against an empty model.
  const resolveFor = (leaving?: EndpointLeaving): Resolution => {
    const r = resolve(
      model ?? {...inputs.model, networks: [], containers: []},
      actual.docker.containers,
      actual.docker.networks,
      leaving,
    )
    r.rawOpenings = rawOpenings
    r.unreadable = unreadable
    return r
  }
  let res = resolveFor()
  const {prior, descriptions, imported} = priorWithImports(inputs, model)
  const index = indexActual(actual)
  const ctx: DockerPlanContext = {
    model,
    res,
    networks: actual.docker.networks,
    containers: actual.docker.containers,
    namespaces: index.namespaces,
    unreadable,
    prior,
    lineage: inputs.prior?.lineage ?? null,
    removal: removalReason(options.mode),
    replace: new Set(options.replace ?? []),
  }

  const nets = planNetworks(ctx)
  const atts = planAttachments(ctx, nets.changes)
  const routes = planRoutes(ctx, atts.changes)

  // Render the firewall with the addresses containers will have once the Docker changes are made.
  const leaving = leavingEndpoints(nets.changes, atts.changes)
  if (leaving) res = resolveFor(leaving)
  // Docker inserts its masquerade rule at the top of nat POSTROUTING when it creates a network: put the jump back on top after.
  const dockerInserts = new Set<string>(
    nets.changes.some((c) => c.action === 'create' || c.action === 'replace') ? ['POSTROUTING'] : [],
  )

  const rendered = model ? renderDesired(model, res) : []

  const dockerChanges = [...nets.changes, ...atts.changes, ...routes.changes]
  const targeted = targetFilter(options.targets, dockerChanges, rendered)
  // A family is written only where refresh read it (ip6tables are read where IPv6 concerns the namespace).
  const backendOf = (ns: NamespaceKey, family: Family): Backend | undefined => {
    const n = index.namespaces.get(ns)
    return familyTables(n, family) ? n?.backend : undefined
  }
  const fw = planFirewall(
    {
      rendered,
      attributes: firewallAttributes(model),
      index,
      prior,
      normalize,
      targeted,
      dockerInserts,
      removal: removalReason(options.mode),
    },
    backendOf,
  )

  let changes = [...dockerChanges.filter((c) => targeted === null || targeted(c.address)), ...fw.changes]
  let transactions = fw.transactions
  const drift = [...nets.drift, ...atts.drift, ...routes.drift, ...fw.drift].sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : a.summary < b.summary ? -1 : 1,
  )
  const warnings = planWarnings(actual, model, changes, index, backendOf)
  markImports(changes, descriptions, new Map((model?.imports ?? []).map((i) => [i.to, i.id])))
  if (options.mode === 'refresh-only') {
    // Refresh-only: report drift, change nothing on the host; apply only records what is there.
    changes = []
    transactions = []
  }
  changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
  // Without a firewall block the firewall base (replies accepted, the policies' frame) is implied, not declared.
  if (inputs.model.firewall.at === undefined) for (const c of changes) if (c.type === 'firewall') c.implied = true

  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    dockwallVersion: options.dockwallVersion,
    mode: options.mode,
    changes,
    drift,
    warnings,
    firewall: transactions,
    prior: {serial: inputs.prior?.serial ?? 0, lineage: inputs.prior?.lineage ?? null},
    lineage: inputs.prior?.lineage ?? options.lineage ?? randomUUID(),
    actualHash: hashActual(actual),
    targets: [...options.targets].sort(),
  }
  // What apply --refresh-only records: the prior state as refresh found it (imports are not made).
  if (options.mode === 'refresh-only') plan.refreshed = refreshedResources(inputs.prior?.resources ?? [], actual, index)
  const engineError = unsupportedEngine(actual.docker.engine)
  return {plan, errors: [...(engineError ? [engineError] : []), ...imported.errors, ...nets.errors]}
}

/** Prior state with the imports of this plan added (origin "imported", see imports.ts), and how each import is described; none when destroying. */
function priorWithImports(
  inputs: PlanInputs,
  model: DesiredModel | null,
): {
  prior: Map<string, PriorState['resources'][number]>
  descriptions: Map<string, string>
  imported: ReturnType<typeof resolveImports>
} {
  const prior = new Map((inputs.prior?.resources ?? []).map((r) => [r.address, r]))
  const requests: ImportRequest[] = model
    ? [...model.imports.map((i) => ({to: i.to, id: i.id, at: i.at})), ...(inputs.imports ?? [])]
    : []
  const imported = resolveImports(requests, inputs.actual, prior)
  for (const r of imported.resources) prior.set(r.address, r)
  const descriptions = new Map(imported.descriptions)
  for (const r of prior.values()) {
    if (r.pendingMove && !descriptions.has(r.address))
      descriptions.set(
        r.address,
        `moves the rule imported from ${r.lines?.[0]?.chain ?? 'a foreign chain'} into dockwall's chain`,
      )
  }
  return {prior, descriptions, imported}
}

/** Every rule, port forward and masquerade rendered to lines, the firewall's frame around them, dependencies resolved. */
function renderDesired(model: DesiredModel, res: Resolution): RenderedResource[] {
  const rendered: RenderedResource[] = []
  for (const r of model.rules) rendered.push(renderRule(r, res))
  for (const p of model.portForwards) rendered.push(renderPortForward(p, res))
  for (const m of model.masquerades) rendered.push(renderMasquerade(m, res))
  const needForward = (family: Family): boolean =>
    rendered.some((r) =>
      r.lines.some((l) => l.namespace === 'host' && l.family === family && l.chain === 'DOCKWALL-FORWARD'),
    )
  const fw = renderFirewall(model.firewall, {needForward: {ipv4: needForward('ipv4'), ipv6: needForward('ipv6')}})
  if (fw.lines.length > 0) {
    // The firewall's head and tail lines frame every rule in the host's filter chains (replies accepted first, policy drop last).
    for (const r of rendered)
      if (r.lines.some((l) => l.namespace === 'host' && l.table === 'filter')) r.dependsOn.push('firewall')
    rendered.push(fw)
  }
  const attachmentsOf = new Map<string, string[]>()
  for (const c of model?.containers ?? [])
    attachmentsOf.set(
      c.address,
      c.attachments.map((a) => a.address),
    )
  for (const r of rendered) r.dependsOn = resolveDeps(r.dependsOn, attachmentsOf)
  return rendered
}

/** Warnings of the plan: namespaces not read, ports published over IPv6, lines that cannot be written. */
function planWarnings(
  actual: ActualModel,
  model: DesiredModel | null,
  changes: readonly Change[],
  index: ReturnType<typeof indexActual>,
  backendOf: (ns: NamespaceKey, family: Family) => Backend | undefined,
): Diagnostic[] {
  const warnings: Diagnostic[] = []
  for (const u of actual.unreadable)
    warnings.push({severity: 'warning', summary: `could not read the ${u.key} namespace: ${u.reason}`})
  const published6 = publishedOverIpv6Warning(publishedOverIpv6(actual), model ?? undefined)
  if (published6) warnings.push(published6)
  for (const c of changes) {
    if (c.action === 'deferred' || !touchesFirewall(c)) continue
    const unwritten = [...(c.lines?.after ?? []), ...(c.lines?.before ?? [])].find(
      (l) => !backendOf(l.namespace, l.family),
    )
    if (unwritten)
      warnings.push({
        severity: 'warning',
        address: c.address,
        summary:
          unwritten.family === 'ipv4' || !index.namespaces.get(unwritten.namespace)
            ? `the ${unwritten.namespace} namespace was not read; its iptables lines cannot be written`
            : `the ip6tables of the ${unwritten.namespace} namespace were not read; its IPv6 lines cannot be written`,
      })
  }
  return warnings
}

/** The endpoints the Docker changes take away (a network replaced or deleted, an attachment replaced or deleted); undefined when none. */
function leavingEndpoints(networks: readonly Change[], attachments: readonly Change[]): EndpointLeaving | undefined {
  const going = (c: Change): boolean => c.action === 'replace' || c.action === 'delete'
  const goingNetworks = new Set(networks.filter(going).map((c) => String(c.before?.name)))
  const goingEndpoints = new Set(
    attachments.filter(going).map((c) => `${String(c.before?.container)}|${String(c.before?.network)}`),
  )
  if (goingNetworks.size === 0 && goingEndpoints.size === 0) return undefined
  return (container, network) => goingNetworks.has(network) || goingEndpoints.has(`${container}|${network}`)
}

/** A change that also imports its resource says so, first among its reasons, with its import block's ID. */
function markImports(
  changes: readonly Change[],
  descriptions: ReadonlyMap<string, string>,
  blockIds: ReadonlyMap<string, string>,
): void {
  for (const c of changes) {
    const d = descriptions.get(c.address)
    if (d) {
      c.importing = d
      const id = blockIds.get(c.address)
      if (id !== undefined) c.importId = id
      c.reasons.unshift(`import: ${d}`)
    }
  }
}
