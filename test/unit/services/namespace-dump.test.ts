import {describe, expect, it} from 'vitest'

import {parseSysctl, splitJsonDocuments} from '../../../src/services/namespace-dump.js'

describe('splitJsonDocuments', () => {
  it('splits what `ip -j -batch` prints, brackets inside strings included', () => {
    const text = '[{"a":"]["}][]\n[{"b":[1,2],"c":"x\\"]"}]\n'
    expect(splitJsonDocuments(text).map((d) => JSON.parse(d) as unknown)).toEqual([
      [{a: ']['}],
      [],
      [{b: [1, 2], c: 'x"]'}],
    ])
  })
})

describe('parseSysctl', () => {
  it('reads `key = value` lines; a key sysctl -e left out is absent', () => {
    const m = parseSysctl('net.bridge.bridge-nf-call-iptables = 1\n')
    expect(m.get('net.bridge.bridge-nf-call-iptables')).toBe('1')
    expect(m.has('net.bridge.bridge-nf-call-ip6tables')).toBe(false)
  })
})
