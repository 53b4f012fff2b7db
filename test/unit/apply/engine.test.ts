import {describe, expect, it} from 'vitest'

import {applyPlan} from '../../../src/apply/engine.js'
import {LockoutError} from '../../../src/errors.js'
import type {ApplyEvent} from '../../../src/apply/events.js'
import type {DockerResult, HostOps} from '../../../src/apply/host-ops.js'
import type {StateResource} from '../../../src/model/resources.js'
import type {Change, FirewallTransaction, Plan} from '../../../src/plan/types.js'

function plan(changes: Change[], firewall: FirewallTransaction[] = []): Plan {
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

const ch = (
  address: string,
  type: Change['type'],
  action: Change['action'],
  dependsOn: string[] = [],
  extra: Partial<Change> = {},
): Change => ({
  address,
  type,
  action,
  before: action === 'create' ? null : {name: address},
  after: action === 'delete' ? null : {name: address},
  reasons: [],
  dependsOn,
  ...extra,
})

function stubOps(
  opts: {fail?: Set<string>; failTx?: Set<string>; delayMs?: number} = {},
): HostOps & {log: string[]; maxParallel: number} {
  let active = 0
  const self = {
    log: [] as string[],
    maxParallel: 0,
    async dockerChange(c: Change): Promise<DockerResult> {
      active++
      self.maxParallel = Math.max(self.maxParallel, active)
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 1))
      active--
      if (opts.fail?.has(c.address)) throw new Error(`boom ${c.address}`)
      self.log.push(`${c.action} ${c.address}`)
      return c.type === 'network' && c.action === 'create'
        ? {ids: {id: `new-${c.address}`}, origin: 'created'}
        : {ids: {}}
    },
    async restore(tx: FirewallTransaction) {
      if (opts.failTx?.has(`${tx.namespace}/${tx.table}`))
        throw new Error(`restore failed in ${tx.namespace}/${tx.table}`)
      self.log.push(`restore ${tx.namespace}/${tx.table}`)
    },
  }
  return self
}

async function run(p: Plan, ops: HostOps, prior: StateResource[] = []) {
  const events: ApplyEvent[] = []
  const saves: number[] = []
  const result = await applyPlan(p, new Map(prior.map((r) => [r.address, r])), {
    ops,
    listener: (e) => events.push(e),
    save: async (m) => void saves.push(m.size),
    concurrency: 2,
  })
  return {result, events, saves}
}

