// The configuration's assertions as plan, apply and `dockwall test` show them: one line
// each (pass or FAIL, the question, the verdict), the deciding rule under a failing one,
// and for `dockwall test` the whole path of a failing one's packets. The JSON form is
// the same data.
import type {AssertionOutcome, AssertionResult} from '../explain/index.js'
import {decisionLines, flowLines} from './explain-text.js'

function where(r: AssertionResult): string {
  return `${r.at.file}:${r.at.line}`
}

function outcomeText(o: AssertionOutcome): string {
  return o.kind === 'error' ? `cannot be answered: ${o.error}` : o.verdict
}

export function assertionSummary(results: readonly AssertionResult[]): string {
  const failing = results.filter((r) => !r.planned.pass).length
  const passing = results.length - failing
  return `${results.length} assertion${results.length === 1 ? '' : 's'}: ${passing} pass${failing > 0 ? `, ${failing} fail${failing === 1 ? 's' : ''}` : ''}`
}

/**
 * One line per assertion, the deciding rule under each failing one; `paths`: the failing
 * ones' full explain output too (`dockwall test`).
 */
export function renderAssertionsText(
  results: readonly AssertionResult[],
  opts: {paths?: boolean; heading?: string} = {},
): string {
  if (results.length === 0) return ''
  const out: string[] = [
    `${opts.heading ?? 'Assertions (on the host as planned)'}: ${assertionSummary(results).split(': ')[1]}`,
  ]
  for (const r of results) {
    const p = r.planned
    const verdict = p.pass ? `${outcomeText(p)}, as expected` : `${outcomeText(p)}, expected ${r.expect}`
    out.push(`  ${p.pass ? 'pass' : 'FAIL'} ${r.address}: ${r.question}: ${verdict}${p.pass ? '' : ` (${where(r)})`}`)
    if (r.description && !p.pass) out.push(`       ${r.description}`)
    if (p.pass || p.kind !== 'answered') continue
    for (const f of p.answer.flows) {
      if (f.result.verdict === r.expect) continue
      if (opts.paths) {
        // The whole answer: who to whom, the deciding rule, each packet's path.
        out.push(...flowLines(f).map((l) => (l === '' ? '' : `       ${l}`)))
        continue
      }
      const many = p.answer.flows.length > 1
      const [decided, ...more] = decisionLines(f.result.decidedBy)
      out.push(`       ${many ? `${f.fromLabel} -> ${f.toLabel}: ` : ''}decided by ${decided}`)
      out.push(...more.map((l) => `       ${l}`))
    }
  }
  return `${out.join('\n')}\n`
}

function outcomeJson(o: AssertionOutcome): object {
  if (o.kind === 'error') return {pass: false, error: o.error}
  return {
    pass: o.pass,
    verdict: o.verdict,
    flows: o.answer.flows.map((f) => ({
      from: f.fromLabel,
      to: f.toLabel,
      verdict: f.result.verdict,
      summary: f.result.summary,
      decided_by: f.result.decidedBy,
    })),
  }
}

/** The `assertions` array of `plan --json` and `test --json`. */
export function assertionsJson(results: readonly AssertionResult[]): object[] {
  return results.map((r) => ({
    address: r.address,
    question: r.question,
    expect: r.expect,
    ...(r.description !== undefined ? {description: r.description} : {}),
    file: r.at.file,
    line: r.at.line,
    ...outcomeJson(r.planned),
    ...(r.now ? {now: outcomeJson(r.now)} : {}),
  }))
}
