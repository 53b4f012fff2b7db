// A long owned chain whose content changes in a few lines is edited in place (the lines
// deleted by their text, the new ones inserted at their position) instead of declared
// (emptied) and written whole: nft's restore rewrites every rule of a chain it is given
// (issue 13: changing one rule of 20,000 took 1.1 s whole, 0.5 s in place). Whatever the
// transaction, the chain it leaves must be exactly the chain a whole rewrite leaves.
import {describe, expect, it} from 'vitest'

import {recordChange} from '../../../src/apply/record.js'
import type {PriorState, StateResource} from '../../../src/model/resources.js'
import {normalizeRuleSpec} from '../../../src/netfilter/index.js'
import {EDIT_MIN_LINES} from '../../../src/plan/firewall-changes.js'
import {makePlan, type PlanOptions} from '../../../src/plan/planner.js'
import type {Plan} from '../../../src/plan/types.js'
import type {ActualModel} from '../../../src/refresh/types.js'
import {actual, cidr, dockerHost, model, rule} from './builders.js'
import {applyTransactions} from './simulate.js'

const opts: PlanOptions = {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'}

/** `n` rules, one line each; `port(i)` gives rule i's port (undefined drops the rule). */
function rules(n: number, port: (i: number) => number | undefined = (i) => 1000 + i) {
  return Array.from({length: n}, (_, i) => i)
    .filter((i) => port(i) !== undefined)
    .map((i) =>
      rule(`r${String(i).padStart(4, '0')}`, {
        from: [cidr(`10.0.${i >> 8}.${i & 255}/32`)],
        to: [cidr('172.20.0.0/16')],
        proto: 'tcp',
        ports: [{from: port(i)!, to: port(i)!}],
      }),
    )
}

function plan(m: ReturnType<typeof model>, a: ActualModel, prior: PriorState | null): Plan {
  const {plan: p, errors} = makePlan(
    {model: m, actual: a, prior},
    {...opts, normalize: (s, family) => normalizeRuleSpec(s, {family})},
  )
  expect(errors).toEqual([])
  return p
}

function stateAfter(p: Plan, prev: PriorState | null): PriorState {
  const m = new Map<string, StateResource>((prev?.resources ?? []).map((r) => [r.address, r]))
  for (const ch of p.changes) recordChange(m, ch)
  return {serial: (prev?.serial ?? 0) + 1, lineage: 'L', resources: [...m.values()]}
}

const forward = (a: ActualModel): string[] =>
  a.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKWALL-FORWARD')!.rules.map((r) => r.spec)

/** The host and state after applying `n` rules to an empty host. */
function applied(n: number): {host: ActualModel; state: PriorState} {
  const empty = actual({namespaces: [dockerHost()]})
  const first = plan(model({rules: rules(n)}), empty, null)
  return {host: applyTransactions(empty, first), state: stateAfter(first, null)}
}

/** Plans `m` on the host, applies it, and checks the chain is what a whole rewrite gives and a new plan has nothing to do. */
function check(n: number, m: ReturnType<typeof model>): string {
  const {host, state} = applied(n)
  const p = plan(m, host, state)
  const after = applyTransactions(host, p)
  const fresh = applyTransactions(
    actual({namespaces: [dockerHost()]}),
    plan(m, actual({namespaces: [dockerHost()]}), null),
  )
  expect(forward(after)).toEqual(forward(fresh))
  expect(plan(m, after, stateAfter(p, state)).firewall).toEqual([])
  return p.firewall.find((t) => t.table === 'filter')!.input
}

describe('editing a long chain in place', () => {
  const n = EDIT_MIN_LINES + 44

  it('changes one rule of a long chain by one delete and one insert at its position', () => {
    const input = check(n, model({rules: rules(n, (i) => (i === 7 ? 2007 : 1000 + i))}))
    const lines = input.split('\n').filter((l) => l.includes('DOCKWALL-FORWARD'))
    // No declaration: the chain is not emptied. Rule 7 is line 9 (the firewall's accept and r0000-r0006 before it).
    expect(lines).toEqual([
      expect.stringMatching(/^-D DOCKWALL-FORWARD -s 10\.0\.0\.7\/32 .*--dport 1007 .*dockwall:rule\.r0007/),
      expect.stringMatching(/^-I DOCKWALL-FORWARD 9 -s 10\.0\.0\.7\/32 .*--dport 2007 .*dockwall:rule\.r0007/),
    ])
  })

  it('appends rules added at the end with -A, and deletes removed ones by their text', () => {
    const grown = check(n, model({rules: rules(n + 3)}))
    expect(grown).not.toContain(':DOCKWALL-FORWARD - [0:0]')
    expect(grown.split('\n').filter((l) => l.startsWith('-A DOCKWALL-FORWARD'))).toHaveLength(3)
    const shrunk = check(n, model({rules: rules(n, (i) => (i === 100 || i === 101 ? undefined : 1000 + i))}))
    expect(shrunk).not.toContain(':DOCKWALL-FORWARD - [0:0]')
    expect(shrunk.split('\n').filter((l) => l.startsWith('-D DOCKWALL-FORWARD'))).toHaveLength(2)
  })

  it('rewrites the chain whole when many lines change, and a short chain always', () => {
    const many = check(n, model({rules: rules(n, (i) => (i % 10 === 0 ? 3000 + i : 1000 + i))}))
    expect(many).toContain(':DOCKWALL-FORWARD - [0:0]')
    expect(many.split('\n').filter((l) => l.startsWith('-A DOCKWALL-FORWARD'))).toHaveLength(n + 1)
    const short = check(10, model({rules: rules(10, (i) => (i === 3 ? 2003 : 1000 + i))}))
    expect(short).toContain(':DOCKWALL-FORWARD - [0:0]')
  })

  it('rewrites the chain whole when a line to delete has a twin that stays (a delete by text takes the first)', () => {
    const {host, state} = applied(n)
    const chain = host.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKWALL-FORWARD')!
    // A copy of rule r0010's line further down: the copy goes, and `-D` with its text would take the original.
    const twin = chain.rules[11]!
    expect(twin.comment).toBe('dockwall:rule.r0010')
    chain.rules.splice(50, 0, {...twin})
    const p = plan(model({rules: rules(n)}), host, state)
    expect(p.firewall[0]!.input).toContain(':DOCKWALL-FORWARD - [0:0]')
    const after = forward(applyTransactions(host, p))
    expect(after.filter((s) => s === twin.spec)).toHaveLength(1)
    expect(after.indexOf(twin.spec)).toBe(11)
  })

  it('deletes adjacent copies of a foreign line by their text', () => {
    const {host, state} = applied(n)
    const chain = host.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKWALL-FORWARD')!
    const foreign = {spec: '-s 6.6.6.6/32 -j ACCEPT', target: 'ACCEPT'}
    chain.rules.splice(30, 0, foreign, {...foreign})
    const p = plan(model({rules: rules(n)}), host, state)
    expect(p.firewall[0]!.input.split('\n').filter((l) => l.includes('DOCKWALL-FORWARD'))).toEqual([
      '-D DOCKWALL-FORWARD -s 6.6.6.6/32 -j ACCEPT',
      '-D DOCKWALL-FORWARD -s 6.6.6.6/32 -j ACCEPT',
    ])
    expect(forward(applyTransactions(host, p))).not.toContain(foreign.spec)
  })

  it('removes a foreign line inserted in a long chain by its text', () => {
    const {host, state} = applied(n)
    const chain = host.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKWALL-FORWARD')!
    chain.rules.splice(40, 0, {spec: '-s 6.6.6.6/32 -j ACCEPT', target: 'ACCEPT'})
    const p = plan(model({rules: rules(n)}), host, state)
    expect(p.drift.map((d) => d.kind)).toEqual(['foreign-rule'])
    expect(p.firewall[0]!.input.split('\n').filter((l) => l.includes('DOCKWALL-FORWARD'))).toEqual([
      '-D DOCKWALL-FORWARD -s 6.6.6.6/32 -j ACCEPT',
    ])
    expect(plan(model({rules: rules(n)}), applyTransactions(host, p), stateAfter(p, state)).firewall).toEqual([])
  })

  it('writes only the jump when a firewall reload removed it and the chain is as it should be', () => {
    const {host, state} = applied(n)
    const du = host.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKER-USER')!
    du.rules = du.rules.filter((r) => r.target !== 'DOCKWALL-FORWARD')
    const p = plan(model({rules: rules(n)}), host, state)
    expect(p.drift.map((d) => d.kind)).toEqual(['jump-missing'])
    expect(p.firewall[0]!.input).toBe(
      '*filter\n-I DOCKER-USER 1 -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD\nCOMMIT\n',
    )
    expect(plan(model({rules: rules(n)}), applyTransactions(host, p), stateAfter(p, state)).firewall).toEqual([])
  })
})
