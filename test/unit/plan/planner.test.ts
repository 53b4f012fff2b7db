import {describe, expect, it} from 'vitest'

import {recordChange} from '../../../src/apply/record.js'
import {normalizeRuleSpec} from '../../../src/netfilter/index.js'
import {makePlan, type PlanInputs, type PlanOptions} from '../../../src/plan/planner.js'
import type {Origin, StateResource, PriorState} from '../../../src/model/resources.js'
import type {Change, Plan} from '../../../src/plan/types.js'
import type {ActualModel} from '../../../src/refresh/types.js'
import {
  actual,
  attachment,
  c,
  cidr,
  container,
  dockerContainer,
  dockerHost,
  dockerNetwork,
  masquerade,
  model,
  namespace,
  network,
  portForward,
  route,
  rule,
} from './builders.js'
import {applyTransactions} from './simulate.js'

const opts: PlanOptions = {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'}
const normalize = (spec: string): string => normalizeRuleSpec(spec)

function plan(inputs: PlanInputs, o: Partial<PlanOptions> = {}): Plan {
  const {plan: p, errors} = makePlan(inputs, {...opts, ...o})
  expect(errors).toEqual([])
  return p
}

function change(p: Plan, address: string): Change {
  const found = p.changes.find((x) => x.address === address)
  if (!found) throw new Error(`no change for ${address}; have ${p.changes.map((x) => x.address).join(', ')}`)
  return found
}

function actions(p: Plan): Record<string, string> {
  return Object.fromEntries(p.changes.map((x) => [x.address, x.action]))
}

/** The state apply would record after applying every change of `p`. */
function stateAfter(p: Plan, prev: PriorState | null = null): PriorState {
  const m = new Map<string, StateResource>((prev?.resources ?? []).map((r) => [r.address, r]))
  for (const ch of p.changes)
    recordChange(
      m,
      ch,
      ch.type === 'network' && !ch.ids?.id ? {ids: {id: `id-${String(ch.after?.name)}`}, origin: 'created'} : undefined,
    )
  return {serial: (prev?.serial ?? 0) + 1, lineage: 'L', resources: [...m.values()]}
}

// A world with two networks, two containers with static IPs (lb running with a route), and one of every firewall resource.
const full = model({
  networks: [network('frontend', '172.18.103.0/24', {gateway: '172.18.103.1'}), network('backend', '172.18.104.0/24')],
  containers: [
    container(
      'lb',
      [attachment('lb', 'frontend', '172.18.103.2', ['lb'])],
      [route('lb', '10.8.0.0/24', '172.18.103.1')],
      'smarthost_loadbalancer',
    ),
    container('backend', [attachment('backend', 'backend', '172.18.104.2')]),
  ],
  rules: [
    rule('backend_to_lb', {
      from: [c('backend')],
      to: [c('lb')],
      proto: 'tcp',
      ports: [
        {from: 80, to: 80},
        {from: 443, to: 443},
      ],
    }),
  ],
  portForwards: [
    portForward('wg_http', {inInterface: 'wg0', to: c('lb')}),
    portForward('lb_inside', {inContainer: 'lb', port: 8080, toPort: 80, to: c('lb')}),
  ],
  masquerades: [masquerade('backend_out', {kind: 'network', network: 'backend'}, {outInterface: 'eth0'})],
})

/** The host after Docker made the networks and the containers exist with their static IPs. */
function dockerReady(): ActualModel {
  return actual({
    networks: [dockerNetwork('frontend', '172.18.103.0/24'), dockerNetwork('backend', '172.18.104.0/24')],
    containers: [
      dockerContainer(
        'smarthost_loadbalancer',
        [{network: 'frontend', ip: '172.18.103.2', static: true, aliases: ['lb', 'smarthost_lo']}],
        {pid: 100},
      ),
      dockerContainer('backend', [{network: 'backend', ip: '172.18.104.2', static: true}], {pid: 200}),
    ],
    namespaces: [
      dockerHost(),
      namespace('container.lb', {}, {}, {routes: [{destination: '172.18.103.0/24', family: 'ipv4', dev: 'eth0'}]}),
    ],
  })
}

describe('planner on an empty host', () => {
  const empty = actual({
    containers: [dockerContainer('smarthost_loadbalancer', [], {pid: 100}), dockerContainer('backend', [], {pid: 200})],
    namespaces: [dockerHost(), namespace('container.lb', {}, {}, {routes: []})],
  })
  const p = plan({model: full, actual: empty, prior: null})

  it('creates every resource type', () => {
    expect(actions(p)).toEqual({
      'chain["container.lb:DOCKWALL-PREROUTING"]': 'create',
      'chain["host:DOCKWALL-FORWARD"]': 'create',
      'chain["host:DOCKWALL-POSTROUTING"]': 'create',
      'chain["host:DOCKWALL-PREROUTING"]': 'create',
      'container.backend.network.backend': 'create',
      'container.lb.network.frontend': 'create',
      'container.lb.route["10.8.0.0/24"]': 'create',
      firewall: 'create',
      'masquerade.backend_out': 'create',
      'network.backend': 'create',
      'network.frontend': 'create',
      'port_forward.lb_inside': 'create',
      'port_forward.wg_http': 'create',
      'rule.backend_to_lb': 'create',
    })
  })

  it('renders rules in iptables-save normal form with ownership comments', () => {
    expect(change(p, 'rule.backend_to_lb').lines?.after.map((l) => `${l.chain} ${l.spec}`)).toEqual([
      'DOCKWALL-FORWARD -s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment "dockwall:rule.backend_to_lb" -j ACCEPT',
    ])
    expect(change(p, 'port_forward.lb_inside').lines?.after).toEqual([
      {
        namespace: 'container.lb',
        family: 'ipv4',
        table: 'nat',
        chain: 'DOCKWALL-PREROUTING',
        spec: '-p tcp -m tcp --dport 8080 -m comment --comment "dockwall:port_forward.lb_inside" -j REDIRECT --to-ports 80',
      },
    ])
  })

  it('writes one transaction per namespace and table, filter before nat, host first', () => {
    expect(p.firewall.map((t) => `${t.namespace}/${t.table}`)).toEqual(['host/filter', 'host/nat', 'container.lb/nat'])
    expect(p.firewall[0]?.input).toBe(
      [
        '*filter',
        ':DOCKWALL-FORWARD - [0:0]',
        '-A DOCKWALL-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "dockwall:firewall" -j ACCEPT',
        '-A DOCKWALL-FORWARD -d 172.18.103.2/32 -i wg0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment "dockwall:port_forward.wg_http" -j ACCEPT',
        '-A DOCKWALL-FORWARD -s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment "dockwall:rule.backend_to_lb" -j ACCEPT',
        '-I DOCKER-USER 1 -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD',
        'COMMIT',
        '',
      ].join('\n'),
    )
  })

  it('orders attachments after their network and routes after the attachments', () => {
    expect(change(p, 'container.lb.network.frontend').dependsOn).toEqual(['network.frontend'])
    expect(change(p, 'container.lb.route["10.8.0.0/24"]').dependsOn).toEqual(['container.lb.network.frontend'])
    expect(change(p, 'rule.backend_to_lb').dependsOn).toEqual([
      'container.backend.network.backend',
      'container.lb.network.frontend',
      'firewall',
    ])
    expect(change(p, 'masquerade.backend_out').dependsOn).toEqual(['network.backend'])
  })
})

describe('planner after apply', () => {
  const base = dockerReady()
  const first = plan({model: full, actual: base, prior: null})
  const applied = applyTransactions(base, first)
  applied.namespaces[1]!.routes!.push({destination: '10.8.0.0/24', family: 'ipv4', via: '172.18.103.1'})
  const state = stateAfter(first)

  it('shows no changes when the host matches', () => {
    const again = plan({model: full, actual: applied, prior: state})
    expect(again.changes.filter((x) => x.action !== 'no-op')).toEqual([])
    expect(again.firewall).toEqual([])
    expect(again.drift).toEqual([])
  })

  it('shows a rule deleted by hand as drift plus a create', () => {
    const tampered = structuredClone(applied)
    const fwd = tampered.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKWALL-FORWARD')!
    fwd.rules = fwd.rules.filter((r) => r.comment !== 'dockwall:rule.backend_to_lb')
    const p = plan({model: full, actual: tampered, prior: state})
    expect(p.drift).toEqual([
      {
        address: 'rule.backend_to_lb',
        kind: 'deleted',
        summary: 'its 1 iptables line was removed outside dockwall (a firewall reload?)',
      },
    ])
    expect(actions(p)['rule.backend_to_lb']).toBe('create')
    expect(p.firewall.map((t) => `${t.namespace}/${t.table}`)).toEqual(['host/filter'])
  })

  it('removes a foreign rule inserted in an owned chain, reported as drift', () => {
    const tampered = structuredClone(applied)
    tampered.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKWALL-FORWARD')!.rules.splice(1, 0, {
      spec: '-s 6.6.6.6/32 -j ACCEPT',
      target: 'ACCEPT',
    })
    const p = plan({model: full, actual: tampered, prior: state})
    expect(p.drift.map((d) => d.kind)).toEqual(['foreign-rule'])
    const ch = change(p, 'chain["host:DOCKWALL-FORWARD"]')
    expect(ch.action).toBe('update')
    expect(ch.reasons).toEqual(['remove 1 rule not written by dockwall'])
    expect(p.firewall[0]?.input).not.toContain('6.6.6.6')
    const fixed = applyTransactions(tampered, p)
    expect(plan({model: full, actual: fixed, prior: state}).firewall).toEqual([])
  })

  it('restores a jump that a firewall reload removed', () => {
    const tampered = structuredClone(applied)
    const du = tampered.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKER-USER')!
    du.rules = du.rules.filter((r) => r.target !== 'DOCKWALL-FORWARD')
    const p = plan({model: full, actual: tampered, prior: state})
    expect(p.drift).toEqual([
      {
        address: 'chain["host:DOCKWALL-FORWARD"]',
        kind: 'jump-missing',
        summary: 'the jump to DOCKWALL-FORWARD is missing from DOCKER-USER',
      },
    ])
    expect(p.firewall[0]?.input).toContain('-I DOCKER-USER 1 -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
  })

  it('moves a jump that is no longer first', () => {
    const tampered = structuredClone(applied)
    tampered.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKER-USER')!.rules.unshift({
      spec: '-s 1.2.3.4/32 -j DROP',
      target: 'DROP',
    })
    const p = plan({model: full, actual: tampered, prior: state})
    expect(change(p, 'chain["host:DOCKWALL-FORWARD"]').reasons).toEqual(['move the jump to the top of DOCKER-USER'])
    const fixed = applyTransactions(tampered, p)
    const du = fixed.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKER-USER')!
    expect(du.rules.map((r) => r.target)).toEqual(['DOCKWALL-FORWARD', 'DROP', 'RETURN'])
  })

  it('updates a rule when a container gets another address', () => {
    const moved = structuredClone(applied)
    moved.docker.containers[0]!.endpoints.push({
      networkId: 'id-backend',
      networkName: 'backend',
      ipv4Address: '172.18.104.9',
      aliases: [],
    })
    const p = plan({model: full, actual: moved, prior: state})
    const ch = change(p, 'rule.backend_to_lb')
    expect(ch.action).toBe('update')
    expect(ch.reasons).toEqual(['1 line to add'])
    expect(ch.lines?.after.map((l) => l.spec.split(' -p')[0])).toEqual([
      '-s 172.18.104.2/32 -d 172.18.103.2/32',
      '-s 172.18.104.2/32 -d 172.18.104.9/32',
    ])
  })

  it('deletes what left the configuration and removes chains that end up empty', () => {
    const smaller = model({...full, rules: [], portForwards: [], masquerades: [], routes: undefined} as never)
    const p = plan({
      model: {...smaller, networks: full.networks, containers: full.containers},
      actual: applied,
      prior: state,
    })
    expect(actions(p)).toMatchObject({
      'rule.backend_to_lb': 'delete',
      'port_forward.wg_http': 'delete',
      'port_forward.lb_inside': 'delete',
      'masquerade.backend_out': 'delete',
      firewall: 'delete',
      'chain["host:DOCKWALL-FORWARD"]': 'delete',
      'chain["host:DOCKWALL-PREROUTING"]': 'delete',
      'chain["host:DOCKWALL-POSTROUTING"]': 'delete',
      'chain["container.lb:DOCKWALL-PREROUTING"]': 'delete',
    })
    expect(p.firewall[0]?.input).toBe(
      [
        '*filter',
        ':DOCKWALL-FORWARD - [0:0]',
        '-D DOCKER-USER -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD',
        '-X DOCKWALL-FORWARD',
        'COMMIT',
        '',
      ].join('\n'),
    )
    const after = applyTransactions(applied, p)
    expect(after.namespaces[0]).toEqual(base.namespaces[0])
  })

  it('destroy removes everything dockwall made and releases what it adopted', () => {
    const p = plan({model: full, actual: applied, prior: state}, {mode: 'destroy'})
    expect(Object.values(actions(p)).every((a) => a === 'delete')).toBe(true)
    expect(change(p, 'network.frontend').reasons).toEqual([
      'dockwall adopted this network and did not create it: it is released from the state, not removed from Docker',
    ])
    const after = applyTransactions(applied, p)
    expect(after.namespaces.map((x) => x.tables)).toEqual(base.namespaces.map((x) => x.tables))
  })

  it('is deterministic: the same inputs give the same bytes, whatever the input order', () => {
    const shuffled = structuredClone(applied)
    shuffled.docker.containers.reverse()
    shuffled.docker.networks.reverse()
    shuffled.namespaces.reverse()
    const m2 = {
      ...full,
      rules: [...full.rules].reverse(),
      networks: [...full.networks].reverse(),
      portForwards: [...full.portForwards].reverse(),
    }
    const a = JSON.stringify(plan({model: full, actual: applied, prior: state}))
    const b = JSON.stringify(
      plan({model: m2, actual: shuffled, prior: {...state, resources: [...state.resources].reverse()}}),
    )
    expect(b).toBe(a)
  })
})

