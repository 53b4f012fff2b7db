// readTables parses up front only the chains that mention DOCKWALL- (dockwall's own and
// those jumping to them) and the rest on first access: what consumers read must be
// exactly what the eager toActualTables(parseRuleset(text)) gives.
import {describe, expect, it} from 'vitest'

import {IptablesParseError, keepTables, parseRuleset} from '../../../src/netfilter/index.js'
import {indexActual} from '../../../src/plan/actual-index.js'
import {hashActual} from '../../../src/plan/planner.js'
import {mentionsNoOwnedChain, readTables, toActualTables, unparsedRuleLines} from '../../../src/refresh/tables.js'
import type {ActualModel, ActualNamespace} from '../../../src/refresh/types.js'
import {actualToJson} from '../../../src/ui/actual-view.js'
import {dumps} from '../netfilter/fixtures.js'
import {NORMAL_FORM_CASES} from '../netfilter/normal-forms.js'

const HOST = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKWALL-PREROUTING - [0:0]
-A PREROUTING -m comment --comment dockwall:jump -j DOCKWALL-PREROUTING
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A DOCKER -i docker0 -j RETURN
-A DOCKWALL-PREROUTING -i wg0 -p tcp -m tcp --dport 80 -m comment --comment dockwall:port_forward.web -j DNAT --to-destination 172.18.0.2:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:BIG - [0:0]
:DOCKER-USER - [0:0]
:DOCKWALL-FORWARD - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j BIG
-A BIG -s 10.0.0.1/32 -p tcp -m tcp --dport 22 -m comment --comment "office 1" -j ACCEPT
-A BIG -s 10.0.0.2/32 -j DROP
-A BIG -j DOCKWALL-FORWARD
-A DOCKER-USER -m comment --comment dockwall:jump -j DOCKWALL-FORWARD
-A DOCKER-USER -j RETURN
-A DOCKWALL-FORWARD -s 172.18.0.3/32 -d 172.18.0.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment dockwall:rule.web -j ACCEPT
COMMIT
`

function model(tables: ActualNamespace['tables']): ActualModel {
  return {
    docker: {engine: {version: '20.10.24', apiVersion: '1.41'}, networks: [], containers: []},
    namespaces: [{key: 'host', backend: 'nft', backendReason: 'test', tables}],
    unreadable: [],
  }
}

describe('readTables', () => {
  it.each(dumps().map((d) => [d.file, d.text] as const))('gives what the eager parse gives for %s', (_file, text) => {
    // Given a real dump, as refresh reads it (filter and nat only)
    const kept = keepTables(text, ['filter', 'nat'])
    // When it is read both ways
    const eager = toActualTables(parseRuleset(kept))
    const lazy = readTables(kept)
    // Then every chain and rule is the same once read (toEqual reads the deferred rules)
    expect(JSON.parse(JSON.stringify(lazy))).toEqual(JSON.parse(JSON.stringify(eager)))
    expect(lazy).toEqual(eager)
  })

  it('parses up front only the chains that mention DOCKWALL-', () => {
    const t = readTables(HOST)
    const unparsed = (table: 'filter' | 'nat') =>
      t[table]!.chains.filter((c) => mentionsNoOwnedChain(c)).map((c) => c.name)
    // FORWARD and DOCKER have no DOCKWALL- text; BIG jumps to DOCKWALL-FORWARD, so it is read now
    expect(unparsed('filter')).toEqual(['FORWARD'])
    expect(unparsed('nat')).toEqual(['DOCKER'])
    expect(unparsedRuleLines(t.filter!.chains.find((c) => c.name === 'FORWARD')!)).toEqual([
      '-A FORWARD -j DOCKER-USER',
      '-A FORWARD -j BIG',
    ])
    // Chains without rules are not deferred
    expect(mentionsNoOwnedChain(t.filter!.chains.find((c) => c.name === 'INPUT')!)).toBe(false)
  })

  it('gives the planner the same index, and show the same view, as the eager parse', () => {
    const eager = model(toActualTables(parseRuleset(HOST)))
    const lazy = model(readTables(HOST))
    expect(indexActual(lazy)).toEqual(indexActual(eager))
    expect(actualToJson(model(readTables(HOST)))).toEqual(actualToJson(eager))
  })

  it('does not parse deferred chains for the index or the hash', () => {
    const lazy = model(readTables(HOST))
    const forward = lazy.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'FORWARD')!
    indexActual(lazy)
    hashActual(lazy)
    // still an accessor: nobody read it
    expect(Object.getOwnPropertyDescriptor(forward, 'rules')?.get).toBeTypeOf('function')
    expect(forward.rules.map((r) => r.target)).toEqual(['DOCKER-USER', 'BIG'])
    expect(Object.getOwnPropertyDescriptor(forward, 'rules')?.get).toBeUndefined()
  })

  it('hashes deterministically, and a change in a deferred chain changes the hash', () => {
    const a = hashActual(model(readTables(HOST)))
    expect(hashActual(model(readTables(HOST)))).toBe(a)
    expect(hashActual(model(readTables(HOST.replace('10.0.0.2/32 -j DROP', '10.0.0.9/32 -j DROP'))))).not.toBe(a)
    // A host without deferred chains hashes as before (the tables themselves)
    const eager = model(toActualTables(parseRuleset(HOST)))
    expect(eager.namespaces[0]!.tables.filter!.chains.some((c) => mentionsNoOwnedChain(c))).toBe(false)
  })

  it("throws the eager parse's error for a bad rule in a deferred chain when its rules are read", () => {
    const bad = HOST.replace('-A BIG -s 10.0.0.2/32 -j DROP\n', '').replace(
      '-A FORWARD -j BIG',
      '-A FORWARD -j BIG -j DROP',
    )
    let eagerError: unknown
    try {
      parseRuleset(bad)
    } catch (e) {
      eagerError = e
    }
    expect(eagerError).toBeInstanceOf(IptablesParseError)
    const t = readTables(bad)
    const forward = t.filter!.chains.find((c) => c.name === 'FORWARD')!
    expect(() => forward.rules).toThrow((eagerError as Error).message)
  })

  describe("dockwall's own chains, read without the parser where the line has the saved shape", () => {
    /** Every saved form of normal-forms.ts (what iptables-save 1.8.9 printed) with a dockwall comment before its target. */
    const lines = (family: 'ipv4' | 'ipv6', table: string): string[] =>
      NORMAL_FORM_CASES.filter((c) => c.family === family && c.table === table && !c.saved.includes('--comment'))
        .map((c, i) => c.saved.replace(/ -j |^-j /, (j) => ` -m comment --comment "dockwall:rule.r${i}"${j}`).trim())
        .map((spec) => `-A DOCKWALL-X ${spec}`)
    const save = (family: 'ipv4' | 'ipv6'): string =>
      ['filter', 'nat', 'raw']
        .map((t) => [`*${t}`, ':DOCKWALL-X - [0:0]', ...lines(family, t), 'COMMIT'].join('\n'))
        .join('\n') + '\n'

    it.each(['ipv4', 'ipv6'] as const)('gives what the eager parse gives for every saved form (%s)', (family) => {
      // Given every saved form the kernel printed, as lines of a dockwall chain
      const text = save(family)
      expect(lines(family, 'filter').length).toBeGreaterThan(10)
      // When it is read both ways
      const lazy = readTables(text, family)
      const eager = toActualTables(parseRuleset(text, {family}))
      // Then the rules are the same: spec (the normal form), comment and target
      expect(lazy).toEqual(eager)
    })

    it('reads the saved text, comment and target of a plain line', () => {
      const t = readTables(
        '*filter\n:DOCKWALL-FORWARD - [0:0]\n-A DOCKWALL-FORWARD -s 10.0.0.3/32 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.a" -j ACCEPT\nCOMMIT\n',
      )
      expect(t.filter!.chains[0]!.rules).toEqual([
        {
          spec: '-s 10.0.0.3/32 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.a" -j ACCEPT',
          comment: 'dockwall:rule.a',
          target: 'ACCEPT',
        },
      ])
    })

    it.each([
      ['an escaped quote', '-m comment --comment "dockwall:a \\"b\\"" -j ACCEPT'],
      ['two comments', '-m comment --comment "dockwall:rule.a" -m comment --comment "x y" -j ACCEPT'],
      ['no comment', '-s 10.0.0.1/32 -j ACCEPT'],
      ['a goto', '-m comment --comment "dockwall:rule.a" -g OTHER'],
      ['no target', '-m comment --comment "dockwall:rule.a"'],
      ['a target option that looks like one', '-m comment --comment "dockwall:rule.a -j DROP" -j ACCEPT'],
    ])('leaves a line with %s to the parser', (_what, spec) => {
      // Given a line of another shape in dockwall's chain
      const text = `*filter\n:DOCKWALL-FORWARD - [0:0]\n-A DOCKWALL-FORWARD ${spec}\nCOMMIT\n`
      // Then it reads as the parser reads it
      expect(readTables(text)).toEqual(toActualTables(parseRuleset(text)))
    })
  })
})
