import {describe, expect, it} from 'vitest'

import {
  getResource,
  matchAddresses,
  newState,
  putResource,
  removeResources,
  similarAddresses,
} from '../../../src/state/resources.js'
import {network, rule, sampleState} from './helpers.js'

describe('state edits', () => {
  const state = sampleState([
    network('frontend'),
    rule('web'),
    {address: 'container.lb.network.frontend', type: 'attachment', ids: {}, attributes: {}},
    {address: 'container.lb.route["10.8.0.0/24"]', type: 'route', ids: {}, attributes: {}},
    {address: 'container.lbx.network.frontend', type: 'attachment', ids: {}, attributes: {}},
  ])

  it('starts a new state at serial 0 with a fresh lineage', () => {
    const a = newState('1.0.0')
    expect(a).toMatchObject({version: 1, serial: 0, dockwallVersion: '1.0.0', resources: []})
    expect(a.lineage).toMatch(/^[0-9a-f-]{36}$/)
    expect(newState('1.0.0').lineage).not.toBe(a.lineage)
  })

  it('puts resources in address order, replacing one with the same address', () => {
    const s = putResource(putResource(state, rule('aaa')), rule('web', {attributes: {x: 1}}))
    expect(s.resources.map((r) => r.address)).toEqual([...state.resources.map((r) => r.address), 'rule.aaa'].sort())
    expect(getResource(s, 'rule.web')?.attributes).toEqual({x: 1})
    expect(getResource(state, 'rule.web')?.attributes).not.toEqual({x: 1}) // the original is untouched
  })

  it('removes resources', () => {
    expect(removeResources(state, ['rule.web', 'nope']).resources.map((r) => r.address)).not.toContain('rule.web')
  })

  it('matches an exact address, or everything inside a prefix (not a longer name)', () => {
    expect(matchAddresses(state, 'rule.web')).toEqual(['rule.web'])
    expect(matchAddresses(state, 'container.lb')).toEqual([
      'container.lb.network.frontend',
      'container.lb.route["10.8.0.0/24"]',
    ])
    expect(matchAddresses(state, 'container.l')).toEqual([])
    expect(matchAddresses(state, 'rule')).toEqual(['rule.web'])
  })

  it('suggests close addresses for a typo', () => {
    expect(similarAddresses(state, 'rule.wbe')).toEqual(['rule.web'])
    expect(similarAddresses(state, 'network.fronted')).toEqual(['network.frontend'])
    expect(similarAddresses(state, 'zzzzzzzz')).toEqual([])
  })
})