describe('networks', () => {
  const state = (attrs: Record<string, unknown>, origin: Origin = 'created'): PriorState => ({
    serial: 1,
    lineage: 'L',
    resources: [
      {address: 'network.frontend', type: 'network', ids: {id: 'id-frontend'}, origin, attributes: attrs as never},
    ],
  })
  const m = model({
    networks: [network('frontend', '172.18.103.0/24')],
    containers: [container('lb', [attachment('lb', 'frontend', '172.18.103.2')])],
  })

  it('replaces a network whose subnet changed and says which containers it disconnects', () => {
    const a = actual({
      networks: [dockerNetwork('frontend', '172.18.99.0/24')],
      containers: [
        dockerContainer('lb', [{network: 'frontend', ip: '172.18.99.2', static: true}]),
        dockerContainer('other', [{network: 'frontend', ip: '172.18.99.3'}]),
      ],
    })
    const p = plan({model: m, actual: a, prior: state({name: 'frontend', subnet: '172.18.99.0/24'})})
    const ch = change(p, 'network.frontend')
    expect(ch.action).toBe('replace')
    expect(ch.disconnects).toEqual(['lb', 'other'])
    expect(ch.reasons).toEqual([
      'subnet: "172.18.99.0/24" → "172.18.103.0/24" (forces replacement: Docker networks cannot be changed in place)',
    ])
    // The attribute that forces it, as data (the JSON's replace_paths, the text's "# forces replacement").
    expect(ch.replacePaths).toEqual(['subnet'])
    expect(change(p, 'container.lb.network.frontend').action).toBe('replace')
    // Reconnected because its network is replaced: no attribute of its own forces it.
    expect(change(p, 'container.lb.network.frontend').replacePaths).toBeUndefined()
  })

  it('replaces an unchanged managed network and its attachment when --replace asks, and only then (issue 14)', () => {
    const a = actual({
      networks: [dockerNetwork('frontend', '172.18.103.0/24')],
      containers: [dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true}])],
    })
    const prior: PriorState = {
      ...state({name: 'frontend', subnet: '172.18.103.0/24'}),
      resources: [
        ...state({name: 'frontend', subnet: '172.18.103.0/24'}).resources,
        {
          address: 'container.lb.network.frontend',
          type: 'attachment',
          ids: {container: 'id-lb'},
          origin: 'created',
          attributes: {},
        },
      ],
    }
    // Given nothing differs, the plan keeps both
    expect(change(plan({model: m, actual: a, prior}), 'network.frontend').action).toBe('no-op')
    // When the network is named, it is replaced as requested, with no attribute forcing it; its container is reconnected
    const p = plan({model: m, actual: a, prior}, {replace: ['network.frontend']})
    expect(change(p, 'network.frontend')).toMatchObject({
      action: 'replace',
      requested: true,
      reasons: ['replacement requested with --replace'],
      disconnects: ['lb'],
    })
    expect(change(p, 'network.frontend').replacePaths).toBeUndefined()
    expect(change(p, 'container.lb.network.frontend')).toMatchObject({action: 'replace'})
    expect(change(p, 'container.lb.network.frontend').requested).toBeUndefined()
    // When only the attachment is named, only it is reconnected
    const q = plan({model: m, actual: a, prior}, {replace: ['container.lb.network.frontend']})
    expect(change(q, 'network.frontend').action).toBe('no-op')
    expect(change(q, 'container.lb.network.frontend')).toMatchObject({action: 'replace', requested: true})
    // An object the state does not manage is never replaced on request: adopted as it is
    const r = plan({model: m, actual: a, prior: null}, {replace: ['network.frontend']})
    expect(change(r, 'network.frontend')).toMatchObject({action: 'no-op', origin: 'adopted'})
  })

  it('refuses to take over an unmanaged network with other settings', () => {
    const a = actual({networks: [dockerNetwork('frontend', '10.0.0.0/24')]})
    const {errors} = makePlan({model: m, actual: a, prior: null}, opts)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      address: 'network.frontend',
      summary: expect.stringContaining('already exists with different settings'),
    })
  })

  it('adopts an unmanaged network with the same settings', () => {
    const p = plan({model: m, actual: actual({networks: [dockerNetwork('frontend', '172.18.103.0/24')]}), prior: null})
    expect(change(p, 'network.frontend')).toMatchObject({action: 'no-op', ids: {id: 'id-frontend'}, origin: 'adopted'})
  })

  it("settles when the declared aliases include the container's own name, as every engine reports them (issue 14)", () => {
    // Given lb declares aliases ["lb", "www"], which Docker stores as given (20.10 adds the short id on
    // inspect; refresh drops it, src/docker/read.ts)
    const withName = model({
      networks: [network('frontend', '172.18.103.0/24')],
      containers: [container('lb', [attachment('lb', 'frontend', '172.18.103.2', ['lb', 'www'])])],
    })
    const a = actual({
      networks: [dockerNetwork('frontend', '172.18.103.0/24')],
      containers: [
        dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true, aliases: ['lb', 'www']}]),
      ],
    })
    // Then the attachment is unchanged, and so it stays when an engine does not list the name
    expect(change(plan({model: withName, actual: a, prior: null}), 'container.lb.network.frontend').action).toBe(
      'no-op',
    )
    const withoutName = actual({
      networks: [dockerNetwork('frontend', '172.18.103.0/24')],
      containers: [dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true, aliases: ['www']}])],
    })
    expect(
      change(plan({model: withName, actual: withoutName, prior: null}), 'container.lb.network.frontend').action,
    ).toBe('no-op')
    // But a missing alias of its own is still a change
    const without = actual({
      networks: [dockerNetwork('frontend', '172.18.103.0/24')],
      containers: [dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true, aliases: ['lb']}])],
    })
    expect(change(plan({model: withName, actual: without, prior: null}), 'container.lb.network.frontend').action).toBe(
      'replace',
    )
  })

  it('deletes a network it created once it leaves the configuration', () => {
    const p = plan({
      model: model(),
      actual: actual({networks: [dockerNetwork('frontend', '172.18.103.0/24')]}),
      prior: state({name: 'frontend'}),
    })
    expect(change(p, 'network.frontend')).toMatchObject({action: 'delete', reasons: ['not in the configuration']})
  })

  it('reports a network removed outside dockwall as drift and recreates it', () => {
    const p = plan({model: m, actual: actual(), prior: state({name: 'frontend'})})
    expect(p.drift).toEqual([
      {address: 'network.frontend', kind: 'deleted', summary: 'Docker network "frontend" was removed outside dockwall'},
    ])
    expect(change(p, 'network.frontend').action).toBe('create')
  })
})

