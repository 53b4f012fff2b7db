// The rollback of an unconfirmed apply, as restore input: from the snapshot taken before
// the apply and the table as it is when the rollback runs. Checked by applying the input
// with the restore simulation and comparing the owned chains and jumps to the snapshot.
import {describe, expect, it} from 'vitest'

import {rollbackInput, snapshotForPlan, snapshotOfRuleset, type TableSnapshot} from '../../../src/apply/rollback.js'
import {parseRuleset} from '../../../src/netfilter/index.js'
import {simulateRestore} from '../../../src/netfilter/restore-sim.js'
import type {Plan} from '../../../src/plan/types.js'
import {actual, dockerHost, namespace} from '../plan/builders.js'

const filter = (chains: string, rules: string[]): string =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n${chains}${rules.join('\n')}\nCOMMIT\n`

const JUMP_IN = '-m comment --comment dockwall:jump -j DOCKWALL-INPUT'
const JUMP_FWD = '-m comment --comment dockwall:jump -j DOCKWALL-FORWARD'

/** Jumps grouped by chain (stable within one), as iptables-save prints them: the simulation keeps insertion order. */
function byChain(s: Pick<TableSnapshot, 'chains' | 'jumps'>): Pick<TableSnapshot, 'chains' | 'jumps'> {
  return {chains: s.chains, jumps: [...s.jumps].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))}
}

function snap(text: string): Pick<TableSnapshot, 'chains' | 'jumps'> {
  return byChain(snapshotOfRuleset(parseRuleset(text, {family: 'ipv4'}), 'filter'))
}

/** Rolls `now` back to `before` through the restore simulation and returns the result's snapshot. */
function rolledBack(now: string, before: string): Pick<TableSnapshot, 'chains' | 'jumps'> {
  const input = rollbackInput('filter', snap(now), snap(before))
  if (input === null) return snap(now)
  const r = simulateRestore(parseRuleset(now, {family: 'ipv4'}), input, 'ipv4')
  expect(r.failed).toEqual([])
  return byChain(snapshotOfRuleset(r.ruleset, 'filter'))
}

const BEFORE = filter(':DOCKWALL-INPUT - [0:0]\n', [
  `-A INPUT ${JUMP_IN}`,
  '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
  '-A DOCKWALL-INPUT -s 10.0.0.0/8 -m comment --comment dockwall:rule.a -j DROP',
])

describe('rollbackInput', () => {
  it('is null when nothing changed', () => {
    expect(rollbackInput('filter', snap(BEFORE), snap(BEFORE))).toBeNull()
  })

  it('puts back a chain whose rules changed, keeping the foreign rules around it', () => {
    const now = BEFORE.replace('10.0.0.0/8', '0.0.0.0/0').replace(
      '-A DOCKWALL-INPUT',
      '-A DOCKWALL-INPUT -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.b -j ACCEPT\n-A DOCKWALL-INPUT',
    )
    expect(rolledBack(now, BEFORE)).toEqual(snap(BEFORE))
  })

  it('removes chains and jumps the apply added', () => {
    const now = filter(':DOCKWALL-INPUT - [0:0]\n:DOCKWALL-FORWARD - [0:0]\n', [
      `-A INPUT ${JUMP_IN}`,
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      `-A DOCKER-USER ${JUMP_FWD}`,
      '-A DOCKWALL-INPUT -s 10.0.0.0/8 -m comment --comment dockwall:rule.a -j DROP',
      '-A DOCKWALL-FORWARD -j ACCEPT',
    ])
    const input = rollbackInput('filter', snap(now), snap(BEFORE))!
    expect(input).toContain('-D DOCKER-USER -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
    expect(input).toContain('-X DOCKWALL-FORWARD')
    expect(rolledBack(now, BEFORE)).toEqual(snap(BEFORE))
  })

  it('recreates a chain and its jump that the apply removed (destroy), jump on top', () => {
    const now = filter('', ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'])
    const back = rolledBack(now, BEFORE)
    expect(back).toEqual(snap(BEFORE))
    const r = simulateRestore(
      parseRuleset(now, {family: 'ipv4'}),
      rollbackInput('filter', snap(now), snap(BEFORE))!,
      'ipv4',
    )
    expect(r.ruleset.tables[0]!.rules.filter((x) => x.chain === 'INPUT').map((x) => x.target?.name)).toEqual([
      'DOCKWALL-INPUT',
      'ACCEPT',
    ])
  })

  it('keeps several jumps in their order', () => {
    const before = filter(':DOCKWALL-INPUT - [0:0]\n:DOCKWALL-OUTPUT - [0:0]\n', [
      `-A INPUT ${JUMP_IN}`,
      '-A OUTPUT -m comment --comment dockwall:jump -j DOCKWALL-OUTPUT',
      `-A DOCKER-USER ${JUMP_FWD.replace('FORWARD', 'INPUT')}`,
    ])
    const now = filter('', [])
    expect(rolledBack(now, before)).toEqual(snap(before))
  })

  it('leaves Docker’s and other foreign chains alone', () => {
    const now = filter(':DOCKWALL-INPUT - [0:0]\n', [
      `-A INPUT ${JUMP_IN}`,
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -s 192.0.2.0/24 -j DROP',
      '-A DOCKER-USER -j RETURN',
    ])
    const input = rollbackInput('filter', snap(now), snap(BEFORE))!
    expect(input).not.toMatch(/DOCKER-USER|192\.0\.2/)
  })
})

describe('snapshotForPlan', () => {
  it('takes each table the plan writes, from the backend it writes (a stale backend’s too)', () => {
    const host = dockerHost({INPUT: [JUMP_IN], 'DOCKWALL-INPUT': ['-s 10.0.0.0/8 -j DROP']})
    host.stale = {
      backend: 'legacy',
      tables: {filter: {name: 'filter', chains: [{name: 'DOCKWALL-FORWARD', policy: null, rules: []}]}},
    }
    const plan = {
      firewall: [
        {namespace: 'host', backend: 'nft', table: 'filter', input: '', addresses: []},
        {namespace: 'host', backend: 'nft', table: 'nat', input: '', addresses: []},
        {namespace: 'host', backend: 'legacy', table: 'filter', input: '', addresses: []},
        {namespace: 'container.web', backend: 'nft', table: 'filter', input: '', addresses: []},
      ],
    } as unknown as Plan
    const snaps = snapshotForPlan(plan, actual({namespaces: [host, namespace('container.web', {})]}))
    expect(
      snaps.map(
        (s) => `${s.namespace} ${s.backend} ${s.table} ${s.chains.map((c) => c.name).join(',')} ${s.jumps.length}`,
      ),
    ).toEqual([
      'host nft filter DOCKWALL-INPUT 1',
      'host nft nat  0',
      'host legacy filter DOCKWALL-FORWARD 0',
      'container.web nft filter  0',
    ])
  })

  it("takes an IPv6 transaction's table from ip6tables, not from iptables", () => {
    const host = dockerHost({INPUT: [JUMP_IN], 'DOCKWALL-INPUT': ['-s 10.0.0.0/8 -j DROP']})
    host.tables6 = namespace('host', {INPUT: [JUMP_IN], 'DOCKWALL-INPUT': ['-s fd00::/8 -j DROP', '-j DROP']}).tables
    const plan = {
      firewall: [
        {namespace: 'host', family: 'ipv4', backend: 'nft', table: 'filter', input: '', addresses: []},
        {namespace: 'host', family: 'ipv6', backend: 'nft', table: 'filter', input: '', addresses: []},
      ],
    } as unknown as Plan
    expect(
      snapshotForPlan(plan, actual({namespaces: [host]})).map((s) => [s.family, s.chains, s.jumps.length]),
    ).toEqual([
      ['ipv4', [{name: 'DOCKWALL-INPUT', rules: ['-s 10.0.0.0/8 -j DROP']}], 1],
      ['ipv6', [{name: 'DOCKWALL-INPUT', rules: ['-s fd00::/8 -j DROP', '-j DROP']}], 1],
    ])
  })
})
