// Engines (issue 12). Raw openings: on engines that drop, in raw PREROUTING, packets for a
// container that do not come from its own bridge (Docker 28+), every forward accept
// towards a container address gets an ACCEPT with the same match in dockwall's raw
// DOCKWALL-PREROUTING, rendered under its resource, jumped to from the top of raw
// PREROUTING; engines without those drops get none. Docker 29 with its nftables
// firewall backend is refused.
import {describe, expect, it} from 'vitest'

import {recordChange} from '../../../src/apply/record.js'
import type {PriorState, StateResource} from '../../../src/model/resources.js'
import {makePlan, needsRawOpenings, type PlanInputs} from '../../../src/plan/planner.js'
import type {Change, Plan} from '../../../src/plan/types.js'
import type {ActualModel, ActualNamespace} from '../../../src/refresh/types.js'
import {
  actual,
  attachment,
  c,
  chains,
  cidr,
  container,
  dockerContainer,
  dockerHost,
  dockerNetwork,
  model,
  n,
  network,
  portForward,
  rule,
} from './builders.js'
import {applyTransactions} from './simulate.js'

const opts = {mode: 'normal' as const, targets: [], dockwallVersion: '0.0.0-test'}

function plan(inputs: PlanInputs, mode: 'normal' | 'destroy' = 'normal'): Plan {
  const {plan: p, errors} = makePlan(inputs, {...opts, mode})
  expect(errors).toEqual([])
  return p
}

function change(p: Plan, address: string): Change {
  const found = p.changes.find((x) => x.address === address)
  if (!found) throw new Error(`no change for ${address}; have ${p.changes.map((x) => x.address).join(', ')}`)
  return found
}

function stateAfter(p: Plan, prev: PriorState | null = null): PriorState {
  const m = new Map<string, StateResource>((prev?.resources ?? []).map((r) => [r.address, r]))
  for (const ch of p.changes) recordChange(m, ch, {ids: {}})
  return {serial: (prev?.serial ?? 0) + 1, lineage: 'L', resources: [...m.values()]}
}

/** A Docker 28.5 host: DOCKER-USER without RETURN, DOCKER-FORWARD, and raw drops for api and web. */
function docker28Host(
  raw: string[] = ['-d 10.0.2.10/32 ! -i br-back -j DROP', '-d 10.0.1.10/32 ! -i br-front -j DROP'],
) {
  const host = dockerHost()
  const filter = host.tables.filter!
  filter.chains = chains({
    INPUT: [],
    FORWARD: ['-j DOCKER-USER', '-j DOCKER-FORWARD'],
    OUTPUT: [],
    'DOCKER-USER': [],
    'DOCKER-FORWARD': ['-j DOCKER-CT', '-j DOCKER-ISOLATION-STAGE-1', '-j DOCKER-BRIDGE'],
  })
  host.tables.raw = {name: 'raw', chains: chains({PREROUTING: raw, OUTPUT: []})}
  return host
}

const networks = [dockerNetwork('front', '10.0.1.0/24'), dockerNetwork('back', '10.0.2.0/24')]
const containers = [
  dockerContainer('web', [{network: 'front', ip: '10.0.1.10', static: true}]),
  dockerContainer('api', [{network: 'back', ip: '10.0.2.10', static: true}]),
]

function world(version: string, host: ActualNamespace): ActualModel {
  const a = actual({networks, containers, namespaces: [host]})
  a.docker.engine = {version, apiVersion: '1.51'}
  return a
}

