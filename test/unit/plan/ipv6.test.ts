// IPv6 in the planner: networks and attachments with IPv6 settings (the Docker side).
import {describe, expect, it} from 'vitest'

import {makePlan, type PlanInputs, type PlanOptions} from '../../../src/plan/planner.js'
import type {Change, Plan} from '../../../src/plan/types.js'
import type {PriorState} from '../../../src/model/resources.js'
import {ICMPV6_KEPT} from '../../../src/plan/firewall.js'
import {summarizePlan} from '../../../src/ui/index.js'
import {renderPlanText} from '../../../src/ui/plan-text.js'
import {
  actual,
  attachment,
  c,
  cidr,
  container,
  dockerContainer,
  dockerHost,
  dockerNetwork,
  emptyTables,
  model,
  namespace,
  network,
  portForward,
  rule,
} from './builders.js'

const opts: PlanOptions = {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'}

function plan(inputs: PlanInputs): Plan {
  const {plan: p, errors} = makePlan(inputs, opts)
  expect(errors).toEqual([])
  return p
}

function change(p: Plan, address: string): Change {
  const found = p.changes.find((x) => x.address === address)
  if (!found) throw new Error(`no change for ${address}; have ${p.changes.map((x) => x.address).join(', ')}`)
  return found
}

const dual = network('front', '10.50.1.0/24', {ipv6: {subnet: 'fd00:50:1::/64', gateway: 'fd00:50:1::1'}})
const dockerDual = dockerNetwork('front', '10.50.1.0/24', {
  enableIPv6: true,
  subnets6: [{subnet: 'fd00:50:1::/64', gateway: 'fd00:50:1::1'}],
})

describe('IPv6 networks', () => {
  it('creates a dual-stack network with its IPv6 settings', () => {
    const p = plan({model: model({networks: [dual]}), actual: actual(), prior: null})
    expect(change(p, 'network.front')).toMatchObject({
      action: 'create',
      after: {ipv6: true, ipv6_subnet: 'fd00:50:1::/64', ipv6_gateway: 'fd00:50:1::1', ipv6_ip_range: null},
    })
  })

  it('adopts a matching network, and lets Docker choose what the configuration leaves out', () => {
    const chosen = network('front', '10.50.1.0/24', {ipv6: {}})
    for (const m of [dual, chosen]) {
      const p = plan({model: model({networks: [m]}), actual: actual({networks: [dockerDual]}), prior: null})
      expect(change(p, 'network.front').action).toBe('no-op')
    }
  })

  it('replaces a managed network when IPv6 is turned on or its IPv6 subnet changes', () => {
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {address: 'network.front', type: 'network', ids: {id: 'id-front', origin: 'created'}, attributes: {}},
      ],
    }
    const v4only = dockerNetwork('front', '10.50.1.0/24')
    const p = plan({model: model({networks: [dual]}), actual: actual({networks: [v4only]}), prior})
    expect(change(p, 'network.front')).toMatchObject({action: 'replace'})
    expect(change(p, 'network.front').reasons).toEqual([
      'ipv6: false → true (forces replacement: Docker networks cannot be changed in place)',
      'ipv6_subnet: null → "fd00:50:1::/64" (forces replacement: Docker networks cannot be changed in place)',
      'ipv6_gateway: null → "fd00:50:1::1" (forces replacement: Docker networks cannot be changed in place)',
    ])
    const moved = dockerNetwork('front', '10.50.1.0/24', {enableIPv6: true, subnets6: [{subnet: 'fd00:99::/64'}]})
    const q = plan({model: model({networks: [dual]}), actual: actual({networks: [moved]}), prior})
    expect(change(q, 'network.front').reasons[0]).toBe(
      'ipv6_subnet: "fd00:99::/64" → "fd00:50:1::/64" (forces replacement: Docker networks cannot be changed in place)',
    )
  })
})

