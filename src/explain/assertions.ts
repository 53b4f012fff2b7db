// The configuration's `assert` blocks, answered by the evaluator: each is a question
// (from, to, proto, port) with the verdict it must get. `dockwall test`, plan, apply
// and watch check them against the host as the plan would leave it (and as it is now,
// so watch can tell a plan that breaks an assertion from a host that already did).
import type {AssertEndpoint, AssertExpect, AssertSpec, SourcePos} from '../model/types.js'
import type {EndpointResolver, EndpointSpec} from './endpoints.js'
import type {Explainer} from './evaluate.js'
import {ExplainInputError} from './net.js'
import {answerQuestion, type Answer, type AnswerVerdict, type Question} from './question.js'

/** One assertion against one host: the answer, or why there is none (a container that is not running...). */
export type AssertionOutcome =
  | {kind: 'answered'; verdict: AnswerVerdict; pass: boolean; answer: Answer}
  | {kind: 'error'; pass: false; error: string}

export interface AssertionResult {
  address: string
  expect: AssertExpect
  description?: string
  at: SourcePos
  /** The question as the configuration asks it, for people: `container.db -> container.web tcp/80`. */
  question: string
  /** Against the host as the plan would leave it: what plan, apply and test judge. */
  planned: AssertionOutcome
  /** Against the host as it is (when asked for): watch tells a plan that breaks it from a host that did. */
  now?: AssertionOutcome
}

export interface AssertionHost {
  explainer: Explainer
  resolver: EndpointResolver
}

export function endpointSpecOf(e: AssertEndpoint): EndpointSpec {
  switch (e.kind) {
    case 'container':
      return {kind: 'container', name: e.container}
    case 'network':
      return {kind: 'network', name: e.network}
    case 'host':
      return {kind: 'host'}
    case 'external':
      return {kind: 'external', interface: e.interface}
    case 'cidr':
      return {kind: 'address', text: endpointText(e)}
  }
}

export function endpointText(e: AssertEndpoint): string {
  switch (e.kind) {
    case 'container':
      return `container.${e.container}`
    case 'network':
      return `network.${e.network}`
    case 'host':
      return 'host'
    case 'external':
      return `external:${e.interface}`
    case 'cidr': {
      const host = e.family === 'ipv4' ? '/32' : '/128'
      return e.cidr.endsWith(host) ? e.cidr.slice(0, -host.length) : e.cidr
    }
  }
}

export function questionOfAssert(a: AssertSpec): Question {
  const q: Question = {from: endpointSpecOf(a.from), to: endpointSpecOf(a.to), proto: a.proto}
  if (a.port !== undefined) q.port = a.port
  if (a.inInterface !== undefined) q.inInterface = a.inInterface
  return q
}

export function questionText(a: AssertSpec): string {
  return `${endpointText(a.from)} -> ${endpointText(a.to)} ${a.proto}${a.port !== undefined ? `/${a.port}` : ''}${a.inInterface ? ` in on ${a.inInterface}` : ''}`
}

function outcomeOf(host: AssertionHost, a: AssertSpec): AssertionOutcome {
  try {
    const answer = answerQuestion(host.explainer, host.resolver, questionOfAssert(a))
    return {kind: 'answered', verdict: answer.verdict, pass: answer.verdict === a.expect, answer}
  } catch (err) {
    if (err instanceof ExplainInputError) return {kind: 'error', pass: false, error: err.message}
    throw err
  }
}

/** Every assertion against the planned host (and the current one, when given). */
export function checkAssertions(
  asserts: readonly AssertSpec[],
  planned: AssertionHost,
  now?: AssertionHost,
): AssertionResult[] {
  return asserts.map((a) => {
    const r: AssertionResult = {
      address: a.address,
      expect: a.expect,
      at: a.at,
      question: questionText(a),
      planned: outcomeOf(planned, a),
    }
    if (a.description !== undefined) r.description = a.description
    if (now) r.now = outcomeOf(now, a)
    return r
  })
}

export function failingAssertions(results: readonly AssertionResult[]): AssertionResult[] {
  return results.filter((r) => !r.planned.pass)
}

/** Failing as planned while holding now: the plan itself breaks them. */
export function brokenByPlan(results: readonly AssertionResult[]): AssertionResult[] {
  return results.filter((r) => !r.planned.pass && r.now?.pass === true)
}
