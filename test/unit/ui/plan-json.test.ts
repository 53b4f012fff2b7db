import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import type {Change} from '../../../src/plan/types.js'
import {actionsOf} from '../../../src/ui/plan-json.js'
import {planToJson, renderPlan, type PlanJson} from '../../../src/ui/index.js'
import {backendReplace, change, fixturePlan, line, noChangesPlan, plan} from './fixtures.js'

/** Every key the format defines, at any depth, except inside attribute values (user data: labels and the like). */
function formatKeys(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => formatKeys(x, path))
  if (v === null || typeof v !== 'object') return []
  return Object.entries(v).flatMap(([k, x]) =>
    ['before', 'after', 'ids'].includes(k) && /resource_changes(\.change)?$/.test(path)
      ? [k]
      : [k, ...formatKeys(x, `${path}.${k}`)],
  )
}

describe('planToJson', () => {
  const json = planToJson(fixturePlan())

  it('is versioned and uses snake_case keys throughout', () => {
    expect(json.format_version).toBe('1.4')
    expect(json.plan_format_version).toBe('1.0')
    for (const k of formatKeys(json)) expect(k).toMatch(/^[a-z][a-z0-9_]*$/)
  })

  it('has the documented top-level fields, in a stable order', () => {
    expect(Object.keys(json)).toEqual([
      'format_version',
      'dockwall_version',
      'plan_format_version',
      'mode',
      'applyable',
      'summary',
      'resource_changes',
      'resource_drift',
      'warnings',
      'firewall_transactions',
      'prior_state',
      'actual_hash',
      'targets',
    ])
    // The DOCKWALL-INPUT chain is implied: listed in resource_changes, marked, counted apart (format 1.3).
    expect(json.summary).toEqual({
      import: 0,
      add: 7,
      change: 3,
      destroy: 3,
      replace: 1,
      deferred: 2,
      drift: 5,
      implied: {add: 1, change: 0, destroy: 0},
    })
    expect(json.resource_changes.filter((c) => c.implied).map((c) => c.address)).toEqual([
      'chain.host.filter.DOCKWALL-INPUT',
    ])
    expect(json.applyable).toBe(true)
    expect(json.prior_state).toEqual({serial: 7, lineage: '3f1c2a9e-5b7d-4c1e-9a2f-8d6e4b0c1a2b'})
  })

  it('lists every change, no-ops included, in plan order', () => {
    expect(json.resource_changes.map((c) => c.address)).toEqual(fixturePlan().changes.map((c) => c.address))
    expect(json.resource_changes.find((c) => c.address === 'rule.db_admin')?.action).toBe('no-op')
  })

  it('translates a change field by field', () => {
    const c = json.resource_changes.find((x) => x.address === backendReplace.address)
    expect(c).toMatchInlineSnapshot(`
      {
        "action": "replace",
        "address": "network.backend",
        "after": {
          "driver": "bridge",
          "gateway": "172.20.0.1",
          "internal": true,
          "labels": {},
          "name": "backend",
          "subnet": "172.20.0.0/24",
        },
        "before": {
          "driver": "bridge",
          "gateway": "172.19.0.1",
          "internal": true,
          "labels": {},
          "name": "backend",
          "subnet": "172.19.0.0/24",
        },
        "change": {
          "actions": [
            "delete",
            "create",
          ],
          "after": {
            "driver": "bridge",
            "gateway": "172.20.0.1",
            "internal": true,
            "labels": {},
            "name": "backend",
            "subnet": "172.20.0.0/24",
          },
          "before": {
            "driver": "bridge",
            "gateway": "172.19.0.1",
            "internal": true,
            "labels": {},
            "name": "backend",
            "subnet": "172.19.0.0/24",
          },
          "replace_paths": [
            [
              "subnet",
            ],
            [
              "gateway",
            ],
          ],
        },
        "depends_on": [],
        "disconnects": [
          "container.api",
          "container.db",
        ],
        "ids": {
          "network": "9f3b2c1d0e4a",
        },
        "reasons": [
          "Docker cannot change the subnet of an existing network",
        ],
        "type": "network",
      }
    `)
    const rule = json.resource_changes.find((x) => x.address === 'rule.web_http')
    expect(rule?.lines?.after[0]).toEqual({
      namespace: 'host',
      family: 'ipv4',
      table: 'filter',
      chain: 'DOCKWALL-FORWARD',
      spec: '-d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment dockwall:rule.web_http -j ACCEPT',
    })
  })

  it('carries drift, warnings with their range, and firewall transactions', () => {
    expect(json.resource_drift[2]).toEqual({
      address: 'chain.host.filter.DOCKWALL-FORWARD',
      kind: 'foreign-rule',
      summary: 'a rule without a dockwall comment was inserted',
      line: {
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKWALL-FORWARD',
        spec: '-s 10.9.9.9/32 -j ACCEPT',
      },
    })
    expect(json.warnings[0]).toEqual({
      severity: 'warning',
      summary: 'Container "worker" does not exist yet',
      detail: 'Its changes are deferred until it appears. Run `dockwall watch` to apply them then.',
      address: 'container.worker',
      range: {filename: 'main.hcl', line: 40, column: 1},
    })
    expect(json.firewall_transactions[0]).toMatchObject({
      namespace: 'host',
      family: 'ipv4',
      backend: 'nft',
      table: 'filter',
      addresses: ['firewall', 'rule.web_http'],
    })
  })

  it('is not applyable when nothing changes', () => {
    const j = planToJson(noChangesPlan())
    expect(j.applyable).toBe(false)
    expect(j.summary).toEqual({
      import: 0,
      add: 0,
      change: 0,
      destroy: 0,
      replace: 0,
      deferred: 0,
      drift: 0,
      implied: {add: 0, change: 0, destroy: 0},
    })
  })

  it('round-trips through renderPlan as JSON on one line (as terraform show -json), byte for byte stable', () => {
    const text = renderPlan(fixturePlan(), {format: 'json'})
    expect(text.endsWith('\n')).toBe(true)
    expect(text.indexOf('\n')).toBe(text.length - 1)
    const parsed = JSON.parse(text) as PlanJson
    expect(parsed).toEqual(json)
    expect(renderPlan(fixturePlan(), {format: 'json'})).toBe(text)
  })
})

