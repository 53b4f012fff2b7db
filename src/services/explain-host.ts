// The explain evaluator's view of the host, shared by `dockwall explain` and the
// assertions the pipeline checks (plan, apply, test, watch): every running container's
// namespace and the host's read in full (namespace-dump.ts), the names Docker and the
// configuration give them, and the same host with a plan's firewall transactions played.
import type {DockerReader} from '../docker/client.js'
import {readDockerProxies} from '../docker/proxies.js'
import {INSPECT_CONCURRENCY, readDocker} from '../docker/read.js'
import type {DockerSnapshot} from '../docker/types.js'
import {AbortError} from '../errors.js'
import {
  answerQuestion,
  checkAssertions,
  type AssertionResult,
  bridgeName,
  directoryFrom,
  EndpointResolver,
  ExplainInputError,
  Explainer,
  hostFromDumps,
  plannedHost,
  rulesFromSave,
  RulesNeeded,
  type Answer,
  type ExplainHost,
  type Family,
  type NamespaceDump,
  type PlannedTransaction,
  type Question,
} from '../explain/index.js'
import type {PriorState} from '../model/resources.js'
import type {Backend, BackendSetting, DesiredModel} from '../model/types.js'
import type {Ruleset} from '../netfilter/types.js'
import type {FirewallTransaction, Plan} from '../plan/types.js'
import type {HostSaves} from '../refresh/host-dump.js'
import {readNamespaceSaves, type NamespaceSaves} from '../refresh/namespace.js'
import {namespaceNeeds} from '../refresh/refresh.js'
import type {ActualModel} from '../refresh/types.js'
import type {NetnsTarget} from '../util/exec.js'
import {readProcNet} from '../util/netns.js'
import {mapLimit, Semaphore} from '../util/pool.js'
import {
  readNamespaceDump,
  readRulesSave,
  startTopologyRead,
  type KnownSaves,
  type TopologyRead,
} from './namespace-dump.js'

/** Namespaces read at once: each read is seven short processes. */
const READ_CONCURRENCY = 8

/** What the host and the names in it look like, ready for questions. */
export interface ExplainContext {
  explainer: Explainer
  resolver: EndpointResolver
  host: ExplainHost
}

/** What --planned played onto the host. */
export interface PlannedNote {
  /** Firewall transactions of the plan played onto the rules read. */
  transactions: number
  /** Namespaces the plan writes to that are not running (their rules are not in the answer). */
  skipped: string[]
  /** Docker changes (networks, attachments) in the plan: explain evaluates the firewall as planned, Docker as it is. */
  dockerChanges: number
  /** Transactions iptables-restore would refuse (their table stays as it is): `namespace table: why`. */
  failed: string[]
}

/** A namespace to read, with the backend to read it with and the saves read already. */
interface NamespaceTarget {
  id: string
  target: NetnsTarget
  backend: Backend
  saves?: KnownSaves
  /** Read no save not known yet: the rules are read when a question needs them (readHostAsIs). */
  deferRules?: boolean
  /** Its interfaces and routes, read already or under way. */
  topology?: TopologyRead
}

/** The docker-proxies of the host, as read (readDockerProxies) or under way. */
type ProxiesRead = ReturnType<typeof readDockerProxies>

async function readDumps(
  targets: readonly NamespaceTarget[],
  proxies: () => ProxiesRead,
  docker: DockerSnapshot,
): Promise<ExplainHost> {
  const read = await mapLimit(targets, READ_CONCURRENCY, async (t): Promise<NamespaceDump | undefined> => {
    try {
      return await readNamespaceDump(t.id, t.target, t.backend, {
        ...t.saves,
        ...(t.deferRules ? {deferRules: true} : {}),
        ...(t.topology ? {topology: t.topology} : {}),
      })
    } catch (err) {
      // A container that stopped meanwhile: left out (a question about it says it cannot be read).
      if (t.id === 'host') throw err
      return undefined
    }
  })
  return hostFromDumps(
    {
      namespaces: read.filter((d): d is NamespaceDump => d !== undefined),
      proxies: await proxies(),
      dockerBridges: docker.networks
        .filter((n) => n.driver === 'bridge')
        .map(bridgeName)
        .sort(),
    },
    {lazyRules: true},
  )
}