describe('attachments and routes', () => {
  const m = model({
    networks: [network('frontend', '172.18.103.0/24')],
    containers: [
      container('lb', [attachment('lb', 'frontend', '172.18.103.2')], [route('lb', '10.8.0.0/24', '172.18.103.1')]),
    ],
  })
  const net = dockerNetwork('frontend', '172.18.103.0/24')

  it('defers a container that does not exist yet, and the rest still plans', () => {
    const p = plan({model: m, actual: actual({networks: [net]}), prior: null})
    expect(change(p, 'container.lb.network.frontend')).toMatchObject({
      action: 'deferred',
      reasons: ['container "lb" does not exist yet; it is connected when it appears'],
    })
    expect(change(p, 'container.lb.route["10.8.0.0/24"]').action).toBe('deferred')
    expect(change(p, 'network.frontend').action).toBe('no-op')
  })

  it('reconnects a container whose static address differs and reports lost static IPs as drift', () => {
    const lb = dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.77'}])
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {
          address: 'container.lb.network.frontend',
          type: 'attachment',
          ids: {container: lb.id},
          attributes: {ipv4_address: '172.18.103.2'},
        },
      ],
    }
    const p = plan({
      model: m,
      actual: actual({
        networks: [net],
        containers: [lb],
        namespaces: [dockerHost(), namespace('container.lb', {}, {}, {routes: []})],
      }),
      prior,
    })
    expect(change(p, 'container.lb.network.frontend')).toMatchObject({
      action: 'replace',
      reasons: ['static address: none → 172.18.103.2 (forces reconnection)'],
      replacePaths: ['ipv4_address'],
    })
    expect(p.drift.map((d) => d.kind)).toEqual(['lost-static-ip'])
  })

  it('updates a route whose gateway changed, and deletes one that left the configuration', () => {
    const lb = dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true}])
    const ns = namespace(
      'container.lb',
      {},
      {},
      {
        routes: [
          {destination: '10.8.0.0/24', family: 'ipv4', via: '172.18.103.9'},
          {destination: '10.9.0.0/24', family: 'ipv4', via: '172.18.103.1'},
        ],
      },
    )
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {
          address: 'container.lb.route["10.9.0.0/24"]',
          type: 'route',
          ids: {container: lb.id},
          attributes: {destination: '10.9.0.0/24', family: 'ipv4', via: '172.18.103.1'},
        },
      ],
    }
    const p = plan({
      model: m,
      actual: actual({networks: [net], containers: [lb], namespaces: [dockerHost(), ns]}),
      prior,
    })
    expect(change(p, 'container.lb.route["10.8.0.0/24"]')).toMatchObject({
      action: 'update',
      reasons: ['via: 172.18.103.9 → 172.18.103.1'],
    })
    expect(change(p, 'container.lb.route["10.9.0.0/24"]')).toMatchObject({
      action: 'delete',
      reasons: ['not in the configuration'],
    })
  })

  it('writes a route again after its container is reconnected: Docker removes the routes of the interface (issue 14)', () => {
    // Given lb's route is in place and its attachment is managed
    const lb = dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true}])
    const ns = namespace(
      'container.lb',
      {},
      {},
      {routes: [{destination: '10.8.0.0/24', family: 'ipv4', via: '172.18.103.1'}]},
    )
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {address: 'network.frontend', type: 'network', ids: {id: net.id}, origin: 'created', attributes: {}},
        {
          address: 'container.lb.network.frontend',
          type: 'attachment',
          ids: {container: lb.id},
          origin: 'created',
          attributes: {},
        },
      ],
    }
    const inputs = {
      model: m,
      actual: actual({networks: [net], containers: [lb], namespaces: [dockerHost(), ns]}),
      prior,
    }
    expect(change(plan(inputs), 'container.lb.route["10.8.0.0/24"]').action).toBe('no-op')
    // When its attachment is reconnected (here on request), the route is written again after it
    const p = plan(inputs, {replace: ['container.lb.network.frontend']})
    expect(change(p, 'container.lb.route["10.8.0.0/24"]')).toMatchObject({
      action: 'update',
      dependsOn: ['container.lb.network.frontend'],
      reasons: [
        "written again after container.lb.network.frontend is reconnected (Docker removes an interface's routes with it)",
      ],
    })
  })

  it('disconnects an attachment it made when it leaves the configuration', () => {
    const lb = dockerContainer('lb', [{network: 'frontend', ip: '172.18.103.2', static: true}])
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {
          address: 'container.lb.network.frontend',
          type: 'attachment',
          ids: {container: lb.id},
          origin: 'created',
          attributes: {container: 'lb', network: 'frontend'},
        },
      ],
    }
    const p = plan({model: model({networks: m.networks}), actual: actual({networks: [net], containers: [lb]}), prior})
    expect(change(p, 'container.lb.network.frontend')).toMatchObject({
      action: 'delete',
      ids: {container: lb.id},
      origin: 'created',
    })
  })
})