describe("change: Terraform's form of each resource change", () => {
  const one = (c: Change) => planToJson(plan({changes: [c]})).resource_changes[0]!.change
  const rule = (action: Change['action'], rest: Partial<Change> = {}) =>
    change('rule.x', 'rule', action, {before: {a: 1}, after: {a: 2}, ...rest})

  it('spells every action as terraform show -json does', () => {
    expect(one(rule('create', {before: null})).actions).toEqual(['create'])
    expect(one(rule('update')).actions).toEqual(['update'])
    expect(one(rule('delete', {after: null})).actions).toEqual(['delete'])
    expect(one(rule('no-op')).actions).toEqual(['no-op'])
    // dockwall removes the old network before it makes the new one.
    expect(one(backendReplace).actions).toEqual(['delete', 'create'])
  })

  it('says forget for a delete that only drops the state entry', () => {
    expect(one(change('network.old', 'network', 'delete', {forget: true})).actions).toEqual(['forget'])
  })

  it('says what a deferred change does now: nothing, or take its lines off the host', () => {
    expect(one(rule('deferred', {before: null})).actions).toEqual(['no-op'])
    const lines = {before: [line('DOCKWALL-FORWARD', '-j ACCEPT')], after: []}
    expect(one(rule('deferred', {lines})).actions).toEqual(['update'])
  })

  it('carries before, after and the attributes that force a replace', () => {
    const c = one(backendReplace)
    expect(c.before).toEqual(backendReplace.before)
    expect(c.after).toEqual(backendReplace.after)
    expect(c.replace_paths).toEqual([['subnet'], ['gateway']])
    expect(one(rule('update')).replace_paths).toBeUndefined()
  })

  it("marks a replace --replace asked for with Terraform's action_reason, and no replace_paths (format 1.4)", () => {
    const requested = change('network.front', 'network', 'replace', {
      requested: true,
      reasons: ['replacement requested with --replace'],
    })
    const json = planToJson(plan({changes: [requested, backendReplace]}))
    const byAddress = new Map(json.resource_changes.map((c) => [c.address, c]))
    expect(byAddress.get('network.front')).toMatchObject({
      action_reason: 'replace_by_request',
      change: {actions: ['delete', 'create']},
    })
    expect(byAddress.get('network.front')!.change.replace_paths).toBeUndefined()
    expect(byAddress.get(backendReplace.address)!.action_reason).toBeUndefined()
    // The text plan says it as Terraform does, without repeating the reason
    const text = renderPlan(plan({changes: [requested]}))
    expect(text).toContain('# network.front will be replaced, as requested')
    expect(text).not.toContain('# (replacement requested with --replace)')
  })

  it('marks imports as Terraform does, with the import block ID when there is one', () => {
    const moved = one(rule('create', {importing: "moves the rule imported from DOCKER-USER into dockwall's chain"}))
    // The rule exists already: moving it into dockwall's chain rewrites it.
    expect(moved.actions).toEqual(['update'])
    expect(moved.importing).toEqual({})
    const adopted = one(
      change('network.front', 'network', 'no-op', {importing: 'imports Docker network "front"', importId: 'front'}),
    )
    expect(adopted).toMatchObject({actions: ['no-op'], importing: {id: 'front'}})
    expect(one(rule('no-op')).importing).toBeUndefined()
  })

  it('gives every change of the fixture plan one of the documented action lists', () => {
    const allowed = ['no-op', 'create', 'update', 'delete', 'delete,create', 'forget']
    const plan = fixturePlan()
    for (const c of planToJson(plan).resource_changes) expect(allowed).toContain(c.change.actions.join())
    expect(plan.changes.map((c) => actionsOf(c).join())).toContain('delete,create')
  })
})

describe('PLAN-JSON.md', () => {
  const doc = readFileSync(new URL('../../../docs/PLAN-JSON.md', import.meta.url), 'utf8')

  it('documents every field the plan JSON has', () => {
    for (const k of new Set(formatKeys(planToJson(fixturePlan())))) expect(doc, k).toContain(`\`${k}\``)
  })

  it('states the current format version', () => {
    expect(doc).toContain(`Current version: **${planToJson(fixturePlan()).format_version}**`)
  })
})
