// How `dockwall test` reports: plans as `dockwall plan` does (the assertions are checked
// inside the pipeline, src/services/pipeline.ts), prints each assertion's result and,
// for a failing one, the path its packets take; the exit code says whether all pass.
import {ExitCode} from './exit-codes.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'
import {preparePlan, throwPlanErrors} from '../services/pipeline.js'
import {openSession} from '../services/session.js'
import {assertionsJson, assertionSummary, renderAssertionsText} from '../ui/index.js'

export interface TestFlags extends SharedFlags {
  json: boolean
}

export interface TestFlowIO {
  log: (line: string) => void
  warn: (line: string) => void
}

/** 0 when every assertion passes (or there is none), 1 when one fails. */
export async function runTest(flags: TestFlags, io: TestFlowIO): Promise<number> {
  const session = await openSession(sessionOptions(flags, 'test', io.warn))
  try {
    if ((session.model.asserts ?? []).length === 0) {
      if (flags.json) process.stdout.write(`${JSON.stringify({assertions: [], pass: true}, null, 2)}\n`)
      else io.log('No assert blocks in the configuration: nothing to test.')
      return ExitCode.Ok
    }
    const prepared = await preparePlan(session, {mode: 'normal', targets: []})
    throwPlanErrors(prepared)
    const results = prepared.assertions
    const pass = results.every((r) => r.planned.pass)
    if (flags.json) process.stdout.write(`${JSON.stringify({pass, assertions: assertionsJson(results)}, null, 2)}\n`)
    else {
      process.stdout.write(renderAssertionsText(results, {paths: true, heading: 'Assertions on the host as planned'}))
      io.log(`\n${assertionSummary(results)}.`)
    }
    return pass ? ExitCode.Ok : ExitCode.Error
  } finally {
    await session.close()
  }
}