/** Every running container's namespace and the host's, read in full. */
export async function readExplainHost(
  actual: ActualModel,
  host: NetnsTarget,
  hostSaves?: HostSaves,
): Promise<ExplainHost> {
  const hostNs = actual.namespaces.find((n) => n.key === 'host')
  if (!hostNs) throw new Error('refresh returned no host namespace')
  const backendOf = new Map(actual.namespaces.flatMap((n) => (n.container ? [[n.container.name, n.backend]] : [])))
  const known = hostSaves?.family === 'ipv4' ? hostSaves.saves[hostNs.backend] : undefined
  const targets: NamespaceTarget[] = [
    {id: 'host', target: host, backend: hostNs.backend, ...(known !== undefined ? {saves: {ipv4Save: known}} : {})},
  ]
  for (const c of actual.docker.containers)
    if (c.status === 'running' && c.pid)
      // Docker writes a container's rules (its DNS) with the host's iptables: the same backend unless refresh found another.
      targets.push({
        id: `container.${c.name}`,
        target: {kind: 'pid', pid: c.pid},
        backend: backendOf.get(c.name) ?? hostNs.backend,
      })
  return readDumps(targets, () => readDockerProxies(host), actual.docker)
}

/** What `dockwall explain` reads of the host as it is (readHostAsIs). */
export interface HostAsIs {
  docker: DockerSnapshot
  /** Containers' rules deferred (NamespaceInput.deferred): askAsIs reads them when a packet enters. */
  host: ExplainHost
  /** What refresh would warn about: a backend setting that disagrees with the rules, an unreadable ip6tables. */
  warnings: string[]
  /** Reads a deferred family of a namespace. */
  readRules: (namespace: string, family: Family) => Promise<Ruleset | null | undefined>
}

/**
 * The host as it is, for `dockwall explain` without --planned: what readExplainHost reads
 * after a refresh, without the refresh. Refresh reads both families of both backends and
 * parses dockwall's tables for the planner; explain needs Docker's containers (their PIDs)
 * and networks, each namespace's backend (chosen from the same saves as refresh chooses
 * it: the host's, and the containers' the configuration or the state name), and each
 * namespace's dump, the saves read for the choice not read again.
 */