const desired = model({
  networks: [network('front', '10.0.1.0/24'), network('back', '10.0.2.0/24')],
  containers: [
    container('web', [attachment('web', 'front', '10.0.1.10')]),
    container('api', [attachment('api', 'back', '10.0.2.10')]),
  ],
  rules: [
    rule('web_to_api', {from: [c('web')], to: [c('api')], proto: 'tcp', ports: [{from: 8080, to: 8081}]}),
    rule('vpn_to_web', {from: [cidr('198.18.0.0/24')], to: [c('web')], inInterface: 'wg0', outInterface: 'br-front'}),
    rule('vpn_to_back', {from: [cidr('198.18.0.0/24')], to: [n('back')], proto: 'udp', ports: [{from: 53, to: 53}]}),
    rule('web_to_internet', {
      from: [c('web')],
      to: [cidr('192.0.2.0/24')],
      proto: 'tcp',
      ports: [{from: 443, to: 443}],
    }),
    rule('web_no_api', {from: [c('web')], to: [c('api')], action: 'drop', priority: 50}),
    rule('in_ssh', {chain: 'input', from: [cidr('198.18.0.0/24')], proto: 'tcp', ports: [{from: 22, to: 22}]}),
  ],
  portForwards: [portForward('wg_http', {inInterface: 'wg0', to: c('web')})],
})

const rawLines = (p: Plan, address: string): string[] =>
  (change(p, address).lines?.after ?? []).filter((l) => l.table === 'raw').map((l) => `${l.chain} ${l.spec}`)

