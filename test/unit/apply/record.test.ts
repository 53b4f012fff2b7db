// What the state records for a change that completed (src/apply/record.ts).
import {describe, expect, it} from 'vitest'

import {recordChange} from '../../../src/apply/record.js'
import type {RuleLine, StateResource} from '../../../src/model/resources.js'
import type {Change} from '../../../src/plan/types.js'

const line: RuleLine = {
  namespace: 'host',
  family: 'ipv4',
  table: 'filter',
  chain: 'DOCKWALL-FORWARD',
  spec: '-j ACCEPT',
}

const prior: StateResource = Object.freeze({
  address: 'rule.web',
  type: 'rule',
  ids: {},
  attributes: {ports: [80], proto: 'tcp'},
  lines: [line],
})

const noop = (attributes: StateResource['attributes'], spec = '-j ACCEPT'): Change => ({
  address: 'rule.web',
  type: 'rule',
  action: 'no-op',
  before: prior.attributes,
  after: attributes,
  reasons: [],
  dependsOn: [],
  lines: {before: [line], after: [{...line, spec}]},
})

describe('recordChange', () => {
  it('keeps the record already there when the change records the same thing', () => {
    // Kept, not replaced by an equal copy: the state remembers its encoding (a save of
    // 20,000 rules then encodes only those that changed).
    const resources = new Map([[prior.address, prior]])
    recordChange(resources, noop({proto: 'tcp', ports: [80]}))
    expect(resources.get('rule.web')).toBe(prior)
  })

  it('replaces it when anything recorded differs', () => {
    const resources = new Map([[prior.address, prior]])
    recordChange(resources, noop({proto: 'tcp', ports: [443]}))
    expect(resources.get('rule.web')?.attributes).toEqual({proto: 'tcp', ports: [443]})
    resources.set(prior.address, prior)
    recordChange(resources, noop({proto: 'tcp', ports: [80]}, '-j DROP'))
    expect(resources.get('rule.web')?.lines?.[0]?.spec).toBe('-j DROP')
  })
})
