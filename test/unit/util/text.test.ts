// Orders and counts without ICU (src/util/text.ts): the same results as the locale-free
// reading of localeCompare and toLocaleString('en-US') where dockwall used them.
import {describe, expect, it} from 'vitest'

import {compareText, grouped} from '../../../src/util/text.js'

describe('grouped', () => {
  it("prints what toLocaleString('en-US') prints, for every digit count", () => {
    const values = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10_000, 19_997, 100_000, 999_999, 1_000_000]
    for (let d = 0; d < 16; d++) values.push(10 ** d - 1, 10 ** d, 7 * 10 ** d + 3)
    for (const n of values) expect(grouped(n)).toBe(n.toLocaleString('en-US'))
  })

  it('leaves anything but a non-negative safe integer to toLocaleString', () => {
    expect(grouped(-1234)).toBe('-1,234')
    expect(grouped(1234.5)).toBe('1,234.5')
  })
})

describe('compareText', () => {
  it('orders by code units, whatever the locale: upper case and `-` before `_` and lower case', () => {
    const names = ['web', 'DOCKER_OUTPUT', 'DOCKER-CT', 'Web', 'db-2', 'db_1', 'DOCKER']
    expect([...names].sort(compareText)).toEqual(['DOCKER', 'DOCKER-CT', 'DOCKER_OUTPUT', 'Web', 'db-2', 'db_1', 'web'])
    expect(compareText('a', 'a')).toBe(0)
  })
})