describe('apply engine', () => {
  it('creates forwards along dependencies, then writes the firewall, then deletes backwards', async () => {
    const ops = stubOps()
    const p = plan(
      [
        ch('container.a.network.n', 'attachment', 'create', ['network.n']),
        ch('network.n', 'network', 'create'),
        ch('network.old', 'network', 'delete', [], {ids: {id: 'x'}, origin: 'created'}),
        ch('container.a.network.old', 'attachment', 'delete', ['network.old'], {ids: {container: 'a'}}),
        ch('rule.r', 'rule', 'create', ['container.a.network.n'], {
          lines: {
            before: [],
            after: [{namespace: 'host', family: 'ipv4', table: 'filter', chain: 'DOCKWALL-FORWARD', spec: '-j ACCEPT'}],
          },
        }),
      ],
      [
        {
          namespace: 'host',
          family: 'ipv4',
          backend: 'nft',
          table: 'filter',
          input: '*filter\nCOMMIT\n',
          addresses: ['rule.r'],
        },
      ],
    )
    const {result, events} = await run(p, ops)
    expect(result.ok).toBe(true)
    expect(ops.log).toEqual([
      'create network.n',
      'create container.a.network.n',
      'restore host/filter',
      'delete container.a.network.old',
      'delete network.old',
    ])
    expect(result.resources.get('network.n')).toMatchObject({ids: {id: 'new-network.n'}, origin: 'created'})
    expect(result.resources.get('rule.r')?.lines).toHaveLength(1)
    expect(events.at(-1)).toMatchObject({type: 'apply_done', ok: true, added: 3, changed: 0, destroyed: 2})
  })

  it('skips what depends on a failed step and says why, but runs independent steps', async () => {
    const ops = stubOps({fail: new Set(['network.n'])})
    const p = plan([
      ch('network.n', 'network', 'create'),
      ch('container.a.network.n', 'attachment', 'create', ['network.n']),
      ch('network.m', 'network', 'create'),
    ])
    const {result, events} = await run(p, ops)
    expect(result.ok).toBe(false)
    expect(result.failed).toEqual([{address: 'network.n', error: 'boom network.n'}])
    expect(result.skipped).toEqual([{address: 'container.a.network.n', reason: 'upstream failed: network.n'}])
    expect(ops.log).toEqual(['create network.m'])
    expect(result.resources.has('network.m')).toBe(true)
    expect(result.resources.has('network.n')).toBe(false)
    expect(events.filter((e) => e.type === 'change_skipped')).toHaveLength(1)
  })

  it('records exactly what committed when one table of a resource fails', async () => {
    const ops = stubOps({failTx: new Set(['host/nat'])})
    const lines = {
      before: [],
      after: [
        {
          namespace: 'host' as const,
          family: 'ipv4' as const,
          table: 'filter' as const,
          chain: 'DOCKWALL-FORWARD',
          spec: 'accept',
        },
        {
          namespace: 'host' as const,
          family: 'ipv4' as const,
          table: 'nat' as const,
          chain: 'DOCKWALL-PREROUTING',
          spec: 'dnat',
        },
      ],
    }
    const p = plan(
      [ch('port_forward.p', 'port_forward', 'create', [], {lines})],
      [
        {namespace: 'host', family: 'ipv4', backend: 'nft', table: 'filter', input: '', addresses: ['port_forward.p']},
        {namespace: 'host', family: 'ipv4', backend: 'nft', table: 'nat', input: '', addresses: ['port_forward.p']},
      ],
    )
    const {result} = await run(p, ops)
    expect(result.transactions).toEqual([
      {namespace: 'host', family: 'ipv4', table: 'filter', backend: 'nft', committed: true},
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'nat',
        backend: 'nft',
        committed: false,
        error: 'restore failed in host/nat',
      },
    ])
    expect(result.failed[0]).toEqual({address: 'port_forward.p', error: 'host/nat: restore failed in host/nat'})
    expect(result.resources.get('port_forward.p')?.lines?.map((l) => l.spec)).toEqual(['accept'])
  })

  it('bounds parallel Docker operations', async () => {
    const ops = stubOps({delayMs: 10})
    const p = plan(Array.from({length: 8}, (_, i) => ch(`network.n${i}`, 'network', 'create')))
    await run(p, ops)
    expect(ops.maxParallel).toBe(2)
  })

  it('saves the state after every step', async () => {
    const ops = stubOps()
    const p = plan([ch('network.a', 'network', 'create'), ch('network.b', 'network', 'create', ['network.a'])])
    const {saves} = await run(p, ops)
    expect(saves).toEqual([1, 2])
  })

  it('forgets adopted objects without touching Docker', async () => {
    const ops = stubOps()
    const prior: StateResource[] = [
      {address: 'network.x', type: 'network', ids: {id: 'x'}, origin: 'adopted', attributes: {}},
    ]
    const {result} = await run(
      plan([ch('network.x', 'network', 'delete', [], {ids: {id: 'x'}, origin: 'adopted', forget: true})]),
      ops,
      prior,
    )
    expect(ops.log).toEqual([])
    expect(result.resources.size).toBe(0)
  })

  it('frames the firewall phase in batch events that name its transactions', async () => {
    const ops = stubOps()
    const rule = (i: number) =>
      ch(`rule.r${i}`, 'rule', 'create', [], {
        lines: {
          before: [],
          after: [{namespace: 'host', family: 'ipv4', table: 'filter', chain: 'DOCKWALL-FORWARD', spec: `r${i}`}],
        },
      })
    const n = 3000
    const addresses = Array.from({length: n}, (_, i) => `rule.r${i}`)
    const p = plan(
      [ch('network.n', 'network', 'create'), ...Array.from({length: n}, (_, i) => rule(i))],
      [{namespace: 'host', family: 'ipv4', backend: 'nft', table: 'filter', input: '', addresses}],
    )
    const {result, events} = await run(p, ops)
    expect(result.ok).toBe(true)
    const types = events.map((e) => e.type)
    const start = types.indexOf('batch_start')
    const done = types.indexOf('batch_done')
    expect(events[start]).toEqual({type: 'batch_start', label: 'iptables', changes: n, transactions: ['host/filter']})
    // The network is created before the batch; every rule starts and finishes inside it.
    expect(types.slice(0, start)).toContain('change_done')
    expect(types.slice(start + 1, done).filter((t) => t === 'change_start')).toHaveLength(n)
    expect(types.slice(start + 1, done).filter((t) => t === 'change_done')).toHaveLength(n)
    expect(events.at(-1)).toMatchObject({type: 'apply_done', added: n + 1})
  })

  it('sends no batch events when there is no firewall work', async () => {
    const {events} = await run(plan([ch('network.n', 'network', 'create')]), stubOps())
    expect(events.some((e) => e.type === 'batch_start' || e.type === 'batch_done')).toBe(false)
  })

  it('checks before every host change that it may still change the host, and stops at once when not', async () => {
    const ops = stubOps()
    const tx = (table: FirewallTransaction['table']): FirewallTransaction => ({
      namespace: 'host',
      family: 'ipv4',
      backend: 'nft',
      table,
      input: `*${table}\nCOMMIT\n`,
      addresses: [],
    })
    const p = plan(
      [
        ch('network.a', 'network', 'create'),
        ch('network.b', 'network', 'create', ['network.a']),
        ch('rule.r', 'rule', 'create', [], {
          lines: {
            before: [],
            after: [{namespace: 'host', family: 'ipv4', table: 'filter', chain: 'DOCKWALL-FORWARD', spec: '-j ACCEPT'}],
          },
        }),
      ],
      [{...tx('filter'), addresses: ['rule.r']}, tx('nat')],
    )
    const checks: string[] = []
    let allowed = 2
    const result = await applyPlan(p, new Map(), {
      ops,
      listener: () => {},
      save: async () => {},
      concurrency: 1,
      beforeHostChange: async () => {
        checks.push(ops.log.join(','))
        // A force-unlock after the second change: the holder must notice before the third.
        if (allowed-- <= 0) throw new Error('dockwall no longer holds the state lock')
      },
    })
    // Checked before each of the two Docker changes and before the first restore, which it refuses.
    expect(checks).toEqual(['', 'create network.a', 'create network.a,create network.b'])
    expect(ops.log).toEqual(['create network.a', 'create network.b'])
    expect(result.ok).toBe(false)
    expect(result.failed).toEqual([{address: 'rule.r', error: 'host/filter: dockwall no longer holds the state lock'}])
    expect(result.transactions).toEqual([
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        backend: 'nft',
        committed: false,
        error: 'dockwall no longer holds the state lock',
      },
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'nat',
        backend: 'nft',
        committed: false,
        error: 'dockwall no longer holds the state lock',
      },
    ])
  })

  // Issue 14: an attachment without a static address gets one from Docker during the apply; a
  // rule about its container planned before knew only its other addresses, so every plan after
  // the apply showed the rule changed. The firewall part is planned again once Docker is done.
  describe('planning the firewall again once Docker has attached containers', () => {
    const line = (spec: string) => ({
      namespace: 'host' as const,
      family: 'ipv4' as const,
      table: 'filter' as const,
      chain: 'DOCKWALL-FORWARD',
      spec,
    })
    const ruleTx = (spec: string): FirewallTransaction => ({
      namespace: 'host',
      family: 'ipv4',
      backend: 'nft',
      table: 'filter',
      input: `*filter\n-A DOCKWALL-FORWARD ${spec}\nCOMMIT\n`,
      addresses: ['rule.r'],
    })
    const ruleChange = (spec: string, address = 'rule.r') =>
      ch(address, 'rule', 'create', ['container.c'], {lines: {before: [], after: [line(spec)]}})
    const reviewed = (first: Change) =>
      plan(
        [ch('network.n', 'network', 'create'), first, ruleChange('-s 172.17.0.2/32 -j ACCEPT')],
        [ruleTx('-s 172.17.0.2/32 -j ACCEPT')],
      )
    const again = plan([ruleChange('-s 10.88.1.128/32 -j ACCEPT')], [ruleTx('-s 10.88.1.128/32 -j ACCEPT')])

    async function applyWith(
      p: Plan,
      replan: Plan | undefined,
      checkReplanned?: (plan: Plan) => Promise<void>,
      inputs: string[] = [],
    ) {
      const asked: string[][] = []
      const ops: HostOps = {
        dockerChange: async () => ({ids: {}}),
        restore: async (tx) => void inputs.push(tx.input),
      }
      const result = await applyPlan(p, new Map(), {
        ops,
        listener: () => {},
        save: async () => {},
        replanFirewall: async (resources) => {
          asked.push([...resources.keys()].sort())
          return replan
        },
        ...(checkReplanned ? {checkReplanned} : {}),
      })
      return {result, inputs, asked}
    }

    // The SSH guard passed the reviewed plan only: the rules planned again are checked too,
    // and a refusal writes none of them (nor the reviewed ones).
    it('checks the plan made again before writing it; a refusal writes no rule', async () => {
      const attach = ch('container.c.network.n', 'attachment', 'create', ['network.n'])
      const checked: Plan[] = []
      const inputs: string[] = []
      const refuse = async (p: Plan): Promise<void> => {
        checked.push(p)
        throw new LockoutError('refusing to apply: rule.r would drop your SSH session')
      }
      await expect(applyWith(reviewed(attach), again, refuse, inputs)).rejects.toThrow(/rule\.r would drop/)
      expect(checked).toEqual([again])
      expect(inputs).toEqual([])
      // Passed: written as planned again.
      const ok = await applyWith(reviewed(attach), again, async () => {})
      expect(ok.inputs).toEqual(['*filter\n-A DOCKWALL-FORWARD -s 10.88.1.128/32 -j ACCEPT\nCOMMIT\n'])
    })

    it('does not check a plan made again that it will not write (it widens the reviewed one)', async () => {
      const attach = ch('container.c.network.n', 'attachment', 'create', ['network.n'])
      const wider = plan(
        [ruleChange('-s 10.88.1.128/32 -j ACCEPT'), ruleChange('-j DROP', 'rule.other')],
        [ruleTx('-s 10.88.1.128/32 -j ACCEPT')],
      )
      const checked: Plan[] = []
      await applyWith(reviewed(attach), wider, async (p) => void checked.push(p))
      expect(checked).toEqual([])
    })

    it('writes the rules as planned again, with the address Docker gave, and records those lines', async () => {
      const attach = ch('container.c.network.n', 'attachment', 'create', ['network.n'])
      const {result, inputs, asked} = await applyWith(reviewed(attach), again)
      // Asked once, after the Docker steps were recorded.
      expect(asked).toEqual([['container.c.network.n', 'network.n']])
      expect(inputs).toEqual(['*filter\n-A DOCKWALL-FORWARD -s 10.88.1.128/32 -j ACCEPT\nCOMMIT\n'])
      expect(result.ok).toBe(true)
      expect(JSON.stringify(result.resources.get('rule.r'))).toContain('10.88.1.128/32')
    })

    it('keeps the reviewed firewall part when no attachment was made', async () => {
      const {inputs, asked} = await applyWith(reviewed(ch('network.m', 'network', 'create')), again)
      expect(asked).toEqual([])
      expect(inputs).toEqual(['*filter\n-A DOCKWALL-FORWARD -s 172.17.0.2/32 -j ACCEPT\nCOMMIT\n'])
    })

    it('keeps the reviewed firewall part when planning again would change a declared resource the plan did not', async () => {
      const attach = ch('container.c.network.n', 'attachment', 'create', ['network.n'])
      const wider = plan(
        [ruleChange('-s 10.88.1.128/32 -j ACCEPT'), ruleChange('-j DROP', 'rule.other')],
        [ruleTx('-s 10.88.1.128/32 -j ACCEPT')],
      )
      const {inputs, asked} = await applyWith(reviewed(attach), wider)
      expect(asked).toHaveLength(1)
      expect(inputs).toEqual(['*filter\n-A DOCKWALL-FORWARD -s 172.17.0.2/32 -j ACCEPT\nCOMMIT\n'])
    })
  })
})
