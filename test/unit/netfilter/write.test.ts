import {describe, expect, it} from 'vitest'

import {InvalidNameError} from '../../../src/netfilter/errors.js'
import {parseRule} from '../../../src/netfilter/parse.js'
import {writeRestoreTable, writeRule, writeRuleset} from '../../../src/netfilter/write.js'

describe('writeRule', () => {
  it('quotes string options like iptables-save and leaves other values raw', () => {
    const r = parseRule('-A X -m comment --comment "dockwall:rule.web" -j LOG --log-prefix "x: "', 'filter')
    expect(writeRule(r)).toBe('-A X -m comment --comment "dockwall:rule.web" -j LOG --log-prefix "x: "')
    const d = parseRule('-A X -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:80', 'nat')
    expect(writeRule(d)).toBe('-A X -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:80')
  })
  it('always quotes --string (libxt_string) and escapes only " and \\ there', () => {
    expect(writeRule(parseRule('-A X -m string --string "a\'b" --algo bm', 'filter'))).toBe(
      '-A X -m string --string "a\'b" --algo bm',
    )
    expect(writeRule(parseRule('-A X -m string --string abc --algo bm', 'filter'))).toBe(
      '-A X -m string --string "abc" --algo bm',
    )
  })
  it('prints counters first when present and wanted', () => {
    const r = parseRule('[5:6] -A X -j ACCEPT', 'filter')
    expect(writeRule(r)).toBe('[5:6] -A X -j ACCEPT')
    expect(writeRule(r, {counters: false})).toBe('-A X -j ACCEPT')
  })
  it('writes an implicit match without -m, as read', () => {
    expect(writeRule(parseRule('-A X -p tcp --dport 80 -j ACCEPT', 'filter'))).toBe('-A X -p tcp --dport 80 -j ACCEPT')
  })
})

describe('writeRuleset', () => {
  it('ends with a newline (legacy restore refuses a last COMMIT without one)', () => {
    expect(writeRuleset({tables: [{name: 'filter', chains: [{name: 'INPUT', policy: 'ACCEPT'}], rules: []}]})).toBe(
      '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n',
    )
  })
})

describe('writeRestoreTable', () => {
  const accept = parseRule('-A X -s 10.0.0.1/32 -m comment --comment "dockwall:rule.a" -j ACCEPT', 'filter')
  it('writes declare, append, insert, delete and delete-chain lines', () => {
    expect(
      writeRestoreTable('filter', [
        {op: 'declare', chain: 'DOCKWALL-FORWARD'},
        {op: 'append', chain: 'DOCKWALL-FORWARD', rule: accept},
        {
          op: 'insert',
          chain: 'DOCKER-USER',
          position: 1,
          rule: {matches: [], target: {kind: 'jump', name: 'DOCKWALL-FORWARD', options: []}},
        },
        {op: 'delete', chain: 'FORWARD', rule: {matches: [], target: {kind: 'jump', name: 'OLD', options: []}}},
        {op: 'declare', chain: 'OLD'},
        {op: 'deleteChain', chain: 'OLD'},
      ]),
    ).toBe(
      [
        '*filter',
        ':DOCKWALL-FORWARD - [0:0]',
        '-A DOCKWALL-FORWARD -s 10.0.0.1/32 -m comment --comment "dockwall:rule.a" -j ACCEPT',
        '-I DOCKER-USER 1 -j DOCKWALL-FORWARD',
        '-D FORWARD -j OLD',
        ':OLD - [0:0]',
        '-X OLD',
        'COMMIT',
        '',
      ].join('\n'),
    )
  })
  it('refuses names that must not reach iptables', () => {
    expect(() => writeRestoreTable('filter', [{op: 'declare', chain: 'A'.repeat(29)}])).toThrow(InvalidNameError)
    expect(() => writeRestoreTable('filter', [{op: 'declare', chain: '-X'}])).toThrow(InvalidNameError)
    expect(() => writeRestoreTable('bogus', [])).toThrow(InvalidNameError)
    const long = parseRule(`-A X -m comment --comment ${'a'.repeat(256)} -j ACCEPT`, 'filter')
    expect(() => writeRestoreTable('filter', [{op: 'append', chain: 'X', rule: long}])).toThrow(/256 bytes/)
    const iface = parseRule('-A X -i a/b -j ACCEPT', 'filter')
    expect(() => writeRestoreTable('filter', [{op: 'insert', chain: 'X', rule: iface}])).toThrow(InvalidNameError)
  })
})