describe('raw openings on Docker 28', () => {
  const a = world('28.5.2+dfsg4', docker28Host())
  const p = plan({model: desired, actual: a, prior: null})

  it('renders, under each forward accept towards a container, an ACCEPT with the same match and nothing wider', () => {
    expect(rawLines(p, 'rule.web_to_api')).toEqual([
      'DOCKWALL-PREROUTING -s 10.0.1.10/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080:8081 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    ])
    // The input interface stays, the output interface goes (raw PREROUTING runs before routing).
    expect(rawLines(p, 'rule.vpn_to_web')).toEqual([
      'DOCKWALL-PREROUTING -s 198.18.0.0/24 -d 10.0.1.10/32 -i wg0 -m comment --comment "dockwall:rule.vpn_to_web" -j ACCEPT',
    ])
    // A network destination: its subnet, as the filter line has it.
    expect(rawLines(p, 'rule.vpn_to_back')).toEqual([
      'DOCKWALL-PREROUTING -s 198.18.0.0/24 -d 10.0.2.0/24 -p udp -m udp --dport 53 -m comment --comment "dockwall:rule.vpn_to_back" -j ACCEPT',
    ])
  })

  it('opens nothing for drops, input rules, destinations outside Docker, and host-interface DNATs (raw sees the host address)', () => {
    for (const address of ['rule.web_no_api', 'rule.in_ssh', 'rule.web_to_internet', 'port_forward.wg_http'])
      expect(rawLines(p, address), address).toEqual([])
  })

  it('creates the raw chain and jumps to it from the top of raw PREROUTING, in a transaction of its own after filter', () => {
    expect(change(p, 'chain["host:raw:DOCKWALL-PREROUTING"]')).toMatchObject({
      action: 'create',
      after: {namespace: 'host', table: 'raw', chain: 'DOCKWALL-PREROUTING', jump_from: 'PREROUTING'},
    })
    // nat's DOCKWALL-PREROUTING keeps its own address.
    expect(change(p, 'chain["host:DOCKWALL-PREROUTING"]')).toMatchObject({after: {table: 'nat'}})
    expect(p.firewall.map((t) => `${t.namespace}/${t.table}`)).toEqual(['host/filter', 'host/nat', 'host/raw'])
    const raw = p.firewall.find((t) => t.table === 'raw')!
    expect(raw.input.split('\n')).toEqual([
      '*raw',
      ':DOCKWALL-PREROUTING - [0:0]',
      '-A DOCKWALL-PREROUTING -s 198.18.0.0/24 -d 10.0.2.0/24 -p udp -m udp --dport 53 -m comment --comment "dockwall:rule.vpn_to_back" -j ACCEPT',
      '-A DOCKWALL-PREROUTING -s 198.18.0.0/24 -d 10.0.1.10/32 -i wg0 -m comment --comment "dockwall:rule.vpn_to_web" -j ACCEPT',
      '-A DOCKWALL-PREROUTING -s 10.0.1.10/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080:8081 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
      '-I PREROUTING 1 -m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
      'COMMIT',
      '',
    ])
    expect(raw.addresses).toEqual([
      'chain["host:raw:DOCKWALL-PREROUTING"]',
      'rule.vpn_to_back',
      'rule.vpn_to_web',
      'rule.web_to_api',
    ])
  })

  it('settles: applied, the next plan is empty; deleted by hand, it is drift; destroy removes chain and jump', () => {
    const after = applyTransactions(a, p)
    expect(after.namespaces[0]!.tables.raw!.chains.find((x) => x.name === 'PREROUTING')!.rules[0]!.spec).toBe(
      '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
    )
    const state = stateAfter(p)
    const again = plan({model: desired, actual: after, prior: state})
    expect(again.firewall).toEqual([])
    expect(again.changes.filter((x) => x.action !== 'no-op')).toEqual([])

    // A raw opening removed by hand is drift of its rule, and only the raw table is rewritten.
    const edited = structuredClone(after)
    const rawChain = edited.namespaces[0]!.tables.raw!.chains.find((x) => x.name === 'DOCKWALL-PREROUTING')!
    rawChain.rules = rawChain.rules.filter((r) => r.comment !== 'dockwall:rule.web_to_api')
    const drifted = plan({model: desired, actual: edited, prior: state})
    expect(drifted.drift.map((d) => `${d.address} ${d.kind}`)).toEqual(['rule.web_to_api changed'])
    expect(change(drifted, 'rule.web_to_api').action).toBe('update')
    // The rule is rewritten where it lives (filter's content is the same, rewritten atomically).
    expect(drifted.firewall.map((t) => t.table)).toEqual(['filter', 'raw'])

    const gone = plan({model: desired, actual: after, prior: state}, 'destroy')
    const destroyed = applyTransactions(after, gone)
    const rawAfter = destroyed.namespaces[0]!.tables.raw!
    expect(rawAfter.chains.map((x) => x.name)).toEqual(['PREROUTING', 'OUTPUT'])
    expect(rawAfter.chains[0]!.rules.map((r) => r.spec)).toEqual(
      docker28Host().tables.raw!.chains[0]!.rules.map((r) => r.spec),
    )
  })

  it('puts its jump back on top when something was inserted above it (Docker restarted, a firewall reloaded)', () => {
    const after = applyTransactions(a, p)
    const prerouting = after.namespaces[0]!.tables.raw!.chains.find((x) => x.name === 'PREROUTING')!
    prerouting.rules.unshift({spec: '-d 10.0.1.99/32 ! -i br-front -j DROP', target: 'DROP'})
    const q = plan({model: desired, actual: after, prior: stateAfter(p)})
    expect(q.drift.map((d) => `${d.address} ${d.kind}`)).toEqual(['chain["host:raw:DOCKWALL-PREROUTING"] jump-missing'])
    const raw = q.firewall.find((t) => t.table === 'raw')!
    expect(raw.input).toContain('-D PREROUTING -m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING')
    expect(raw.input).toContain('-I PREROUTING 1 -m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING')
    // The other tables are not touched for it.
    expect(q.firewall.map((t) => t.table)).toEqual(['raw'])
  })
})

describe('reply openings on Docker 28', () => {
  // Verified on Docker 28.5 (nft): with masquerading (Docker's default) a reply from another
  // bridge is addressed to the gateway, and raw lets it pass; on a network that does not
  // masquerade it is addressed to the container, and Docker's raw drop for it takes it.
  const noMasq = {'com.docker.network.bridge.enable_ip_masquerade': 'false'}
  const on = (frontOptions: Record<string, string>): Plan => {
    const a = world('28.5.2', docker28Host())
    a.docker.networks = [
      dockerNetwork('front', '10.0.1.0/24', {options: frontOptions}),
      dockerNetwork('back', '10.0.2.0/24'),
    ]
    const m = {
      ...desired,
      networks: [network('front', '10.0.1.0/24', {options: frontOptions}), network('back', '10.0.2.0/24')],
    }
    return plan({model: m, actual: a, prior: null})
  }

  it('are written only where the source network does not masquerade, mirroring the flow', () => {
    expect(rawLines(on({}), 'rule.web_to_api')).toHaveLength(1)
    expect(rawLines(on(noMasq), 'rule.web_to_api')).toEqual([
      'DOCKWALL-PREROUTING -s 10.0.1.10/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080:8081 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
      'DOCKWALL-PREROUTING -s 10.0.2.10/32 -d 10.0.1.10/32 -p tcp -m tcp --sport 8080:8081 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    ])
    // A source outside Docker's bridges (a VPN) gets its replies routed, not dropped: nothing more.
    expect(rawLines(on(noMasq), 'rule.vpn_to_web')).toHaveLength(1)
  })

  it('a network declared without masquerading counts before Docker has it', () => {
    const m = {
      ...desired,
      networks: [network('front', '10.0.1.0/24', {options: noMasq}), network('back', '10.0.2.0/24')],
    }
    const a = world('28.5.2', docker28Host())
    a.docker.networks = []
    a.docker.containers = []
    const lines = (
      plan({model: m, actual: a, prior: null}).changes.find((x) => x.address === 'rule.web_to_api')?.lines?.after ?? []
    ).filter((l) => l.table === 'raw')
    expect(lines.map((l) => l.spec)).toContain(
      '-s 10.0.2.10/32 -d 10.0.1.10/32 -p tcp -m tcp --sport 8080:8081 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    )
  })
})

describe('engines without raw drops', () => {
  it.each(['20.10.24+dfsg1', '26.1.5+dfsg1'])('Docker %s gets no raw line and no raw chain', (version) => {
    const host = dockerHost()
    host.tables.raw = {name: 'raw', chains: chains({PREROUTING: [], OUTPUT: []})}
    const p = plan({model: desired, actual: world(version, host), prior: null})
    expect(p.changes.flatMap((x) => x.lines?.after ?? []).filter((l) => l.table === 'raw')).toEqual([])
    expect(p.changes.map((x) => x.address)).not.toContain('chain["host:raw:DOCKWALL-PREROUTING"]')
    expect(p.firewall.map((t) => t.table)).toEqual(['filter', 'nat'])
  })

  it('an engine whose version does not say, but whose raw table holds Docker drops, gets openings', () => {
    const a = world('', docker28Host())
    expect(needsRawOpenings(a)).toBe(true)
    expect(needsRawOpenings(world('', docker28Host([])))).toBe(false)
    expect(needsRawOpenings(world('28.0.0', docker28Host([])))).toBe(true)
    expect(rawLines(plan({model: desired, actual: a, prior: null}), 'rule.web_to_api')).toHaveLength(1)
  })

  it('removes raw openings left from a newer engine (a downgrade)', () => {
    const on28 = world('28.5.2', docker28Host())
    const p28 = plan({model: desired, actual: on28, prior: null})
    const applied = applyTransactions(on28, p28)
    applied.docker.engine = {version: '26.1.5', apiVersion: '1.45'}
    // Docker 26 writes no raw drops (were 28's still there, the openings would still be needed and stay).
    const prerouting = applied.namespaces[0]!.tables.raw!.chains[0]!
    prerouting.rules = prerouting.rules.filter((r) => r.target !== 'DROP')
    const p26 = plan({model: desired, actual: applied, prior: stateAfter(p28)})
    expect(change(p26, 'chain["host:raw:DOCKWALL-PREROUTING"]').action).toBe('delete')
    expect(change(p26, 'rule.web_to_api').action).toBe('update')
    const raw = applyTransactions(applied, p26).namespaces[0]!.tables.raw!
    expect(raw.chains.map((x) => x.name)).toEqual(['PREROUTING', 'OUTPUT'])
  })
})

describe("Docker 29's nftables firewall backend", () => {
  it('makes the plan unusable with one clear error, so plan and apply refuse and change nothing', () => {
    const a = world('29.1.0', docker28Host([]))
    a.docker.engine.firewallBackend = 'nftables'
    const {errors} = makePlan({model: desired, actual: a, prior: null}, opts)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.summary).toBe(
      "Docker Engine 29.1.0 uses its nftables firewall backend (FirewallBackend: nftables); dockwall supports Docker's iptables backend only",
    )
    expect(errors[0]!.detail).toContain('"firewall-backend": "nftables"')
  })
})
