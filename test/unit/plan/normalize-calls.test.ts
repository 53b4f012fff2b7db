// The planner normalizes rule specs (about 10 µs each) only where texts differ, and
// each distinct spec once: a 20,000-line plan must not pay that per comparison. What it
// decides must not change (the normal-form tests in planner.test.ts cover that).
import {describe, expect, it} from 'vitest'

import {makePlan, type PlanOptions} from '../../../src/plan/planner.js'
import type {Plan} from '../../../src/plan/types.js'
import {actual, cidr, model, rule} from './builders.js'
import {applyTransactions} from './simulate.js'

function counting(): {normalize: (s: string) => string; calls: Map<string, number>} {
  const calls = new Map<string, number>()
  return {calls, normalize: (s) => (calls.set(s, (calls.get(s) ?? 0) + 1), s.trim().replace(/\s+/g, ' '))}
}

const m = model({
  rules: [
    rule('a', {
      from: [cidr('10.0.0.0/24'), cidr('10.0.1.0/24')],
      proto: 'tcp',
      ports: [{from: 80, to: 80}],
      priority: 10,
    }),
    rule('b', {from: [cidr('10.0.2.0/24')], proto: 'tcp', ports: [{from: 443, to: 443}], priority: 20}),
  ],
})

function plan(a: ReturnType<typeof actual>, normalize: (s: string) => string): Plan {
  const opts: PlanOptions = {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test', normalize}
  return makePlan({model: m, actual: a, prior: null}, opts).plan
}

describe('planner normalization', () => {
  it('normalizes nothing on a fresh host, and nothing when the host holds exactly the rendered lines', () => {
    const fresh = counting()
    const first = plan(actual(), fresh.normalize)
    expect(first.firewall).toHaveLength(1)
    expect(fresh.calls.size).toBe(0)

    const steady = counting()
    const again = plan(applyTransactions(actual(), first), steady.normalize)
    expect(again.firewall).toEqual([])
    expect(again.changes.filter((c) => c.action !== 'no-op')).toEqual([])
    expect(steady.calls.size).toBe(0)
  })

  it('normalizes lines whose texts differ, each spec once, and still finds the change', () => {
    const first = plan(actual(), (s) => s)
    const host = applyTransactions(actual(), first)
    const fwd = host.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKWALL-FORWARD')!
    // Swap rule a's two lines: the same content in another order
    const i = fwd.rules.findIndex((r) => r.comment === 'dockwall:rule.a')
    ;[fwd.rules[i], fwd.rules[i + 1]] = [fwd.rules[i + 1]!, fwd.rules[i]!]
    const c = counting()
    const p = plan(host, c.normalize)
    expect(p.firewall).toHaveLength(1)
    expect(p.changes.find((x) => x.address === 'chain["host:DOCKWALL-FORWARD"]')?.reasons).toContain(
      "restore the order of dockwall's rules",
    )
    expect(c.calls.size).toBeGreaterThan(0)
    expect([...c.calls.values()].every((n) => n === 1)).toBe(true)
  })

  it('treats texts that differ but share a normal form as the same line', () => {
    const first = plan(actual(), (s) => s)
    const host = applyTransactions(actual(), first)
    const fwd = host.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKWALL-FORWARD')!
    for (const r of fwd.rules) r.spec = r.spec.replace(' -j ACCEPT', '  -j  ACCEPT')
    const p = plan(host, counting().normalize)
    expect(p.firewall).toEqual([])
  })
})
