import {describe, expect, it} from 'vitest'

import type {AssertionResult} from '../../../src/explain/index.js'
import {AssertionWatch} from '../../../src/watch/assertions.js'

function results(pass: Record<string, boolean>): AssertionResult[] {
  return Object.entries(pass).map(([address, ok]) => ({
    address,
    expect: 'allow',
    at: {file: 'main.hcl', line: 1, column: 1},
    question: 'a -> b tcp/80',
    planned: ok
      ? {kind: 'answered', verdict: 'allow', pass: true, answer: {verdict: 'allow', flows: []}}
      : {kind: 'error', pass: false, error: 'container b is not running'},
  }))
}

describe('AssertionWatch', () => {
  it('reports what fails, what turned false and what holds again, reconciliation after reconciliation', () => {
    const w = new AssertionWatch()
    // The first reconciliation: every failing one has turned false (nobody was told yet).
    expect(w.update(results({'assert.a': true, 'assert.b': false}))).toEqual({
      failing: ['assert.b'],
      turnedFalse: ['assert.b'],
      turnedTrue: [],
    })
    // Still failing: not news.
    expect(w.update(results({'assert.a': true, 'assert.b': false}))?.turnedFalse).toEqual([])
    expect(w.update(results({'assert.a': false, 'assert.b': true}))).toEqual({
      failing: ['assert.a'],
      turnedFalse: ['assert.a'],
      turnedTrue: ['assert.b'],
    })
    // No assertions: nothing to say, and a later one starts afresh.
    expect(w.update([])).toBeUndefined()
    expect(w.update(results({'assert.a': false}))?.turnedFalse).toEqual(['assert.a'])
  })
})