describe('firewall resources', () => {
  it('defers a rule whose only container has no address, and removes its stale lines', () => {
    const m = model({containers: [container('web')], rules: [rule('to_web', {to: [c('web')]})]})
    const stale = dockerHost({
      'DOCKWALL-FORWARD': ['-d 172.17.0.5/32 -m comment --comment "dockwall:rule.to_web" -j ACCEPT'],
    })
    stale.tables
      .filter!.chains.find((x) => x.name === 'DOCKER-USER')!
      .rules.unshift({
        spec: '-m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD',
        comment: 'dockwall:jump',
        target: 'DOCKWALL-FORWARD',
      })
    const p = plan({model: m, actual: actual({namespaces: [stale]}), prior: null})
    expect(change(p, 'rule.to_web')).toMatchObject({
      action: 'deferred',
      reasons: ['container.web has no address yet', 'its current iptables lines are removed until then'],
    })
    expect(p.firewall[0]?.input).not.toContain('172.17.0.5')
  })

  it('defers an in-container forward while the container is stopped', () => {
    const m = model({
      containers: [container('lb')],
      portForwards: [portForward('inside', {inContainer: 'lb', to: c('lb')})],
    })
    const p = plan({
      model: m,
      actual: actual({containers: [dockerContainer('lb', [], {status: 'exited', pid: undefined})]}),
      prior: null,
    })
    expect(change(p, 'port_forward.inside')).toMatchObject({
      action: 'deferred',
      reasons: ['container.lb is not running (exited)'],
    })
    expect(p.firewall).toEqual([])
  })

  it('does not report a false change when iptables prints a rule in another form', () => {
    const m = model({
      rules: [rule('dns', {from: [cidr('10.0.0.0/8')], proto: 'udp', ports: [{from: 53, to: 53}], action: 'reject'})],
    })
    const first = plan({model: m, actual: actual(), prior: null})
    const applied = applyTransactions(actual(), first)
    // iptables-nft may print the reject target without its default option; the normaliser maps both to one form.
    const fwd = applied.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKWALL-FORWARD')!
    const r = fwd.rules.find((x) => x.comment === 'dockwall:rule.dns')!
    r.spec = r.spec.replace(' --reject-with icmp-port-unreachable', '')
    const normalize = (s: string) => (s.endsWith('-j REJECT') ? `${s} --reject-with icmp-port-unreachable` : s)
    const again = plan({model: m, actual: applied, prior: stateAfter(first)}, {normalize})
    expect(again.firewall).toEqual([])
    expect(change(again, 'rule.dns').action).toBe('no-op')
  })

  it('puts rules in priority order, then by address, between the firewall head and tail', () => {
    const m = model({
      firewall: {forwardPolicy: 'drop', inputPolicy: 'drop', sshPort: 2222},
      rules: [
        rule('b', {priority: 50, action: 'drop'}),
        rule('a', {priority: 50}),
        rule('z', {priority: 10}),
        rule('in', {chain: 'input', proto: 'tcp', ports: [{from: 443, to: 443}]}),
      ],
    })
    const p = plan({model: m, actual: actual({namespaces: [namespace('host', {})]}), prior: null})
    const filter = p.firewall.find((t) => t.table === 'filter')!.input.split('\n')
    const comments = (chain: string) =>
      filter.filter((l) => l.startsWith(`-A ${chain} `)).map((l) => /dockwall:(\S+?)"/.exec(l)?.[1])
    expect(comments('DOCKWALL-FORWARD')).toEqual(['firewall', 'rule.z', 'rule.a', 'rule.b', 'firewall'])
    expect(comments('DOCKWALL-INPUT')).toEqual(['firewall', 'firewall', 'firewall', 'rule.in', 'firewall'])
    expect(filter).toContain(
      '-A DOCKWALL-INPUT -p tcp -m tcp --dport 2222 -m comment --comment "dockwall:firewall" -j ACCEPT',
    )
    // Without Docker there is no DOCKER-USER: the forward chain hangs off FORWARD.
    expect(filter).toContain('-I FORWARD 1 -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
  })

  it('splits more than 15 ports over several multiport rules', () => {
    const ports = Array.from({length: 20}, (_, i) => ({from: 1000 + i, to: 1000 + i}))
    const p = plan({model: model({rules: [rule('many', {proto: 'tcp', ports})]}), actual: actual(), prior: null})
    // "any" to "any" is written in both families: two multiport lines each.
    const after = change(p, 'rule.many').lines?.after ?? []
    expect(after.filter((l) => l.family === 'ipv4')).toHaveLength(2)
    expect(after.filter((l) => l.family === 'ipv6')).toHaveLength(2)
  })

  it('a log rule writes LOG with its prefix, before the rule whose packets it shows, and then settles', () => {
    const ssh = {to: [cidr('10.0.0.5/32')], proto: 'tcp' as const, ports: [{from: 22, to: 22}]}
    const m = model({
      rules: [
        rule('drop_ssh', {...ssh, action: 'drop', priority: 50}),
        rule('log_ssh', {...ssh, action: 'log', logPrefix: 'dw ssh: ', priority: 40}),
      ],
    })
    const host = actual({namespaces: [namespace('host', {})]})
    const p = plan({model: m, actual: host, prior: null}, {normalize})
    expect(change(p, 'rule.log_ssh').after).toMatchObject({action: 'log', log_prefix: 'dw ssh: '})
    const forward = p.firewall
      .find((t) => t.table === 'filter')!
      .input.split('\n')
      .filter((l) => l.startsWith('-A DOCKWALL-FORWARD ') && l.includes('rule.'))
    expect(forward).toEqual([
      '-A DOCKWALL-FORWARD -d 10.0.0.5/32 -p tcp -m tcp --dport 22 -m comment --comment "dockwall:rule.log_ssh" -j LOG --log-prefix "dw ssh: "',
      '-A DOCKWALL-FORWARD -d 10.0.0.5/32 -p tcp -m tcp --dport 22 -m comment --comment "dockwall:rule.drop_ssh" -j DROP',
    ])
    const again = plan({model: m, actual: applyTransactions(host, p), prior: stateAfter(p)}, {normalize})
    expect(again.firewall).toEqual([])
    expect(change(again, 'rule.log_ssh').action).toBe('no-op')
  })

  it('with --target plans only the target and what it depends on, keeping other lines as they are', () => {
    const m = model({
      networks: [network('frontend', '172.18.103.0/24')],
      containers: [container('lb', [attachment('lb', 'frontend', '172.18.103.2')])],
      rules: [rule('to_lb', {to: [c('lb')]}), rule('other', {from: [cidr('10.0.0.0/8')]})],
    })
    const p = plan(
      {model: m, actual: actual({containers: [dockerContainer('lb', [])]}), prior: null},
      {targets: ['rule.to_lb']},
    )
    expect(Object.keys(actions(p)).sort()).toEqual(
      [
        'chain["host:DOCKWALL-FORWARD"]',
        'container.lb.network.frontend',
        'firewall',
        'network.frontend',
        'rule.to_lb',
      ].sort(),
    )
    expect(p.firewall[0]?.input).not.toContain('rule.other')
  })
})

describe('refresh-only', () => {
  it('reports drift and plans no changes', () => {
    const prior: PriorState = {
      serial: 3,
      lineage: 'L',
      resources: [
        {
          address: 'rule.x',
          type: 'rule',
          ids: {},
          attributes: {},
          lines: [{namespace: 'host', family: 'ipv4', table: 'filter', chain: 'DOCKWALL-FORWARD', spec: '-j ACCEPT'}],
        },
      ],
    }
    const p = plan({model: model({rules: [rule('x')]}), actual: actual(), prior}, {mode: 'refresh-only'})
    expect(p.changes).toEqual([])
    expect(p.firewall).toEqual([])
    expect(p.drift.map((d) => d.kind)).toEqual(['deleted'])
    expect(p.prior).toEqual({serial: 3, lineage: 'L'})
  })
})

describe('planning with the addresses containers will have after apply', () => {
  it('renders rules without the address a replaced attachment loses', () => {
    const m = model({
      networks: [network('back', '10.30.3.0/24')],
      containers: [container('api', [attachment('api', 'back', '10.30.3.10')]), container('cli', [], [], 'cli')],
      rules: [rule('to_api', {from: [cidr('10.0.0.0/8')], to: [c('api')]})],
    })
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {
          address: 'network.back',
          type: 'network',
          ids: {id: 'id-back'},
          origin: 'created',
          attributes: {name: 'back', subnet: '10.30.2.0/24'},
        },
      ],
    }
    const a = actual({
      networks: [dockerNetwork('back', '10.30.2.0/24')],
      containers: [dockerContainer('api', [{network: 'back', ip: '10.30.2.10', static: true}])],
    })
    const p = plan({model: m, actual: a, prior})
    expect(change(p, 'network.back').action).toBe('replace')
    expect(change(p, 'rule.to_api').lines?.after.map((l) => l.spec.split(' -m')[0])).toEqual([
      '-s 10.0.0.0/8 -d 10.30.3.10/32',
    ])
  })

  it('keeps the jump first in nat POSTROUTING when Docker will create a network', () => {
    const m = model({
      networks: [network('new', '10.50.0.0/24')],
      masquerades: [masquerade('out', cidr('10.50.0.0/24'))],
    })
    const host = dockerHost(
      {},
      {
        POSTROUTING: ['-m comment --comment "dockwall:jump" -j DOCKWALL-POSTROUTING'],
        'DOCKWALL-POSTROUTING': ['-s 10.50.0.0/24 -m comment --comment "dockwall:masquerade.out" -j MASQUERADE'],
      },
    )
    const p = plan({model: m, actual: actual({namespaces: [host]}), prior: null})
    expect(change(p, 'chain["host:DOCKWALL-POSTROUTING"]').reasons).toEqual([
      'keep the jump first in POSTROUTING (Docker inserts its own rules at the top when it creates a network)',
    ])
    const nat = p.firewall.find((t) => t.table === 'nat')!.input
    expect(nat).toContain(
      '-D POSTROUTING -m comment --comment "dockwall:jump" -j DOCKWALL-POSTROUTING\n-I POSTROUTING 1 -m comment --comment "dockwall:jump" -j DOCKWALL-POSTROUTING',
    )
  })
})

