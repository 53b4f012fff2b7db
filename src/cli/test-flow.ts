// How `dockwall test` reports: plans as `dockwall plan` does (the assertions are checked
// inside the pipeline, src/services/prepare.ts), prints each assertion's result and,
// for a failing one, the path its packets take; the exit code says whether all pass.
// With --rehearse, the assertions are then tried with real packets in a scratch copy of
// the host (src/services/rehearse.ts) and shown beside what explain predicted.
import {ExitCode} from './exit-codes.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'
import {preparePlan, throwPlanErrors} from '../services/prepare.js'
import type {HostPicture, RehearsalReport} from '../services/rehearse.js'
import {openSession} from '../services/session.js'
import {assertionsJson, assertionSummary, renderAssertionsText} from '../ui/index.js'

export interface TestFlags extends SharedFlags {
  json: boolean
  rehearse?: boolean
}

export interface TestFlowIO {
  log: (line: string) => void
  warn: (line: string) => void
}

/** 0 when every assertion passes (or there is none), 1 when one fails. */
export async function runTest(flags: TestFlags, io: TestFlowIO): Promise<number> {
  const session = await openSession(sessionOptions(flags, 'test', io.warn))
  let picture: HostPicture
  // Loaded only for --rehearse: the sandbox machinery and dockerode stay out of a plain test.
  const rehearsal = flags.rehearse ? await import('../services/rehearse.js') : undefined
  try {
    if ((session.model.asserts ?? []).length === 0) {
      if (flags.json) process.stdout.write(`${JSON.stringify({assertions: [], pass: true}, null, 2)}\n`)
      else io.log('No assert blocks in the configuration: nothing to test.')
      return ExitCode.Ok
    }
    const prepared = await preparePlan(session, {mode: 'normal', targets: []})
    throwPlanErrors(prepared)
    const results = prepared.assertions
    if (!rehearsal) {
      const pass = results.every((r) => r.planned.pass)
      if (flags.json) process.stdout.write(`${JSON.stringify({pass, assertions: assertionsJson(results)}, null, 2)}\n`)
      else {
        process.stdout.write(renderAssertionsText(results, {paths: true, heading: 'Assertions on the host as planned'}))
        io.log(`\n${assertionSummary(results)}.`)
      }
      return pass ? ExitCode.Ok : ExitCode.Error
    }
    picture = await rehearsal.readHostPicture(session, prepared)
  } finally {
    // The host's state lock is not held through a rehearsal: it changes nothing on the host.
    await session.close()
  }
  const report = await rehearsal.rehearse(picture, {progress: (l) => (flags.json ? undefined : io.log(l))})
  if (flags.json) process.stdout.write(`${JSON.stringify(rehearsalJson(report), null, 2)}\n`)
  else process.stdout.write(renderRehearsal(report))
  return report.pass ? ExitCode.Ok : ExitCode.Error
}

function predictedText(o: RehearsalReport['assertions'][number]['predicted']): string {
  return o.kind === 'answered' ? o.verdict : 'cannot be answered'
}

/** Each assertion: pass/FAIL by the real packets, beside explain's prediction; then what was not reproduced. */
export function renderRehearsal(r: RehearsalReport): string {
  const out: string[] = [
    '',
    `Assertions rehearsed with real packets (${r.engine}; ${r.networks} networks, ${r.containers} stand-in containers, the plan applied):`,
  ]
  for (const a of r.assertions) {
    const got = a.verdict ?? 'not rehearsed'
    out.push(
      `  ${a.pass ? 'pass' : 'FAIL'} ${a.address}: ${a.question}: predicted ${predictedText(a.predicted)}, rehearsed ${got}${a.pass ? '' : `, expected ${a.expect}`}${a.verdict && !a.agrees ? ' (the prediction was wrong)' : ''}`,
    )
    if (a.predicted.kind === 'error') out.push(`       ${a.predicted.error}`)
    for (const f of a.flows) {
      const what = f.notTried
        ? `not tried: ${f.notTried}`
        : f.connected
          ? `connected${f.answeredBy ? ` (${f.answeredBy} answered)` : ''}`
          : 'no connection'
      out.push(`       ${f.from} -> ${f.to}: ${what}`)
    }
  }
  if (r.notReproduced.length > 0) {
    out.push('', 'Not reproduced in the rehearsal:')
    for (const n of r.notReproduced) out.push(`  - ${n}`)
  }
  const failing = r.assertions.filter((a) => !a.pass).length
  const disagree = r.assertions.filter((a) => a.verdict !== undefined && !a.agrees).length
  out.push(
    '',
    `${r.assertions.length} assertion${r.assertions.length === 1 ? '' : 's'} rehearsed: ${r.assertions.length - failing} pass${failing ? `, ${failing} fail${failing === 1 ? 's' : ''}` : ''}; the prediction ${disagree === 0 ? 'agrees with every one rehearsed' : `differs on ${disagree}`}.`,
  )
  return `${out.join('\n')}\n`
}

export function rehearsalJson(r: RehearsalReport): object {
  return {
    pass: r.pass,
    rehearsal: {engine: r.engine, host_engine: r.hostEngine, networks: r.networks, containers: r.containers},
    assertions: r.assertions.map((a) => ({
      address: a.address,
      question: a.question,
      expect: a.expect,
      pass: a.pass,
      predicted: a.predicted.kind === 'answered' ? a.predicted.verdict : null,
      rehearsed: a.verdict ?? null,
      agrees: a.agrees,
      flows: a.flows.map((f) => ({
        from: f.from,
        to: f.to,
        connected: f.connected,
        ...(f.answeredBy ? {answered_by: f.answeredBy} : {}),
        ...(f.notTried ? {not_tried: f.notTried} : {}),
      })),
    })),
    not_reproduced: r.notReproduced,
  }
}
