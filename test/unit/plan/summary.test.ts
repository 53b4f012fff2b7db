// One plan, counted once (src/plan/summary.ts) by every view, by apply and by watch. The
// plan is the one where they used to disagree: a network dockwall adopted leaves the
// configuration (it is forgotten, not removed) while a rule is imported from DOCKER-USER
// (moved, not added). Before, the text said 1 to import and 1 to destroy, apply reported
// 0 destroyed, and watch logged 1 added.
import {describe, expect, it} from 'vitest'

import {applyPlan} from '../../../src/apply/engine.js'
import type {ApplyEvent} from '../../../src/apply/events.js'
import {makePlan} from '../../../src/plan/planner.js'
import {planHasChanges, summarizePlan} from '../../../src/plan/summary.js'
import {isImplied, type Plan} from '../../../src/plan/types.js'
import {planToJson, renderPlanText} from '../../../src/ui/index.js'
import {planCounts} from '../../../src/watch/index.js'
import {actual, cidr, dockerHost, dockerNetwork, model, rule} from './builders.js'

function forgetAndImport(): Plan {
  const {plan, errors} = makePlan(
    {
      model: model({
        rules: [rule('lan_ssh', {from: [cidr('198.18.0.0/24')], proto: 'tcp', ports: [{from: 22, to: 22}]})],
        imports: [{to: 'rule.lan_ssh', id: 'DOCKER-USER:#1', at: {file: 'main.hcl', line: 9, column: 1}}],
      }),
      actual: actual({
        networks: [dockerNetwork('old', '10.9.0.0/24')],
        namespaces: [dockerHost({'DOCKER-USER': ['-s 198.18.0.0/24 -p tcp -m tcp --dport 22 -j ACCEPT', '-j RETURN']})],
      }),
      prior: {
        serial: 1,
        lineage: 'L',
        resources: [
          {address: 'network.old', type: 'network', ids: {id: 'id-old'}, origin: 'adopted', attributes: {name: 'old'}},
        ],
      },
    },
    {mode: 'normal', targets: [], dockwallVersion: 't'},
  )
  expect(errors).toEqual([])
  return plan
}

describe('one summary', () => {
  const plan = forgetAndImport()

  it('is the plan the test means: the network is forgotten, the rule imported and moved', () => {
    const byAddress = Object.fromEntries(plan.changes.map((c) => [c.address, c]))
    expect(byAddress['network.old']).toMatchObject({action: 'delete', forget: true, origin: 'adopted'})
    expect(byAddress['rule.lan_ssh']).toMatchObject({action: 'create', origin: 'imported'})
    expect(byAddress['rule.lan_ssh']?.importing).toBeDefined()
  })

  it('gives the same counts in the text view, the JSON view, watch and apply', async () => {
    const s = summarizePlan(plan)
    expect(s).toMatchObject({import: 1, destroy: 1, change: 0})
    // The rule's move is an import, not an add. What is added, dockwall's chain and the firewall's
    // head line, the configuration implies without declaring: counted apart (issue 14).
    expect(s.add).toBe(0)
    expect(plan.changes.filter((c) => c.action === 'create' && !c.importing && !isImplied(c)).length).toBe(s.add)
    const implied = plan.changes.filter((c) => c.action === 'create' && isImplied(c)).map((c) => c.address)
    expect(implied).toEqual(['chain["host:DOCKWALL-FORWARD"]', 'firewall'])
    expect(s.implied).toEqual({add: 2, change: 0, destroy: 0, chains: 1, firewall: true})

    // Text and JSON views
    expect(renderPlanText(plan, {color: false}).trimEnd().split('\n').slice(-2)).toEqual([
      `Plan: 1 to import, ${s.add} to add, 0 to change, 1 to destroy.`,
      'Implied, not declared: 2 to add, 0 to change, 0 to destroy (1 dockwall chain, the firewall base).',
    ])
    expect(planToJson(plan).summary).toMatchObject({
      import: 1,
      add: s.add,
      change: 0,
      destroy: 1,
      implied: {add: 2, change: 0, destroy: 0},
    })
    expect(
      planToJson(plan)
        .resource_changes.filter((c) => c.implied === true)
        .map((c) => c.address),
    ).toEqual(implied)

    // Watch's log line
    expect(planCounts(plan)).toMatchObject({import: 1, add: s.add, change: 0, destroy: 1})

    // Apply's final event, on a host where every step succeeds
    const events: ApplyEvent[] = []
    await applyPlan(plan, new Map(), {
      ops: {dockerChange: async () => ({ids: {}}), restore: async () => {}},
      listener: (e) => events.push(e),
      save: async () => {},
    })
    expect(events.at(-1)).toMatchObject({
      type: 'apply_done',
      ok: true,
      imported: 1,
      added: s.add,
      changed: 0,
      destroyed: 1,
    })
  })

  it('has one answer to "is there work": plan --detailed-exitcode, the views, apply and watch', () => {
    expect(planHasChanges(plan)).toBe(true)
    expect(planToJson(plan).applyable).toBe(true)
  })

  it('counts an import that changes nothing on the host as work: the state records it', () => {
    // Given only an import block for a network that matches the configuration
    const {plan: p} = makePlan(
      {
        model: model({
          networks: [
            {
              address: 'network.front',
              label: 'front',
              name: 'front',
              driver: 'bridge',
              subnet: '10.60.0.0/24',
              gateway: '10.60.0.1',
              internal: false,
              labels: {},
              options: {},
              at: {file: 'main.hcl', line: 1, column: 1},
            },
          ],
          imports: [{to: 'network.front', id: 'front', at: {file: 'main.hcl', line: 9, column: 1}}],
        }),
        actual: actual({networks: [dockerNetwork('front', '10.60.0.0/24')]}),
        prior: null,
      },
      {mode: 'normal', targets: [], dockwallVersion: 't'},
    )
    // Then every view agrees there is work: one import
    expect(p.changes.map((c) => [c.address, c.action])).toEqual([['network.front', 'no-op']])
    expect(summarizePlan(p)).toMatchObject({import: 1, add: 0, change: 0, destroy: 0})
    expect(planHasChanges(p)).toBe(true)
    expect(planToJson(p).applyable).toBe(true)
    expect(renderPlanText(p, {color: false}).trimEnd().split('\n').at(-1)).toBe(
      'Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.',
    )
  })
})
