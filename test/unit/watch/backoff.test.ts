import {describe, expect, it} from 'vitest'

import {Backoff} from '../../../src/watch/backoff.js'

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const b = new Backoff({initialMs: 250, maxMs: 5000})
    expect(Array.from({length: 8}, () => b.next())).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000])
    expect(b.attempts).toBe(8)
  })

  it('starts over after reset()', () => {
    const b = new Backoff({initialMs: 100, maxMs: 1000, factor: 3})
    expect([b.next(), b.next()]).toEqual([100, 300])
    b.reset()
    expect(b.attempts).toBe(0)
    expect([b.next(), b.next(), b.next()]).toEqual([100, 300, 900])
  })

  it('refuses nonsense bounds', () => {
    expect(() => new Backoff({initialMs: 0, maxMs: 10})).toThrow(/invalid backoff/)
    expect(() => new Backoff({initialMs: 100, maxMs: 10})).toThrow(/invalid backoff/)
  })
})
