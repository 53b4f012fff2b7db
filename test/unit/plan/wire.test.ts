import {describe, expect, it} from 'vitest'

import type {Change, Plan} from '../../../src/plan/types.js'
import {planFromWire, planToWire, wireIds} from '../../../src/plan/wire.js'

const change = (extra: Partial<Change>): Change => ({
  address: 'network.n',
  type: 'network',
  action: 'delete',
  before: {name: 'n'},
  after: null,
  reasons: [],
  dependsOn: [],
  ...extra,
})

const plan = (changes: Change[]): Plan => ({
  formatVersion: '1.0',
  dockwallVersion: 't',
  mode: 'normal',
  changes,
  drift: [],
  warnings: [],
  firewall: [],
  prior: {serial: 0, lineage: null},
  lineage: '00000000-0000-4000-8000-000000000001',
  actualHash: 'h',
  targets: [],
})

describe('plan wire format', () => {
  it('spells origin and forget inside ids, as plan files and --json always have', () => {
    expect(wireIds(change({ids: {id: 'abc'}, origin: 'adopted', forget: true}))).toEqual({
      id: 'abc',
      origin: 'adopted',
      forget: 'true',
    })
    expect(wireIds(change({}))).toBeUndefined()
    expect(wireIds(change({ids: {}}))).toEqual({})
  })

  it('keeps the field order of the change, ids where the first control field was', () => {
    const c = change({ids: {id: 'abc'}, origin: 'created', disconnects: ['web']})
    expect(Object.keys(planToWire(plan([c])).changes[0]!)).toEqual([
      'address',
      'type',
      'action',
      'before',
      'after',
      'reasons',
      'dependsOn',
      'ids',
      'disconnects',
    ])
  })

  it('reads a plan file written before control data was typed', () => {
    // Given a change as an earlier dockwall saved it: forget and origin as strings in ids
    const saved = JSON.parse(
      JSON.stringify(plan([change({ids: {id: 'abc', origin: 'adopted', forget: 'true'}})])),
    ) as Plan
    // When it is read
    const [c] = planFromWire(saved).changes
    // Then apply sees the typed fields (and so forgets the network instead of removing it)
    expect(c).toMatchObject({ids: {id: 'abc'}, origin: 'adopted', forget: true})
  })

  it('reads a plan file written before IPv6: its lines and transactions are IPv4', () => {
    const line = {namespace: 'host' as const, table: 'filter' as const, chain: 'DOCKWALL-INPUT', spec: '-j DROP'}
    // Given a plan as an earlier dockwall saved it: no family key anywhere
    const saved = JSON.parse(
      JSON.stringify(
        {
          ...plan([
            change({address: 'firewall', type: 'firewall', lines: {before: [], after: [{...line, family: 'ipv4'}]}}),
          ]),
          firewall: [{namespace: 'host', backend: 'nft', table: 'filter', input: '*filter\nCOMMIT\n', addresses: []}],
        },
        (key, value: unknown) => (key === 'family' ? undefined : value),
      ),
    ) as Plan
    expect(JSON.stringify(saved)).not.toContain('family')
    const read = planFromWire(saved)
    expect(read.changes[0]!.lines?.after).toEqual([{...line, family: 'ipv4'}])
    expect(read.firewall.map((t) => t.family)).toEqual(['ipv4'])
  })

  it('round-trips: a plan file read and written again has the same bytes', () => {
    const p = plan([
      change({ids: {id: 'abc'}, origin: 'adopted', forget: true}),
      change({address: 'rule.r', type: 'rule', origin: 'imported'}),
      change({address: 'rule.s', type: 'rule', ids: {}, forget: true}),
      change({address: 'rule.t', type: 'rule'}),
    ])
    const text = JSON.stringify(planToWire(p))
    expect(JSON.stringify(planToWire(planFromWire(JSON.parse(text) as Plan)))).toBe(text)
    expect(planFromWire(JSON.parse(text) as Plan).changes.map((c) => [c.origin, c.forget])).toEqual([
      ['adopted', true],
      ['imported', undefined],
      [undefined, true],
      [undefined, undefined],
    ])
  })
})