export async function readHostAsIs(scope: {
  docker: DockerReader
  host: NetnsTarget
  backend: BackendSetting
  model: DesiredModel | null
  state: PriorState | null
  /** Its containers' rules are read with the rest (the others' when a packet enters them). */
  question?: Question
}): Promise<HostAsIs> {
  // The host's saves start first: a 20,000-rule nft save is the longest read of all, and each
  // process started before it holds the event loop (tens of ms on a loaded host).
  const hostSavesRead = readNamespaceSaves(scope.host, scope.backend, {ipv6: true})
  // Interfaces and routes need no backend: each namespace's are read while the host's saves
  // are, the host's at once, a container's once Docker has named its PID.
  const batchSlots = new Semaphore(READ_CONCURRENCY)
  const batchSlot = <T>(fn: () => Promise<T>): Promise<T> => batchSlots.use(fn)
  const topologies = new Map<string, TopologyRead>()
  // The host's once the saves' processes have started (a microtask or two after the call).
  const hostTopology = (): TopologyRead => {
    let t = topologies.get('host')
    if (!t) topologies.set('host', (t = startTopologyRead('host', scope.host, {batchSlot})))
    return t
  }
  setImmediate(hostTopology)
  let proxies: ProxiesRead | undefined
  const needs = namespaceNeeds(scope.model, scope.state)
  // The IPv4 saves of the containers the question names, started once Docker has named their
  // PIDs rather than after the host's saves (the longest read), with the backend the host's
  // will choose (likelyBackend); used only where they do choose it, else read then as before.
  const early = new Map<string, {backend: Backend; save: Promise<string | null>}>()
  const startEarlySaves = (d: DockerSnapshot): void => {
    if (!scope.question) return
    const backend = likelyBackend(scope.host, scope.backend)
    if (!backend) return
    const named = containersOf(scope.question, d, scope.model)
    for (const c of d.containers)
      if (c.status === 'running' && c.pid && named.has(c.name) && !needs.some((n) => n.name === c.name))
        early.set(c.name, {backend, save: readRulesSave({kind: 'pid', pid: c.pid}, backend, 'ipv4')})
  }
  const [docker, hostSaves] = await Promise.all([
    readDocker(scope.docker, {inspect: 'all', concurrency: INSPECT_CONCURRENCY}).then((d) => {
      for (const c of d.containers)
        if (c.status === 'running' && c.pid) {
          const id = `container.${c.name}`
          topologies.set(id, startTopologyRead(id, {kind: 'pid', pid: c.pid}, {batchSlot}))
        }
      startEarlySaves(d)
      // The /proc scan for docker-proxies (hundreds of ms where many processes run) while
      // the host's saves are still under way, not after them: it needs neither.
      proxies = readDockerProxies(scope.host)
      return d
    }),
    hostSavesRead,
  ])
  const warnings: string[] = []
  if (hostSaves.warning) warnings.push(`host: ${hostSaves.warning}`)
  const fallback = {
    backend: hostSaves.backend,
    reason: `${hostSaves.backend}: no rules here yet; Docker writes containers' rules with the host's iptables-${hostSaves.backend}`,
  }
  const byName = new Map(docker.containers.map((c) => [c.name, c]))
  // The containers refresh would read (src/refresh/refresh.ts): their own backend, as refresh chooses it.
  const chosen = new Map<string, NamespaceSaves>()
  await mapLimit(needs, READ_CONCURRENCY, async (need) => {
    const c = byName.get(need.name)
    if (!c || c.status !== 'running' || !c.pid) return
    try {
      const saves = await readNamespaceSaves({kind: 'pid', pid: c.pid}, scope.backend, {
        fallback,
        ipv6: need.ipv6Lines || c.endpoints.some((e) => e.ipv6Address),
      })
      if (saves.warning) warnings.push(`container ${need.name}: ${saves.warning}`)
      chosen.set(c.name, saves)
    } catch {
      // Stopped meanwhile: read with the host's backend below, or left out.
    }
  })
  const named = scope.question ? containersOf(scope.question, docker, scope.model) : new Set<string>()
  const targets: NamespaceTarget[] = [
    {
      id: 'host',
      target: scope.host,
      backend: hostSaves.backend,
      saves: knownSaves(hostSaves),
      topology: hostTopology(),
    },
  ]
  for (const c of docker.containers) {
    if (c.status !== 'running' || !c.pid) continue
    const own = chosen.get(c.name)
    const topology = topologies.get(`container.${c.name}`)
    const backend = own?.backend ?? hostSaves.backend
    const started = early.get(c.name)
    targets.push({
      id: `container.${c.name}`,
      target: {kind: 'pid', pid: c.pid},
      backend,
      ...(topology ? {topology} : {}),
      // A container's iptables are read when a packet first enters it (most questions cross two of many),
      // the question's own at once (their IPv4 save started already where the backend was foreseen).
      ...(own
        ? {saves: knownSaves(own)}
        : named.has(c.name)
          ? started?.backend === backend
            ? {saves: {ipv4Save: await started.save}}
            : {}
          : {deferRules: true}),
    })
  }
  const byId = new Map(targets.map((t) => [t.id, t]))
  return {
    docker,
    host: await readDumps(targets, () => proxies ?? readDockerProxies(scope.host), docker),
    warnings,
    readRules: async (namespace, family) => {
      const t = byId.get(namespace)
      if (!t) throw new Error(`no namespace ${namespace} to read rules of`)
      return rulesFromSave(await readRulesSave(t.target, t.backend, family), family, true)
    },
  }
}

/**
 * Answers a question about the host as it is, reading each container's deferred rules
 * when a packet first enters it (RulesNeeded) and asking again; the chains compiled so
 * far are kept.
 */
export async function askAsIs(context: ExplainContext, asIs: HostAsIs, question: Question): Promise<Answer> {
  for (;;) {
    try {
      return ask(context, question)
    } catch (err) {
      if (!(err instanceof RulesNeeded)) throw err
      context.explainer.provideRules(err.namespace, err.family, await asIs.readRules(err.namespace, err.family))
    }
  }
}

/**
 * The backend the host's saves will choose (readNamespaceSaves): the setting when explicit;
 * for auto, nft where the host's namespace holds no legacy table (no legacy rule to weigh),
 * legacy where it holds some (Docker's chains are there on a legacy host); undefined where
 * /proc cannot tell. A guess for starting saves early, never the choice itself.
 */
