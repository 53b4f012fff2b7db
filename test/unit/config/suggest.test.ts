import {describe, expect, it} from 'vitest'

import {closest, didYouMean, levenshtein} from '../../../src/config/suggest.js'

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and transpositions as one edit each', () => {
    expect(levenshtein('proto', 'proto')).toBe(0)
    expect(levenshtein('prot', 'proto')).toBe(1)
    expect(levenshtein('prot', 'port')).toBe(1)
    expect(levenshtein('acept', 'accept')).toBe(1)
    expect(levenshtein('kitten', 'sitting')).toBe(3)
    expect(levenshtein('', 'abc')).toBe(3)
  })

  it('suggests the nearest candidate only when it is a plausible typo', () => {
    expect(closest('gatway', ['gateway', 'subnet', 'ip_range'])).toBe('gateway')
    expect(closest('frontnd', ['frontend', 'backend'])).toBe('frontend')
    expect(closest('Subnet', ['subnet'])).toBe('subnet')
    expect(closest('xyz', ['subnet', 'gateway'])).toBeUndefined()
    expect(closest('proto', ['proto'])).toBeUndefined() // an exact match is not a suggestion
  })

  it('renders the hint', () => {
    expect(didYouMean('lbb', ['lb', 'web'], (s) => `container.${s}`)).toBe('; did you mean container.lb?')
    expect(didYouMean('zzz', ['lb'])).toBe('')
  })
})

describe('did you mean, ties', () => {
  it('prefers a candidate that extends the word', () => {
    expect(closest('prot', ['port', 'proto'])).toBe('proto')
  })
})
