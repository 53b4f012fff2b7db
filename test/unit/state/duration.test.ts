import {describe, expect, it} from 'vitest'

import {formatDuration, parseDuration} from '../../../src/state/duration.js'

describe('durations', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    [' 2s ', 2000],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '30', 's', '5 m', '1d', '-5s', '5s junk', '1.s'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(
      /^invalid duration .*: use a number with a unit, like 30s, 5m, 1h30m or 500ms \(0 for no wait\)$/,
    )
  })

  it.each([
    [0, '0s'],
    [300, '300ms'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toBe(ms)
  })
})