describe('a namespace whose backend changed', () => {
  it('writes dockwall chains in the backend in use and removes the stale ones afterwards', () => {
    const m = model({
      containers: [container('web')],
      portForwards: [portForward('alt', {inContainer: 'web', port: 8081, to: c('web')})],
    })
    const web = namespace(
      'container.web',
      {},
      {OUTPUT: ['-d 127.0.0.11/32 -j DOCKER_OUTPUT'], DOCKER_OUTPUT: []},
      {backend: 'legacy'},
    )
    web.stale = {
      backend: 'nft',
      tables: {
        nat: {
          name: 'nat',
          chains: [
            {
              name: 'PREROUTING',
              policy: 'ACCEPT',
              rules: [
                {
                  spec: '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
                  comment: 'dockwall:jump',
                  target: 'DOCKWALL-PREROUTING',
                },
              ],
            },
            {
              name: 'DOCKWALL-PREROUTING',
              policy: null,
              rules: [
                {
                  spec: '-p tcp -m tcp --dport 8081 -m comment --comment "dockwall:port_forward.alt" -j REDIRECT --to-ports 80',
                  comment: 'dockwall:port_forward.alt',
                  target: 'REDIRECT',
                },
              ],
            },
          ],
        },
      },
    }
    const p = plan({
      model: m,
      actual: actual({containers: [dockerContainer('web', [])], namespaces: [dockerHost(), web]}),
      prior: null,
    })
    expect(p.firewall.map((t) => `${t.namespace}/${t.table}/${t.backend}`)).toEqual([
      'container.web/nat/legacy',
      'container.web/nat/nft',
    ])
    expect(p.firewall[1]?.input).toBe(
      [
        '*nat',
        '-D PREROUTING -m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
        ':DOCKWALL-PREROUTING - [0:0]',
        '-X DOCKWALL-PREROUTING',
        'COMMIT',
        '',
      ].join('\n'),
    )
    expect(change(p, 'chain["container.web:DOCKWALL-PREROUTING"]@nft').action).toBe('delete')
    expect(change(p, 'port_forward.alt').action).toBe('create')
  })
})

