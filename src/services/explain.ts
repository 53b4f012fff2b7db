// `dockwall explain`: reads the host through the pipeline (refresh, or with --planned the
// plan too), then every namespace's full dumps (src/services/host-dump.ts), builds the
// evaluator's host description and answers the question over each flow it stands for.
// Without --planned it takes no lock and needs no configuration (as show does); with
// --planned it plans as `dockwall plan` does, under the state lock.
import {AbortError} from '../errors.js'
import {readDockerProxies} from '../docker/proxies.js'
import {
  answerQuestion,
  bridgeName,
  directoryFrom,
  EndpointResolver,
  ExplainInputError,
  Explainer,
  hostFromDumps,
  plannedHost,
  PlannedRestoreError,
  type Answer,
  type ExplainHost,
  type NamespaceDump,
  type PlannedTransaction,
  type Question,
} from '../explain/index.js'
import type {DesiredModel} from '../model/types.js'
import type {FirewallTransaction, Plan} from '../plan/types.js'
import type {ActualModel} from '../refresh/types.js'
import type {NetnsTarget} from '../util/exec.js'
import {mapLimit} from '../util/pool.js'
import {readNamespaceDump} from './host-dump.js'
import {preparePlan, throwPlanErrors} from './pipeline.js'
import {refreshSession} from './refresh.js'
import {openSession, type SessionSettings} from './session.js'
import {readShowContext} from './show.js'
import {connectHost} from './session.js'

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
}

export interface ExplainOutcome extends Answer {
  planned?: PlannedNote
  warnings: string[]
}

/** Every running container's namespace and the host's, read in full. */
export async function readExplainHost(actual: ActualModel, host: NetnsTarget): Promise<ExplainHost> {
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
      return await readNamespaceDump(t.id, t.target, t.backend)
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

function contextOf(host: ExplainHost, actual: ActualModel, model: DesiredModel | null): ExplainContext {
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
  let played: ReturnType<typeof plannedHost>
  try {
    played = plannedHost(explainHost, plannedTransactions(plan, actual))
  } catch (err) {
    if (err instanceof PlannedRestoreError)
      throw new AbortError(`the plan's iptables input does not fit the rules read: ${err.message}`)
    throw err
  }
  const dockerChanges = plan.changes.filter(
    (c) => (c.type === 'network' || c.type === 'attachment') && c.action !== 'no-op',
  ).length
  return {
    context: contextOf(played.host, actual, model),
    note: {transactions: plan.firewall.length, skipped: played.skipped, dockerChanges},
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

export interface ExplainRequest {
  question: Question
  planned: boolean
  settings: SessionSettings
  warn: (message: string) => void
}

export async function runExplain(req: ExplainRequest): Promise<ExplainOutcome> {
  const warnings: string[] = []
  if (!req.planned) {
    const ctx = await readShowContext(req.settings, req.warn)
    const {docker, host} = await connectHost(req.settings)
    const {actual, diagnostics} = await refreshSession(
      {
        docker,
        host,
        backend: req.settings.backend ?? ctx.model?.settings.backend ?? 'auto',
        model: ctx.model,
        state: ctx.state,
      },
      {inspectAll: true},
    )
    warnings.push(...diagnostics.map((d) => d.summary))
    const context = contextOf(await readExplainHost(actual, host), actual, ctx.model)
    return {...ask(context, req.question), warnings}
  }
  const session = await openSession({...req.settings, operation: 'explain --planned', warn: req.warn})
  try {
    const prepared = await preparePlan(session, {mode: 'normal', targets: []}, {inspectAll: true})
    throwPlanErrors(prepared)
    warnings.push(...prepared.plan.warnings.filter((w) => w.severity === 'warning').map((w) => w.summary))
    const explainHost = await readExplainHost(prepared.actual, session.host)
    const {context, note} = plannedContext(explainHost, prepared.plan, prepared.actual, session.model)
    return {...ask(context, req.question), planned: note, warnings}
  } finally {
    await session.close()
  }
}
