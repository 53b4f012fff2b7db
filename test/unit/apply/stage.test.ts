// The engine prepares the save that follows the iptables transactions while they run
// (ApplyOptions.stage): committed when every transaction committed, else discarded and
// replaced by the usual save. Either way the state records the same resources.
import {describe, expect, it} from 'vitest'

import {applyPlan, type StagedSave} from '../../../src/apply/engine.js'
import type {HostOps} from '../../../src/apply/host-ops.js'
import type {StateResource} from '../../../src/model/resources.js'
import type {RuleLine} from '../../../src/model/resources.js'
import type {Change, FirewallTransaction, Plan} from '../../../src/plan/types.js'

const L = (spec: string, table: 'filter' | 'nat' = 'filter'): RuleLine => ({
  namespace: 'host',
  family: 'ipv4',
  table,
  chain: table === 'filter' ? 'DOCKWALL-FORWARD' : 'DOCKWALL-PREROUTING',
  spec,
})

function plan(changes: Change[], firewall: FirewallTransaction[]): Plan {
  return {
    formatVersion: '1.0',
    dockwallVersion: 't',
    mode: 'normal',
    changes,
    drift: [],
    warnings: [],
    firewall,
    prior: {serial: 0, lineage: null},
    lineage: '00000000-0000-4000-8000-000000000001',
    actualHash: 'h',
    targets: [],
  }
}

const rule = (address: string, after: RuleLine[], before: RuleLine[] = []): Change => ({
  address,
  type: 'rule',
  action: before.length ? 'update' : 'create',
  before: before.length ? {} : null,
  after: {x: address},
  reasons: [],
  dependsOn: [],
  lines: {before, after},
})

const tx = (table: 'filter' | 'nat'): FirewallTransaction => ({
  namespace: 'host',
  family: 'ipv4',
  backend: 'nft',
  table,
  input: `*${table}\nCOMMIT\n`,
  addresses: [],
})

async function run(p: Plan, failTables: string[], prior: StateResource[] = []) {
  const log: string[] = []
  const snapshot = (m: ReadonlyMap<string, StateResource>) =>
    JSON.stringify([...m.values()].sort((a, b) => (a.address < b.address ? -1 : 1)))
  const ops: HostOps = {
    dockerChange: async () => ({ids: {}}),
    restore: async (t) => {
      log.push(`restore ${t.table}`)
      if (failTables.includes(t.table)) throw new Error(`no ${t.table}`)
    },
  }
  let saved = ''
  const result = await applyPlan(p, new Map(prior.map((r) => [r.address, r])), {
    ops,
    listener: () => {},
    save: async (m) => {
      log.push('save')
      saved = snapshot(m)
    },
    stage: async (m): Promise<StagedSave> => {
      log.push('stage')
      const staged = snapshot(m)
      return {
        commit: async () => {
          log.push('commit')
          saved = staged
        },
        discard: async () => void log.push('discard'),
      }
    },
  })
  return {log, saved, result, snapshot}
}

describe('apply engine with a staged save', () => {
  const p = plan(
    [rule('rule.a', [L('-j ACCEPT')]), rule('port_forward.b', [L('-j DNAT', 'nat')])],
    [tx('filter'), tx('nat')],
  )

  it('stages while the restores run and commits the staged save when every transaction committed', async () => {
    const {log, saved, result, snapshot} = await run(p, [])
    expect(log).toEqual(['stage', 'restore filter', 'restore nat', 'commit'])
    expect(result.ok).toBe(true)
    // What was committed is what the engine recorded
    expect(saved).toBe(snapshot(result.resources))
    expect(result.resources.get('rule.a')?.lines).toEqual([L('-j ACCEPT')])
  })

  it('discards the staged save and saves what did happen when a transaction failed', async () => {
    const {log, saved, result, snapshot} = await run(p, ['nat'])
    expect(log).toEqual(['stage', 'restore filter', 'restore nat', 'discard', 'save'])
    expect(result.ok).toBe(false)
    expect(saved).toBe(snapshot(result.resources))
    expect(result.resources.get('rule.a')?.lines).toEqual([L('-j ACCEPT')])
    expect(result.resources.has('port_forward.b')).toBe(false)
  })

  it('does not stage when there is no transaction', async () => {
    const q = plan([{...rule('rule.c', []), action: 'no-op', before: {}, lines: {before: [], after: []}}], [])
    const {log} = await run(q, [])
    expect(log).toEqual(['save'])
  })
})
