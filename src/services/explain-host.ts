// The explain evaluator's view of the host, shared by `dockwall explain` and the
// assertions the pipeline checks (plan, apply, test, watch): every running container's
// namespace and the host's read in full (namespace-dump.ts), the names Docker and the
// configuration give them, and the same host with a plan's firewall transactions played.
import {readDockerProxies} from '../docker/proxies.js'
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
  type Answer,
  type ExplainHost,
  type NamespaceDump,
  type PlannedTransaction,
  type Question,
} from '../explain/index.js'
import type {DesiredModel} from '../model/types.js'
import type {FirewallTransaction, Plan} from '../plan/types.js'
import type {HostSaves} from '../refresh/host-dump.js'
import type {ActualModel} from '../refresh/types.js'
import type {NetnsTarget} from '../util/exec.js'
import {mapLimit} from '../util/pool.js'
import {readNamespaceDump} from './namespace-dump.js'

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

/** Every running container's namespace and the host's, read in full. */
export async function readExplainHost(
  actual: ActualModel,
  host: NetnsTarget,
  hostSaves?: HostSaves,
): Promise<ExplainHost> {
  const hostNs = actual.namespaces.find((n) => n.key === 'host')
  if (!hostNs) throw new Error('refresh returned no host namespace')
  const backendOf = new Map(actual.namespaces.flatMap((n) => (n.container ? [[n.container.name, n.backend]] : [])))
  const targets: Array<{id: string; target: NetnsTarget; backend: typeof hostNs.backend}> = [
    {id: 'host', target: host, backend: hostNs.backend},
  ]
  for (const c of actual.docker.containers)
    if (c.status === 'running' && c.pid)
      // Docker writes a container's rules (its DNS) with the host's iptables: the same backend unless refresh found another.
      targets.push({
        id: `container.${c.name}`,
        target: {kind: 'pid', pid: c.pid},
        backend: backendOf.get(c.name) ?? hostNs.backend,
      })
  const read = await mapLimit(targets, READ_CONCURRENCY, async (t): Promise<NamespaceDump | undefined> => {
    try {
      const known = t.id === 'host' && hostSaves?.family === 'ipv4' ? hostSaves.saves[t.backend] : undefined
      return await readNamespaceDump(t.id, t.target, t.backend, known !== undefined ? {ipv4Save: known} : {})
    } catch (err) {
      // A container that stopped meanwhile: left out (a question about it says it cannot be read).
      if (t.id === 'host') throw err
      return undefined
    }
  })
  return hostFromDumps({
    namespaces: read.filter((d): d is NamespaceDump => d !== undefined),
    proxies: readDockerProxies(host),
    dockerBridges: actual.docker.networks
      .filter((n) => n.driver === 'bridge')
      .map(bridgeName)
      .sort(),
  })
}

export function contextOf(host: ExplainHost, actual: ActualModel, model: DesiredModel | null): ExplainContext {
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