describe('IPv6 attachments', () => {
  const m = model({
    networks: [dual],
    containers: [container('web', [{...attachment('web', 'front', '10.50.1.10'), ipv6Address: 'fd00:50:1::10'}])],
  })
  const withV6 = (static6: string | undefined, current6: string) => {
    const c = dockerContainer('web', [{network: 'front', ip: '10.50.1.10', static: true}])
    c.endpoints[0] = {
      ...c.endpoints[0]!,
      ipv6Address: current6,
      ...(static6 ? {staticIpv6Address: static6} : {}),
    }
    return c
  }

  it('keeps a container connected with its static IPv6 address', () => {
    const p = plan({
      model: m,
      actual: actual({networks: [dockerDual], containers: [withV6('fd00:50:1::10', 'fd00:50:1::10')]}),
      prior: null,
    })
    expect(change(p, 'container.web.network.front')).toMatchObject({
      action: 'no-op',
      after: {ipv4_address: '10.50.1.10', ipv6_address: 'fd00:50:1::10'},
    })
  })

  it('reconnects a container whose IPv6 address is not the declared static one', () => {
    const p = plan({
      model: m,
      actual: actual({networks: [dockerDual], containers: [withV6(undefined, 'fd00:50:1::2')]}),
      prior: null,
    })
    expect(change(p, 'container.web.network.front')).toMatchObject({
      action: 'replace',
      reasons: ['static IPv6 address: none → fd00:50:1::10 (forces reconnection)'],
    })
  })
})

// ---- the firewall side: lines per family, transactions per family ----------------------------

const front = network('front', '10.50.1.0/24', {ipv6: {subnet: 'fd00:50:1::/64'}})
const back = network('back', '10.50.2.0/24', {ipv6: {subnet: 'fd00:50:2::/64'}})
const dualModel = (parts: Parameters<typeof model>[0] = {}) =>
  model({
    networks: [front, back],
    containers: [
      container('web', [{...attachment('web', 'front', '10.50.1.10'), ipv6Address: 'fd00:50:1::10'}]),
      container('api', [{...attachment('api', 'back', '10.50.2.10'), ipv6Address: 'fd00:50:2::10'}]),
      container('old', [attachment('old', 'back', '10.50.2.20')]),
    ],
    ...parts,
  })
const dualHost = () =>
  actual({
    networks: [
      dockerNetwork('front', '10.50.1.0/24', {enableIPv6: true, subnets6: [{subnet: 'fd00:50:1::/64'}]}),
      dockerNetwork('back', '10.50.2.0/24', {enableIPv6: true, subnets6: [{subnet: 'fd00:50:2::/64'}]}),
    ],
    containers: [
      dockerContainer('web', [{network: 'front', ip: '10.50.1.10', ip6: 'fd00:50:1::10', static: true}], {pid: 101}),
      dockerContainer('api', [{network: 'back', ip: '10.50.2.10', ip6: 'fd00:50:2::10', static: true}], {pid: 102}),
      dockerContainer('old', [{network: 'back', ip: '10.50.2.20', static: true}], {pid: 103}),
    ],
    namespaces: [dockerHost()],
  })
const specs = (p: Plan, address: string, family: 'ipv4' | 'ipv6'): string[] =>
  (change(p, address).lines?.after ?? []).filter((l) => l.family === family).map((l) => `${l.chain} ${l.spec}`)

