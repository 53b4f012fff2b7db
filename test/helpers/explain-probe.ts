// Compares the explain evaluator with real packets in a sandbox: for each (source,
// destination, port) the evaluator's verdict on the host as read (test/capture/
// read-host.ts) against a real `nc` connection, and, when both say allow, whether the
// container that answered is the one the evaluator says the connection reaches.
import {Explainer, hostFromDumps, type ExplainResult, type Query} from '../../src/explain/index.js'
import {ExternalError} from '../../src/errors.js'
import {run, type NetnsTarget} from '../../src/util/exec.js'
import {mapLimit} from '../../src/util/pool.js'
import {readSandboxHost, type SandboxDump} from '../capture/read-host.js'
import type {ExternalClient, Sandbox} from '../sandbox/index.js'

export type ProbeSource = {kind: 'container'; name: string} | {kind: 'client'; client: ExternalClient} | {kind: 'host'}

export interface ProbeCase {
  from: ProbeSource
  to: string
  port: number
}

export interface ProbeOutcome {
  case: ProbeCase
  label: string
  predicted: ExplainResult
  /** Where the evaluator says the connection ends: `container.web:80`, or undefined. */
  predictedEnd?: string
  ok: boolean
  /** `container.web:80` from the listener's answer (`dockwall-ok web 80`). */
  answeredBy?: string
  agree: boolean
}

export function sourceLabel(s: ProbeSource): string {
  return s.kind === 'container' ? s.name : s.kind === 'client' ? `client(${s.client.ifname})` : 'host'
}

function query(c: ProbeCase): Query {
  const from: Query['from'] =
    c.from.kind === 'container'
      ? {kind: 'namespace', namespace: `container.${c.from.name}`}
      : c.from.kind === 'client'
        ? {kind: 'namespace', namespace: `client.${c.from.client.ifname}`}
        : {kind: 'namespace', namespace: 'host'}
  return {from, to: c.to, proto: 'tcp', port: c.port}
}

/** Where an allowed connection ends, following proxies. */
export function endOf(r: ExplainResult): string | undefined {
  if (r.relay) return endOf(r.relay)
  const o = r.traces[0]?.outcome
  return o?.kind === 'delivered' ? `${o.namespace}:${o.port ?? ''}` : undefined
}

const BUSYBOX = '/bin/busybox'

/**
 * busybox nc run straight in a namespace (nsenter): the same packets as from inside the
 * container, without the cost of a `docker exec` per probe.
 */
async function connectIn(netns: NetnsTarget, ip: string, port: number, timeoutSec: number): Promise<string> {
  try {
    const r = await run(BUSYBOX, ['nc', '-w', String(timeoutSec), ip, String(port)], {
      netns,
      input: '',
      okExitCodes: [1],
      timeoutMs: (timeoutSec + 5) * 1000,
    })
    return r.stdout.trim()
  } catch (error) {
    // nc waits past -w when a docker-proxy accepts and then cannot connect onward: no answer.
    if (error instanceof ExternalError && /timed out/.test(error.message)) return ''
    throw error
  }
}

/**
 * Starts a listener on every port in every running container, reads the host, and runs
 * the probes `concurrency` at a time. Each probe waits at most `timeoutSec` for an answer.
 */
export async function probeMatrix(
  sb: Sandbox,
  cases: readonly ProbeCase[],
  opts: {clients?: readonly ExternalClient[]; timeoutSec?: number; concurrency?: number} = {},
): Promise<{outcomes: ProbeOutcome[]; dump: SandboxDump; timings: Record<string, number>}> {
  const timeoutSec = opts.timeoutSec ?? 3
  const t0 = performance.now()
  const ports = [...new Set(cases.map((c) => c.port))]
  // Listeners on every port of every container: a DNAT or a proxy may lead anywhere. Started
  // before the host is read, so the evaluator knows which sockets listen.
  const names = (await sb.docker.listContainers()).map((c) => c.Names[0]!.replace(/^\//, ''))
  const pairs = names.flatMap((name) => ports.map((p) => [name, p] as const))
  await mapLimit(pairs, 8, ([name, p]) => sb.listen(name, p))
  const t1 = performance.now()
  const dump = await readSandboxHost(sb, opts.clients ?? [])
  const t2 = performance.now()
  const explainer = new Explainer(hostFromDumps(dump))
  const pids = new Map<string, number>()
  for (const name of Object.keys(dump.containers)) pids.set(name, await sb.containerPid(name))
  const outcomes = await mapLimit(cases, opts.concurrency ?? 24, async (c) => {
    const predicted = explainer.explain(query(c))
    const netns: NetnsTarget =
      c.from.kind === 'container'
        ? {kind: 'pid', pid: pids.get(c.from.name)!}
        : {kind: 'path', path: c.from.kind === 'client' ? c.from.client.netnsPath : sb.netnsPath}
    const reply = await connectIn(netns, c.to, c.port, timeoutSec)
    const m = /^dockwall-ok (\S+) (\d+)/.exec(reply)
    const ok = m !== null
    const answeredBy = m ? `container.${m[1]}:${m[2]}` : undefined
    const predictedEnd = predicted.verdict === 'allow' ? endOf(predicted) : undefined
    const agree = (predicted.verdict === 'allow') === ok && (!ok || predictedEnd === answeredBy)
    const out: ProbeOutcome = {
      case: c,
      label: `${sourceLabel(c.from)} -> ${c.to}:${c.port}`,
      predicted,
      ok,
      agree,
    }
    if (predictedEnd !== undefined) out.predictedEnd = predictedEnd
    if (answeredBy !== undefined) out.answeredBy = answeredBy
    return out
  })
  const t3 = performance.now()
  return {outcomes, dump, timings: {listenMs: t1 - t0, readMs: t2 - t1, probeMs: t3 - t2}}
}

export function describeDisagreement(o: ProbeOutcome): string {
  return `${o.label}: explain says ${o.predicted.verdict}${o.predictedEnd ? ` (${o.predictedEnd})` : ''}, the probe ${
    o.ok ? `connected (${o.answeredBy})` : 'did not connect'
  }\n    ${o.predicted.summary}`
}