describe('imports', () => {
  const imp = (to: string, id: string) => ({to, id, at: {file: 'main.hcl', line: 9, column: 1}})

  it('adopts a network and an attachment into the state', () => {
    const m = model({
      networks: [network('front', '10.60.0.0/24')],
      containers: [container('web', [attachment('web', 'front', '10.60.0.5')])],
      imports: [imp('network.front', 'front'), imp('container.web.network.front', 'web/front')],
    })
    const a = actual({
      networks: [dockerNetwork('front', '10.60.0.0/24')],
      containers: [dockerContainer('web', [{network: 'front', ip: '10.60.0.5', static: true}])],
    })
    const p = plan({model: m, actual: a, prior: null})
    expect(change(p, 'network.front')).toMatchObject({
      action: 'no-op',
      importing: 'imports Docker network "front" (id-front)',
      ids: {id: 'id-front'},
      origin: 'imported',
    })
    expect(change(p, 'container.web.network.front')).toMatchObject({action: 'no-op', origin: 'imported'})
  })

  it('replaces an imported network whose settings differ from the configuration', () => {
    const m = model({networks: [network('front', '10.61.0.0/24')], imports: [imp('network.front', 'front')]})
    const p = plan({model: m, actual: actual({networks: [dockerNetwork('front', '10.60.0.0/24')]}), prior: null})
    expect(change(p, 'network.front').action).toBe('replace')
  })

  it("moves a rule from DOCKER-USER into dockwall's chain in one transaction", () => {
    const m = model({
      rules: [
        rule('web', {
          from: [cidr('10.0.0.0/8')],
          to: [cidr('172.18.0.2/32')],
          proto: 'tcp',
          ports: [{from: 80, to: 80}],
        }),
      ],
      imports: [imp('rule.web', 'DOCKER-USER:-s 10.0.0.0/8 -d 172.18.0.2 -p tcp --dport 80 -j ACCEPT')],
    })
    const host = dockerHost({
      'DOCKER-USER': ['-s 10.0.0.0/8 -d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT', '-j RETURN'],
    })
    const p = plan({model: m, actual: actual({namespaces: [host]}), prior: null}, {normalize: (s) => s})
    const ch = change(p, 'rule.web')
    expect(ch.action).toBe('create')
    expect(ch.importing).toBe("imports filter DOCKER-USER #1 and moves it into dockwall's chain")
    expect(ch.lines?.before.map((l) => l.chain)).toEqual(['DOCKER-USER'])
    expect(p.firewall[0]?.input).toContain(
      '-D DOCKER-USER -s 10.0.0.0/8 -d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT\n',
    )
    expect(p.drift).toEqual([])
    // Once applied, the state holds the rule in dockwall's chain and the next plan is empty.
    const applied = applyTransactions(actual({namespaces: [host]}), p)
    expect(
      applied.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKER-USER')!.rules.map((r) => r.target),
    ).toEqual(['DOCKWALL-FORWARD', 'RETURN'])
    const again = plan({model: m, actual: applied, prior: stateAfter(p)}, {normalize: (s) => s})
    expect(again.firewall).toEqual([])
    expect(again.changes.filter((c) => c.action !== 'no-op')).toEqual([])
  })

  it('says which import cannot be found, with its position', () => {
    const m = model({
      networks: [network('front', '10.60.0.0/24')],
      rules: [rule('x')],
      imports: [imp('network.front', 'nope'), imp('rule.x', 'DOCKER-USER:#7')],
    })
    const {errors} = makePlan({model: m, actual: actual(), prior: null}, opts)
    expect(errors.map((e) => `${e.address}: ${e.summary}`)).toEqual([
      'network.front: import: no Docker network named or with id "nope"',
      'rule.x: import: DOCKER-USER has 1 rule(s); there is no #7',
    ])
    expect(errors[0]?.at).toEqual({file: 'main.hcl', line: 9, column: 1})
  })
})

