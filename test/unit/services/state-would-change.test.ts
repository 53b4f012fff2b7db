// Whether recording a plan's no-op changes would change the state file: `plan` reports
// "no changes" only when it would not. The field-by-field shortcut must agree with the
// encoding it stands in for.
import {describe, expect, it} from 'vitest'

import {sameStateResource, type RuleLine, type StateResource} from '../../../src/model/resources.js'
import type {Change} from '../../../src/plan/types.js'
import {stateWouldChange} from '../../../src/services/prepare.js'
import {STATE_VERSION, type State} from '../../../src/state/types.js'

const line = (spec: string): RuleLine => ({
  namespace: 'host',
  family: 'ipv4',
  table: 'filter',
  chain: 'DOCKWALL-FORWARD',
  spec,
})

const rule = (name: string, port: number, spec = `-p tcp --dport ${port} -j ACCEPT`): StateResource => ({
  address: `rule.${name}`,
  type: 'rule',
  ids: {},
  attributes: {proto: 'tcp', port, action: 'accept'},
  lines: [line(spec)],
})

/** The no-op change that records `r` as it is. */
const noop = (r: StateResource): Change => ({
  address: r.address,
  type: r.type,
  action: 'no-op',
  before: r.attributes,
  after: r.attributes,
  reasons: [],
  dependsOn: [],
  ids: r.ids,
  ...(r.lines ? {lines: {before: r.lines, after: r.lines}} : {}),
})

const state = (...resources: StateResource[]): State => ({
  version: STATE_VERSION,
  serial: 4,
  lineage: '6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11',
  dockwallVersion: '0.1.0',
  resources,
})

describe('stateWouldChange', () => {
  const a = rule('a', 80)
  const b = rule('b', 443)

  it('is false when every no-op records what the state holds (new objects, same values)', () => {
    const plan = {changes: [noop(rule('a', 80)), noop(rule('b', 443))]}
    expect(stateWouldChange({state: state(a, b)}, plan)).toBe(false)
  })

  it('is false when only the order of keys differs, as the encoding orders keys', () => {
    const reordered: StateResource = {...a, attributes: {action: 'accept', port: 80, proto: 'tcp'}}
    expect(sameStateResource(a, reordered)).toBe(true)
    expect(stateWouldChange({state: state(a, b)}, {changes: [noop(reordered), noop(b)]})).toBe(false)
  })

  it('is true when an attribute, a line or the origin differs, or a resource is new', () => {
    expect(stateWouldChange({state: state(a, b)}, {changes: [noop(rule('a', 81, a.lines![0]!.spec))]})).toBe(true)
    expect(
      stateWouldChange({state: state(a, b)}, {changes: [noop(rule('a', 80, '-p tcp --dport 8080 -j ACCEPT'))]}),
    ).toBe(true)
    expect(stateWouldChange({state: state(a, b)}, {changes: [{...noop(a), origin: 'adopted'}]})).toBe(true)
    expect(stateWouldChange({state: state(a)}, {changes: [noop(a), noop(b)]})).toBe(true)
  })

  it('is true with no state as soon as there is anything to record', () => {
    expect(stateWouldChange({state: null}, {changes: [noop(a)]})).toBe(true)
    expect(stateWouldChange({state: null}, {changes: []})).toBe(false)
  })
})

describe('sameStateResource', () => {
  const a = rule('a', 80)
  it('compares every field: ids, origin, pendingMove, attributes, lines', () => {
    expect(sameStateResource(a, structuredClone(a))).toBe(true)
    expect(sameStateResource(a, {...a, ids: {id: 'x'}})).toBe(false)
    expect(sameStateResource(a, {...a, origin: 'created'})).toBe(false)
    expect(sameStateResource(a, {...a, pendingMove: true})).toBe(false)
    expect(sameStateResource(a, {...a, attributes: {...a.attributes, port: 81}})).toBe(false)
    expect(sameStateResource(a, {...a, lines: [...a.lines!, line('-j DROP')]})).toBe(false)
    expect(sameStateResource(a, {...a, lines: [{...a.lines![0]!, family: 'ipv6'}]})).toBe(false)
    const {lines: _lines, ...noLines} = a
    expect(sameStateResource(a, noLines)).toBe(false)
  })
})
