import {describe, expect, it} from 'vitest'

import {plainText, seg, toAnsi, truncateLine, wrapLine} from '../../../src/ui/styled.js'

describe('truncateLine', () => {
  it('cuts at the width with an ellipsis, keeping styles', () => {
    const line = [seg('abc', {color: 'green'}), seg('defgh')]
    expect(plainText(truncateLine(line, 8))).toBe('abcdefgh')
    expect(truncateLine(line, 5)).toEqual([seg('abc', {color: 'green'}), seg('d…')])
    expect(plainText(truncateLine(line, 1))).toBe('…')
    expect(truncateLine(line, 0)).toEqual([])
  })
})

describe('wrapLine', () => {
  it('breaks at spaces with a hanging indent and loses nothing', () => {
    const spec = '-A DOCKWALL-FORWARD -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -j ACCEPT'
    const rows = wrapLine([seg('+ ', {color: 'green'}), seg(spec)], 40, 4).map(plainText)
    expect(rows).toEqual([
      '+ -A DOCKWALL-FORWARD -d 172.18.103.2/32',
      '    -p tcp -m multiport --dports 80,443',
      '    -j ACCEPT',
    ])
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(40)
    expect(rows.join(' ').replace(/\s+/g, ' ')).toBe(`+ ${spec}`)
  })

  it('splits a word longer than a line', () => {
    expect(wrapLine([seg('x'.repeat(25))], 10, 2).map(plainText)).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx'])
  })
})

describe('toAnsi', () => {
  it('emits codes only with color', () => {
    const line = [seg('Plan:', {bold: true}), seg(' 1 to add', {color: 'green', dim: true})]
    expect(toAnsi(line, false)).toBe('Plan: 1 to add')
    expect(toAnsi(line, true)).toBe('\u001B[1mPlan:\u001B[0m\u001B[2;32m 1 to add\u001B[0m')
  })
})