describe('a rule moved in the state (dockwall state mv), then renamed in the configuration', () => {
  const base = dockerReady()
  const first = plan({model: full, actual: base, prior: null})
  const applied = applyTransactions(base, first)
  applied.namespaces[1]!.routes!.push({destination: '10.8.0.0/24', family: 'ipv4', via: '172.18.103.1'})
  const state = stateAfter(first)
  // What `state mv rule.backend_to_lb rule.to_lb` leaves: the same record under the new address.
  const moved: PriorState = {
    ...state,
    resources: state.resources.map((r) => (r.address === 'rule.backend_to_lb' ? {...r, address: 'rule.to_lb'} : r)),
  }
  const renamed = model({
    ...full,
    rules: full.rules.map((r) => (r.label === 'backend_to_lb' ? {...r, address: 'rule.to_lb', label: 'to_lb'} : r)),
  })

  it('plans one update in place that rewrites the comments, no drift, and then nothing', () => {
    const p = plan({model: renamed, actual: applied, prior: moved})
    expect(p.changes.filter((x) => x.action !== 'no-op').map((x) => [x.address, x.action])).toEqual([
      ['rule.to_lb', 'update'],
    ])
    const ch = change(p, 'rule.to_lb')
    expect(ch.reasons[0]).toBe("moved in the state from rule.backend_to_lb: its lines' comments are rewritten")
    expect(ch.lines?.before.map((l) => l.spec)).toEqual([
      '-s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment "dockwall:rule.backend_to_lb" -j ACCEPT',
    ])
    expect(ch.lines?.after.map((l) => l.spec)).toEqual([
      '-s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment "dockwall:rule.to_lb" -j ACCEPT',
    ])
    expect(p.drift).toEqual([])
    // One transaction rewrites the chain: the old comment goes, the new one comes.
    expect(p.firewall.map((t) => `${t.namespace}/${t.table}`)).toEqual(['host/filter'])
    expect(p.firewall[0]!.input).toContain('--comment "dockwall:rule.to_lb"')
    expect(p.firewall[0]!.input).not.toContain('dockwall:rule.backend_to_lb')
    const after = applyTransactions(applied, p)
    const next = plan({model: renamed, actual: after, prior: stateAfter(p, moved)})
    expect(next.changes.filter((x) => x.action !== 'no-op')).toEqual([])
    expect(next.firewall).toEqual([])
  })

  it('without state mv, the same rename is a delete and a create', () => {
    const p = plan({model: renamed, actual: applied, prior: state})
    expect(actions(p)).toMatchObject({'rule.backend_to_lb': 'delete', 'rule.to_lb': 'create'})
  })
})