describe('IPv6 rules', () => {
  it('writes a rule between dual-stack containers in both families, each in its own transactions', () => {
    const p = plan({
      model: dualModel({
        rules: [rule('web_to_api', {from: [c('web')], to: [c('api')], proto: 'tcp', ports: [{from: 80, to: 80}]})],
      }),
      actual: dualHost(),
      prior: null,
    })
    expect(specs(p, 'rule.web_to_api', 'ipv4')).toEqual([
      'DOCKWALL-FORWARD -s 10.50.1.10/32 -d 10.50.2.10/32 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    ])
    expect(specs(p, 'rule.web_to_api', 'ipv6')).toEqual([
      'DOCKWALL-FORWARD -s fd00:50:1::10/128 -d fd00:50:2::10/128 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    ])
    // One transaction per family and table; IPv4 first; each carries the rule.
    expect(p.firewall.map((t) => `${t.namespace}/${t.family}/${t.table}`)).toEqual([
      'host/ipv4/filter',
      'host/ipv6/filter',
    ])
    expect(p.firewall.every((t) => t.addresses.includes('rule.web_to_api'))).toBe(true)
    expect(p.firewall[1]!.input).toContain('-I FORWARD 1 -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
    expect(change(p, 'chain["host:ipv6:DOCKWALL-FORWARD"]')).toMatchObject({action: 'create', after: {family: 'ipv6'}})
  })

  it('on Docker 28, opens the flow in raw PREROUTING of each family, against the drops Docker writes in both', () => {
    const host = dualHost()
    host.docker.engine = {version: '28.5.2', apiVersion: '1.51'}
    const p = plan({
      model: dualModel({
        rules: [
          rule('web_to_api', {from: [c('web')], to: [c('api')], proto: 'tcp', ports: [{from: 80, to: 80}]}),
          // Not towards a bridge in either family: no opening.
          rule('web_out', {from: [c('web')], to: [cidr('2001:db8::/32'), cidr('192.0.2.0/24')]}),
        ],
      }),
      actual: host,
      prior: null,
    })
    const raw = (family: 'ipv4' | 'ipv6'): string[] =>
      (change(p, 'rule.web_to_api').lines?.after ?? [])
        .filter((l) => l.table === 'raw' && l.family === family)
        .map((l) => l.spec)
    expect(raw('ipv4')).toEqual([
      '-s 10.50.1.10/32 -d 10.50.2.10/32 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    ])
    expect(raw('ipv6')).toEqual([
      '-s fd00:50:1::10/128 -d fd00:50:2::10/128 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.web_to_api" -j ACCEPT',
    ])
    expect((change(p, 'rule.web_out').lines?.after ?? []).filter((l) => l.table === 'raw')).toEqual([])
    expect(p.firewall.map((t) => `${t.family}/${t.table}`)).toEqual([
      'ipv4/filter',
      'ipv4/raw',
      'ipv6/filter',
      'ipv6/raw',
    ])
    expect(change(p, 'chain["host:ipv6:raw:DOCKWALL-PREROUTING"]')).toMatchObject({
      action: 'create',
      after: {family: 'ipv6', table: 'raw', jump_from: 'PREROUTING'},
    })
  })

  it('writes a rule naming only one family where that family is', () => {
    const p = plan({
      model: dualModel({
        rules: [
          rule('v4_only', {from: [cidr('192.168.0.0/16')], to: [c('web')]}),
          rule('v6_only', {from: [cidr('2001:db8::/32')], to: [c('web')]}),
          rule('to_old', {from: [c('web')], to: [c('old')]}),
        ],
      }),
      actual: dualHost(),
      prior: null,
    })
    expect(specs(p, 'rule.v4_only', 'ipv6')).toEqual([])
    expect(specs(p, 'rule.v4_only', 'ipv4')).toHaveLength(1)
    expect(specs(p, 'rule.v6_only', 'ipv4')).toEqual([])
    expect(specs(p, 'rule.v6_only', 'ipv6')).toEqual([
      'DOCKWALL-FORWARD -s 2001:db8::/32 -d fd00:50:1::10/128 -m comment --comment "dockwall:rule.v6_only" -j ACCEPT',
    ])
    // old has no IPv6 address: the rule is IPv4 only.
    expect(specs(p, 'rule.to_old', 'ipv6')).toEqual([])
  })

  it('splits a rule whose endpoints mix families per family', () => {
    const p = plan({
      model: dualModel({
        rules: [
          rule('mixed', {
            chain: 'input',
            from: [cidr('10.0.0.0/8'), cidr('fd00:99::/64')],
            proto: 'tcp',
            ports: [{from: 22, to: 22}],
            action: 'reject',
          }),
        ],
      }),
      actual: dualHost(),
      prior: null,
    })
    expect(specs(p, 'rule.mixed', 'ipv4')).toEqual([
      'DOCKWALL-INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m comment --comment "dockwall:rule.mixed" -j REJECT --reject-with icmp-port-unreachable',
    ])
    expect(specs(p, 'rule.mixed', 'ipv6')).toEqual([
      'DOCKWALL-INPUT -s fd00:99::/64 -p tcp -m tcp --dport 22 -m comment --comment "dockwall:rule.mixed" -j REJECT --reject-with icmp6-port-unreachable',
    ])
  })

  it('writes "any" in both families, and family = "ipv4" keeps a rule to IPv4', () => {
    const p = plan({
      model: dualModel({
        rules: [
          rule('ping', {chain: 'input', proto: 'icmp', action: 'drop'}),
          rule('ping4', {chain: 'input', proto: 'icmp', action: 'drop', family: 'ipv4'}),
        ],
      }),
      actual: dualHost(),
      prior: null,
    })
    expect(specs(p, 'rule.ping', 'ipv4')).toEqual([
      'DOCKWALL-INPUT -p icmp -m comment --comment "dockwall:rule.ping" -j DROP',
    ])
    expect(specs(p, 'rule.ping', 'ipv6')).toEqual([
      'DOCKWALL-INPUT -p ipv6-icmp -m comment --comment "dockwall:rule.ping" -j DROP',
    ])
    expect(specs(p, 'rule.ping4', 'ipv6')).toEqual([])
  })

  it('defers a rule whose ends have no family in common, and says why', () => {
    const p = plan({
      model: dualModel({rules: [rule('nope', {from: [cidr('2001:db8::/32')], to: [c('old')]})]}),
      actual: dualHost(),
      prior: null,
    })
    expect(change(p, 'rule.nope')).toMatchObject({
      action: 'deferred',
      reasons: ['no address family to write it in: from has IPv6 addresses, to has IPv4 addresses'],
      unwritable: true,
    })
    // container.old exists: the summary must not say it waits for its container.
    expect(summarizePlan(p)).toMatchObject({deferred: 1, unwritable: 1})
    const text = renderPlanText(p, {color: false})
    expect(text).toContain('1 change not written: no address family to write it in.')
    expect(text).not.toContain('deferred until')
  })

  it('a rule waiting for a container that does not exist yet is deferred, not unwritable', () => {
    const p = plan({
      model: dualModel({rules: [rule('later', {from: [cidr('10.9.0.0/16')], to: [c('ghost')]})]}),
      actual: dualHost(),
      prior: null,
    })
    expect(change(p, 'rule.later').action).toBe('deferred')
    expect(change(p, 'rule.later').unwritable).toBeUndefined()
    expect(renderPlanText(p, {color: false})).toContain('1 change deferred until its container exists.')
  })

  it('forwards a port to a dual-stack container in both families', () => {
    const p = plan({
      model: dualModel({portForwards: [portForward('http', {inInterface: 'eth0', to: c('web'), toPort: 8080})]}),
      actual: dualHost(),
      prior: null,
    })
    expect(specs(p, 'port_forward.http', 'ipv6')).toEqual([
      'DOCKWALL-FORWARD -d fd00:50:1::10/128 -i eth0 -p tcp -m tcp --dport 8080 -m conntrack --ctstate DNAT -m comment --comment "dockwall:port_forward.http" -j ACCEPT',
      'DOCKWALL-PREROUTING -i eth0 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:port_forward.http" -j DNAT --to-destination [fd00:50:1::10]:8080',
    ])
    expect(p.firewall.map((t) => `${t.family}/${t.table}`)).toEqual([
      'ipv4/filter',
      'ipv4/nat',
      'ipv6/filter',
      'ipv6/nat',
    ])
  })

  it('writes IPv6 inside a container only when it has an IPv6 address and its ip6tables were read', () => {
    const inside = (label: string) =>
      portForward(`${label}_alt`, {inContainer: label, port: 8081, toPort: 80, to: c(label)})
    const m = dualModel({portForwards: [inside('web'), inside('old')]})
    const a = dualHost()
    a.namespaces.push(namespace('container.web', {}, {}, {tables6: emptyTables()}), namespace('container.old', {}, {}))
    const p = plan({model: m, actual: a, prior: null})
    expect(specs(p, 'port_forward.web_alt', 'ipv6')).toEqual([
      'DOCKWALL-PREROUTING -p tcp -m tcp --dport 8081 -m comment --comment "dockwall:port_forward.web_alt" -j REDIRECT --to-ports 80',
    ])
    expect(specs(p, 'port_forward.old_alt', 'ipv6')).toEqual([])
    expect(p.firewall.map((t) => `${t.namespace}/${t.family}/${t.table}`)).toEqual([
      'container.old/ipv4/nat',
      'container.web/ipv4/nat',
      'container.web/ipv6/nat',
    ])
    // Had refresh not read web's ip6tables, its IPv6 lines could not be written: a warning, no transaction.
    const b = dualHost()
    b.namespaces.push(namespace('container.web', {}, {}), namespace('container.old', {}, {}))
    const q = makePlan({model: m, actual: b, prior: null}, opts).plan
    expect(q.firewall.some((t) => t.family === 'ipv6')).toBe(false)
    expect(q.warnings.map((w) => w.summary)).toContain(
      'the ip6tables of the container.web namespace were not read; its IPv6 lines cannot be written',
    )
  })
})

describe('input_policy = "drop" on both families', () => {
  const closed = dualModel({firewall: {forwardPolicy: 'docker', inputPolicy: 'drop', sshPort: 22}})

  it('keeps loopback, established, SSH and the ICMPv6 of RFC 4890 on IPv6, then drops', () => {
    const p = plan({model: closed, actual: dualHost(), prior: null})
    const v4 = specs(p, 'firewall', 'ipv4')
    const v6 = specs(p, 'firewall', 'ipv6')
    expect(v4).toEqual([
      'DOCKWALL-INPUT -i lo -m comment --comment "dockwall:firewall" -j ACCEPT',
      'DOCKWALL-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "dockwall:firewall" -j ACCEPT',
      'DOCKWALL-INPUT -p tcp -m tcp --dport 22 -m comment --comment "dockwall:firewall" -j ACCEPT',
      'DOCKWALL-INPUT -m comment --comment "dockwall:firewall" -j DROP',
    ])
    expect(v6.slice(0, 3)).toEqual(v4.slice(0, 3))
    expect(v6.at(-1)).toBe(v4.at(-1))
    const icmp = v6.filter((l) => l.includes('--icmpv6-type'))
    // Neighbour discovery and router advertisements, with the hop limit RFC 4861 requires.
    for (const type of ['133', '134', '135', '136'])
      expect(icmp).toContain(
        `DOCKWALL-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -m hl --hl-eq 255 -m comment --comment "dockwall:firewall" -j ACCEPT`,
      )
    expect(icmp.map((l) => /--icmpv6-type (\S+)/.exec(l)![1])).toEqual(ICMPV6_KEPT.map((k) => k.type))
    // Redirects are a policy decision (RFC 4890 4.4.4): not kept.
    expect(icmp.some((l) => l.includes('--icmpv6-type 137'))).toBe(false)
    expect(v6).toContain(
      'DOCKWALL-INPUT -d fe80::/10 -p udp -m udp --sport 547 --dport 546 -m comment --comment "dockwall:firewall" -j ACCEPT',
    )
  })

  it('puts the user’s input rules between the kept traffic and the drop, in each family', () => {
    const m = {...closed, rules: [rule('web', {chain: 'input', proto: 'tcp', ports: [{from: 443, to: 443}]})]}
    const p = plan({model: m, actual: dualHost(), prior: null})
    for (const tx of p.firewall.filter((t) => t.table === 'filter')) {
      const lines = tx.input.split('\n').filter((l) => l.startsWith('-A DOCKWALL-INPUT'))
      expect(lines.at(-2)).toContain('--dport 443')
      expect(lines.at(-1)).toContain('-j DROP')
    }
  })
})
