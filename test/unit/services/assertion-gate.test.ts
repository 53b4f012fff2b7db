// The pipeline's refusal of a plan whose assertions fail: apply refuses any failing one,
// watch only those the plan breaks (holding now); the error names each.
import {describe, expect, it} from 'vitest'

import {AssertionsFailedError} from '../../../src/errors.js'
import type {AssertionOutcome, AssertionResult} from '../../../src/explain/index.js'
import {throwFailingAssertions} from '../../../src/services/pipeline.js'
import type {PreparedPlan} from '../../../src/services/prepare.js'

// What the host as it is answers for an assertion that cannot be answered as planned: not read by the gate.
const notRead: AssertionOutcome = {kind: 'error', pass: false, error: 'not running'}
const answered = (verdict: 'allow' | 'deny', expect: 'allow' | 'deny'): AssertionOutcome =>
  // Only the verdict and pass are read by the gate; the answer itself is the evaluator's.
  ({kind: 'answered', verdict, pass: verdict === expect, answer: {verdict, flows: []}}) as AssertionOutcome

function result(address: string, expect: 'allow' | 'deny', planned: AssertionOutcome, now: AssertionOutcome) {
  return {
    address,
    expect,
    at: {file: 'main.hcl', line: 1, column: 1},
    question: 'q',
    planned,
    now,
  } satisfies AssertionResult
}

// The gate reads `assertions` only: the rest of a prepared plan does not matter here.
const prepared = (assertions: AssertionResult[]) => ({assertions}) as unknown as PreparedPlan

describe('throwFailingAssertions', () => {
  const holds = result('assert.holds', 'allow', answered('allow', 'allow'), answered('allow', 'allow'))
  const brokenByPlan = result('assert.broken', 'deny', answered('allow', 'deny'), answered('deny', 'deny'))
  const alreadyBroken = result('assert.already', 'allow', answered('deny', 'allow'), answered('deny', 'allow'))
  const unanswerable = result('assert.stopped', 'allow', {kind: 'error', pass: false, error: 'not running'}, notRead)

  it('passes a plan whose assertions all hold', () => {
    expect(() => throwFailingAssertions(prepared([holds]), 'failing')).not.toThrow()
    expect(() => throwFailingAssertions(prepared([]), 'failing')).not.toThrow()
  })

  it('failing (apply): refuses any that fails, naming each with what it got', () => {
    let err: unknown
    try {
      throwFailingAssertions(prepared([holds, brokenByPlan, alreadyBroken, unanswerable]), 'failing')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AssertionsFailedError)
    const e = err as AssertionsFailedError
    expect(e.addresses).toEqual(['assert.broken', 'assert.already', 'assert.stopped'])
    expect(e.message).toBe(
      '3 assertions fail on the host as the plan would leave it, so nothing was changed: ' +
        'assert.broken: expected deny, got allow; assert.already: expected allow, got deny; assert.stopped: not running',
    )
  })

  it('broken-by-plan (watch): only one that holds now and the plan breaks', () => {
    expect(() => throwFailingAssertions(prepared([holds, alreadyBroken, unanswerable]), 'broken-by-plan')).not.toThrow()
    expect(() => throwFailingAssertions(prepared([alreadyBroken, brokenByPlan]), 'broken-by-plan')).toThrow(
      'an assertion fails on the host as the plan would leave it (and holds now), so nothing was changed: assert.broken: expected deny, got allow',
    )
  })
})