function likelyBackend(host: NetnsTarget, setting: BackendSetting): Backend | undefined {
  if (setting !== 'auto') return setting
  const legacy = readProcNet(host, 'ip_tables_names')
  return legacy === undefined ? undefined : legacy.length === 0 ? 'nft' : 'legacy'
}

/** The containers (Docker names) a question names, by name, label or address. */
function containersOf(q: Question, docker: DockerSnapshot, model: DesiredModel | null): Set<string> {
  const out = new Set<string>()
  for (const e of [q.from, q.to]) {
    if (e.kind === 'container' || e.kind === 'name') {
      out.add(e.name)
      for (const c of model?.containers ?? []) if (c.label === e.name) out.add(c.name)
    } else if (e.kind === 'address') {
      const ip = e.text.split('/')[0]
      for (const c of docker.containers)
        if (c.endpoints.some((x) => x.ipv4Address === ip || x.ipv6Address === ip)) out.add(c.name)
    }
  }
  return out
}

/** The saves of the chosen backend, for readNamespaceDump (undefined: not read, or failed). */
function knownSaves(s: NamespaceSaves): KnownSaves {
  const out: KnownSaves = {ipv4Save: s.v4[s.backend] ?? null}
  if (s.v6) out.ipv6Save = s.v6[s.backend] ?? null
  return out
}

export function contextOf(
  host: ExplainHost,
  actual: Pick<ActualModel, 'docker'>,
  model: DesiredModel | null,
): ExplainContext {
  return {
    explainer: new Explainer(host),
    resolver: new EndpointResolver(host, directoryFrom(actual.docker, model)),
    host,
  }
}

/** A plan's transaction's family: IPv4 until the plan writes ip6tables. */
function txFamily(tx: FirewallTransaction): 'ipv4' | 'ipv6' {
  // The family field arrives with ip6tables rendering (issue 12); until then every transaction is IPv4.
  const f = (tx as {family?: unknown}).family
  return f === 'ipv6' ? 'ipv6' : 'ipv4'
}

/** The plan's firewall transactions in the host description's namespace ids (`container.<Docker name>`). */
export function plannedTransactions(plan: Plan, actual: ActualModel): PlannedTransaction[] {
  return plan.firewall.map((tx) => {
    const ns = actual.namespaces.find((n) => n.key === tx.namespace)
    const id = tx.namespace === 'host' ? 'host' : ns?.container ? `container.${ns.container.name}` : tx.namespace
    return {namespace: id, family: txFamily(tx), input: tx.input}
  })
}

/** The host as the plan would leave its firewall. */
export function plannedContext(
  explainHost: ExplainHost,
  plan: Plan,
  actual: ActualModel,
  model: DesiredModel,
): {context: ExplainContext; note: PlannedNote} {
  const played = plannedHost(explainHost, plannedTransactions(plan, actual))
  const dockerChanges = plan.changes.filter(
    (c) => (c.type === 'network' || c.type === 'attachment') && c.action !== 'no-op',
  ).length
  return {
    context: contextOf(played.host, actual, model),
    note: {
      transactions: plan.firewall.length,
      skipped: played.skipped,
      dockerChanges,
      failed: played.failed.map((f) => `${f.namespace} ${f.table}: ${f.error}`),
    },
  }
}

/** Runs a question, turning the evaluator's input errors into errors for people. */
export function ask(context: ExplainContext, question: Question): Answer {
  try {
    return answerQuestion(context.explainer, context.resolver, question)
  } catch (err) {
    if (err instanceof ExplainInputError) throw new AbortError(err.message)
    throw err
  }
}

/**
 * The configuration's assertions against the host as the plan would leave it and as it is
 * now: one read of every namespace, two hosts to ask. Empty without assertions (and then
 * nothing is read).
 */
export async function assertionsFor(
  model: DesiredModel,
  plan: Plan,
  actual: ActualModel,
  host: NetnsTarget,
  hostSaves?: HostSaves,
): Promise<AssertionResult[]> {
  // A plan file written before assertions existed has none.
  const asserts = model.asserts ?? []
  if (asserts.length === 0) return []
  const explainHost = await readExplainHost(actual, host, hostSaves)
  const now = contextOf(explainHost, actual, model)
  const {context: planned} = plannedContext(explainHost, plan, actual, model)
  return checkAssertions(asserts, planned, now)
}
