import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {planToJson, renderPlan, type PlanJson} from '../../../src/ui/index.js'
import {backendReplace, fixturePlan, noChangesPlan} from './fixtures.js'

/** Every key the format defines, at any depth, except inside attribute values (user data: labels and the like). */
function formatKeys(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => formatKeys(x, path))
  if (v === null || typeof v !== 'object') return []
  return Object.entries(v).flatMap(([k, x]) =>
    ['before', 'after', 'ids'].includes(k) && path.endsWith('resource_changes')
      ? [k]
      : [k, ...formatKeys(x, `${path}.${k}`)],
  )
}

describe('planToJson', () => {
  const json = planToJson(fixturePlan())

  it('is versioned and uses snake_case keys throughout', () => {
    expect(json.format_version).toBe('1.1')
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
    expect(json.summary).toEqual({import: 0, add: 8, change: 3, destroy: 3, replace: 1, deferred: 2, drift: 5})
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
    expect(j.summary).toEqual({import: 0, add: 0, change: 0, destroy: 0, replace: 0, deferred: 0, drift: 0})
  })

  it('round-trips through renderPlan as JSON, byte for byte stable', () => {
    const text = renderPlan(fixturePlan(), {format: 'json'})
    expect(text.endsWith('\n')).toBe(true)
    const parsed = JSON.parse(text) as PlanJson
    expect(parsed).toEqual(json)
    expect(renderPlan(fixturePlan(), {format: 'json'})).toBe(text)
  })
})

describe('PLAN-JSON.md', () => {
  const doc = readFileSync(new URL('../../../src/ui/PLAN-JSON.md', import.meta.url), 'utf8')

  it('documents every field the plan JSON has', () => {
    for (const k of new Set(formatKeys(planToJson(fixturePlan())))) expect(doc, k).toContain(`\`${k}\``)
  })

  it('states the current format version', () => {
    expect(doc).toContain(`Current version: **${planToJson(fixturePlan()).format_version}**`)
  })
})