describe('refresh-only: what apply --refresh-only records', () => {
  const base = dockerReady()
  const first = plan({model: full, actual: base, prior: null})
  const applied = applyTransactions(base, first)
  applied.namespaces[1]!.routes!.push({destination: '10.8.0.0/24', family: 'ipv4', via: '172.18.103.1'})
  const state = stateAfter(first)
  const recorded = (address: string) => state.resources.find((r) => r.address === address)
  const refreshOnly = (a: ActualModel) => {
    const p = plan({model: full, actual: a, prior: state}, {mode: 'refresh-only'})
    expect(p.changes).toEqual([])
    expect(p.firewall).toEqual([])
    return new Map((p.refreshed ?? []).map((r) => [r.address, r]))
  }

  it('records what is unchanged exactly as the state has it', () => {
    const rec = refreshOnly(applied)
    for (const a of ['rule.backend_to_lb', 'port_forward.wg_http', 'masquerade.backend_out', 'firewall'])
      expect(rec.get(a), a).toEqual(recorded(a))
    expect([...rec.keys()].sort()).toEqual(state.resources.map((r) => r.address).sort())
  })

  it('drops what is gone from the host: a network removed by hand, its attachment, a rule whose lines were deleted', () => {
    const tampered = structuredClone(applied)
    tampered.docker.networks = tampered.docker.networks.filter((n) => n.name !== 'backend')
    tampered.docker.containers.find((x) => x.name === 'backend')!.endpoints = []
    const fwd = tampered.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKWALL-FORWARD')!
    fwd.rules = fwd.rules.filter((r) => r.comment !== 'dockwall:rule.backend_to_lb')
    const rec = refreshOnly(tampered)
    const gone = ['network.backend', 'container.backend.network.backend', 'rule.backend_to_lb']
    expect([...rec.keys()].sort()).toEqual(
      state.resources
        .map((r) => r.address)
        .filter((a) => !gone.includes(a))
        .sort(),
    )
    expect(rec.get('network.frontend')?.ids.id).toBe('id-frontend')
  })

  it('records changed lines as they are, and a normal plan from that state proposes the repair', () => {
    const tampered = structuredClone(applied)
    const fwd = tampered.namespaces[0]!.tables.filter!.chains.find((x) => x.name === 'DOCKWALL-FORWARD')!
    const handEdited =
      '-s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.backend_to_lb" -j ACCEPT'
    fwd.rules = fwd.rules.map((r) => (r.comment === 'dockwall:rule.backend_to_lb' ? {...r, spec: handEdited} : r))
    const rec = refreshOnly(tampered)
    expect(rec.get('rule.backend_to_lb')?.lines?.map((l) => l.spec)).toEqual([handEdited])
    const repair = plan({
      model: full,
      actual: tampered,
      prior: {...state, serial: state.serial + 1, resources: [...rec.values()]},
    })
    // The state now says what the host has: no drift, and the plan puts the configured line back.
    expect(repair.drift).toEqual([])
    expect(change(repair, 'rule.backend_to_lb').action).toBe('update')
  })

  it('keeps the record of what refresh did not read: a container namespace, its routes', () => {
    const unread = structuredClone(applied)
    unread.namespaces = unread.namespaces.filter((n) => n.key !== 'container.lb')
    const rec = refreshOnly(unread)
    expect(rec.get('port_forward.lb_inside')).toEqual(recorded('port_forward.lb_inside'))
    expect(rec.get('container.lb.route["10.8.0.0/24"]')).toEqual(recorded('container.lb.route["10.8.0.0/24"]'))
  })
})
