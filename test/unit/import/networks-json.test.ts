// network-go's networks.json → dockwall HCL: the seed sample, and what goes wrong in such files.
import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {type ConvertResult, convertNetworksJson} from '../../../src/import/networks-json.js'
import {ctr, fixture, net, snapshot} from './helpers.js'
import {packet, renderModel, verdict} from './render-model.js'
import {loadHcl} from './tmp.js'

const SAMPLE = fixture('import/network-go/networks.json')
// network-go's resolver cannot place "publicbackend" (no container_name, selector or
// prefix matches it); the operator says which container it means.
const MAP = {publicbackend: 'smarthostbackend-1'}

function convert(json: unknown, opts = {}): ConvertResult {
  return convertNetworksJson(JSON.stringify(json, null, 2), 'networks.json', opts)
}

describe('the seed sample', () => {
  it('converts to the expected HCL, with one explanation per policy', () => {
    const r = convertNetworksJson(SAMPLE, 'networks.json', {names: MAP})
    expect(r.problems).toEqual([])
    expect(r.hcl).toBe(
      readFileSync(new URL('../../../fixtures/import/network-go/expected.hcl', import.meta.url), 'utf8'),
    )
    expect(r.explanations).toEqual([
      'policies[0]: from publicbackend to smarthost_loadbalancer tcp/80 → rule.publicbackend_to_smarthost_loadbalancer_80',
      'policies[1]: dnat on wg0 tcp/80 to smarthostloadbalancer → port_forward.wireguardproxy',
    ])
  })

  it('reports the name network-go could not resolve, with its place in the file, and converts the rest', async () => {
    const r = convertNetworksJson(SAMPLE, 'networks.json')
    expect(r.problems).toEqual([
      {
        path: 'policies[0].from',
        reason: expect.stringMatching(
          /"publicbackend" matches no container_name or selector in ips \(known: smarthostloadbalancer, smarthostbackend-1\); map it/,
        ),
        line: 33,
        column: 7,
      },
    ])
    expect(r.explanations).toEqual([
      'policies[1]: dnat on wg0 tcp/80 to smarthostloadbalancer → port_forward.wireguardproxy',
    ])
    expect((await loadHcl(r.hcl)).diagnostics).toEqual([])
  })

  it('validates, and gives the traffic its policies describe', async () => {
    // Given the converted sample, loaded like any configuration
    const loaded = await loadHcl(convertNetworksJson(SAMPLE, 'networks.json', {names: MAP}).hcl)
    expect(loaded.diagnostics).toEqual([])
    const m = loaded.model!
    expect(m.networks.map((n) => [n.label, n.name, n.subnet, n.gateway])).toEqual([
      ['smarthost-loadbalancer', 'smarthost-loadbalancer', '172.18.103.0/24', '172.18.103.1'],
      ['smarthost_backend-1', 'smarthost_backend-1', '172.18.104.0/24', '172.18.104.1'],
    ])
    // And the host the sample describes
    const lbNet = net('smarthost-loadbalancer', 'a'.repeat(64), '172.18.103.0/24')
    const beNet = net('smarthost_backend-1', 'b'.repeat(64), '172.18.104.0/24')
    const docker = snapshot(
      [lbNet, beNet],
      [
        ctr('smarthostloadbalancer', [{network: lbNet, ip: '172.18.103.2', static: true}]),
        ctr('smarthostbackend-1', [{network: beNet, ip: '172.18.104.2', static: true}]),
      ],
    )
    const r = renderModel(m, docker)
    const forward = r.chain('host', 'DOCKWALL-FORWARD')
    const prerouting = r.chain('host', 'DOCKWALL-PREROUTING')
    // Then the traffic matrix of dockwall's chains (undefined: not decided here, Docker's isolation drops it)
    const LB = '172.18.103.2'
    const BACKEND = '172.18.104.2'
    const WG_CLIENT = '10.8.0.5'
    const matrix: Array<[string, ReturnType<typeof packet>, string | undefined]> = [
      ['backend → lb tcp/80 (policies[0])', packet({src: BACKEND, dst: LB, proto: 'tcp', dport: 80}), 'ACCEPT'],
      ['backend → lb tcp/443', packet({src: BACKEND, dst: LB, proto: 'tcp', dport: 443}), undefined],
      ['backend → lb udp/80', packet({src: BACKEND, dst: LB, proto: 'udp', dport: 80}), undefined],
      ['lb → backend tcp/80', packet({src: LB, dst: BACKEND, proto: 'tcp', dport: 80}), undefined],
      [
        'lb → backend, a reply of policies[0]',
        packet({src: LB, dst: BACKEND, proto: 'tcp', state: 'ESTABLISHED'}),
        'ACCEPT',
      ],
      [
        'wg0 client → lb tcp/80 after the DNAT (policies[1])',
        packet({src: WG_CLIENT, dst: LB, proto: 'tcp', dport: 80, inIf: 'wg0', dnat: true}),
        'ACCEPT',
      ],
      [
        'wg0 client → lb tcp/80 without a DNAT',
        packet({src: WG_CLIENT, dst: LB, proto: 'tcp', dport: 80, inIf: 'wg0'}),
        undefined,
      ],
      [
        'eth0 client → lb tcp/80 after some other DNAT',
        packet({src: WG_CLIENT, dst: LB, proto: 'tcp', dport: 80, inIf: 'eth0', dnat: true}),
        undefined,
      ],
    ]
    for (const [what, pkt, expected] of matrix) expect([what, verdict(forward, pkt)]).toEqual([what, expected])
    // And the DNAT: tcp/80 arriving on wg0 goes to the load balancer
    expect(verdict(prerouting, packet({src: WG_CLIENT, dst: '10.8.0.1', proto: 'tcp', dport: 80, inIf: 'wg0'}))).toBe(
      'DNAT',
    )
    expect(
      verdict(prerouting, packet({src: WG_CLIENT, dst: '10.8.0.1', proto: 'tcp', dport: 80, inIf: 'eth0'})),
    ).toBeUndefined()
    expect(prerouting.map((l) => l.spec)).toEqual([
      '-i wg0 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:port_forward.wireguardproxy" -j DNAT --to-destination 172.18.103.2:80',
    ])
  })
})

describe('resolving names as network-go does', () => {
  const ips = {
    '10.1.0.2': {ip: '10.1.0.2', container_name: 'web-1', selector: 'web'},
    '10.1.0.3': {ip: '10.1.0.3', container_name: 'web-2', selector: 'web'},
    '10.1.0.4': {ip: '10.1.0.4', container_name: 'db', selector: 'database'},
    '10.1.0.5': {ip: '10.1.0.5', container_name: 'cache-primary', selector: 'cache-primary'},
  }
  const networks = {app: {network_name: 'app', subnet: '10.1.0.0/24', gateway: '10.1.0.1'}}

  it('by container_name, then selector, then prefix; a selector may name several containers', async () => {
    const r = convert({
      networks,
      ips,
      policies: [
        {container_name: 'db', from: 'web', port: 5432},
        {selector: 'database', from: 'cache', port: 6379, proto: 'tcp'},
        {container_name: 'web-1', from: '192.168.0.0/16', port: 443},
        {container_name: 'cache-primary', from: 'any', proto: 'icmp'},
      ],
    })
    expect(r.problems).toEqual([])
    expect(r.hcl).toContain(`rule "web_to_db_5432" {
  from  = [container.web-1, container.web-2]
  to    = container.db`)
    expect(r.hcl).toContain('# from: web (selector: web-1, web-2)')
    expect(r.hcl).toContain('# from: cache (prefix: cache-primary)')
    expect(r.hcl).toContain('# to: database (selector: db)')
    expect(r.hcl).toMatch(/rule "_192-168-0-0_16_to_web-1_443" \{\n {2}from {2}= "192.168.0.0\/16"/)
    expect(r.explanations).toEqual([
      'policies[0]: from web to db tcp/5432 → rule.web_to_db_5432',
      'policies[1]: from cache to database tcp/6379 → rule.cache_to_database_6379',
      'policies[2]: from 192.168.0.0/16 to web-1 tcp/443 → rule._192-168-0-0_16_to_web-1_443',
      'policies[3]: from any to cache-primary icmp/all → rule.any_to_cache-primary',
    ])
    expect((await loadHcl(r.hcl)).diagnostics).toEqual([])
  })

  it('converts a DNAT inside a container: to itself is a redirect, to another container a DNAT', async () => {
    const r = convert({
      networks,
      ips,
      policies: [
        {container_name: 'db', selector: 'database', nat: 'dnat', port: 15432, to_port: 5432},
        {container_name: 'cache-primary', nat: 'dnat', to: 'db', port: 5432},
        {container_name: 'db', nat: 'dnat', to: 'web', port: 80},
      ],
    })
    expect(r.hcl).toContain(`port_forward "db_tcp15432_to_db" {
  in_container = container.db
  proto        = "tcp"
  port         = 15432
  to_port      = 5432
}`)
    expect(r.hcl).toContain(`port_forward "cache-primary_tcp5432_to_db" {
  in_container = container.cache-primary
  proto        = "tcp"
  port         = 5432
  to           = container.db
}`)
    expect(r.problems).toEqual([
      {
        path: 'policies[2].to',
        reason: expect.stringMatching(/matches 2 containers \(web-1, web-2\); a port forward sends to one/),
        line: expect.any(Number),
        column: expect.any(Number),
      },
    ])
    expect(r.explanations).toEqual([
      'policies[0]: dnat inside db tcp/15432 to itself:5432 → port_forward.db_tcp15432_to_db',
      'policies[1]: dnat inside cache-primary tcp/5432 to db → port_forward.cache-primary_tcp5432_to_db',
    ])
    expect((await loadHcl(r.hcl)).diagnostics).toEqual([])
  })
})

describe('edge cases', () => {
  it('reports bad JSON with line and column', () => {
    const r = convertNetworksJson('{\n  "networks": {\n    "a": {"subnet": "10.0.0.0/24",}\n  }\n}\n', 'networks.json')
    expect(r.hcl).toBe('')
    expect(r.problems).toEqual([{path: '', reason: 'invalid JSON: PropertyNameExpected', line: 3, column: 35}])
  })

  it('reports a file that is not a networks.json', () => {
    expect(convertNetworksJson('[1, 2]', 'x.json').problems).toEqual([
      {path: '', reason: expect.stringMatching(/not a networks.json/), line: 1, column: 1},
    ])
    expect(convertNetworksJson('{"policies": {}}', 'x.json').problems).toEqual([
      {path: 'policies', reason: expect.stringMatching(/not a networks.json/), line: 1, column: 1},
    ])
  })

  it('validates each entry on its own, with the position of the bad value', () => {
    const text = `{
  "networks": {"a": {"subnet": 24}, "b": {"subnet": "10.2.0.0/24", "driver": "bridge"}},
  "ips": {"10.2.0.2": {"ip": "10.2.0.2"}},
  "policies": [{"from": "x", "container_name": "y", "port": true}]
}`
    const r = convertNetworksJson(text, 'networks.json')
    // Positions point at the key of the value (or, for a missing field, of the entry)
    const col = (line: number, key: string, from = 0): number =>
      text.split('\n')[line - 1]!.indexOf(`"${key}"`, from) + 1
    expect(r.problems).toEqual([
      {path: 'networks.a.subnet', reason: 'expected a string, got 24', line: 2, column: col(2, 'subnet')},
      {
        path: 'networks.b.driver',
        reason: 'unknown field "driver" is ignored (network-go ignores it too)',
        line: 2,
        column: col(2, 'driver'),
      },
      {
        path: 'ips["10.2.0.2"].container_name',
        reason: 'missing required field "container_name"',
        line: 3,
        column: col(3, '10.2.0.2'),
      },
      {
        path: 'policies[0].port',
        reason: 'expected a port number (or a "8000-8100" range), got true',
        line: 4,
        column: col(4, 'port'),
      },
    ])
    expect(r.hcl).toContain('network "b"')
  })

  it('gives labels that clash after sanitising a suffix', async () => {
    const r = convert({
      networks: {
        'front.end': {subnet: '10.1.0.0/24'},
        front_end: {subnet: '10.2.0.0/24'},
        '9net': {subnet: '10.3.0.0/24'},
      },
    })
    expect(r.problems).toEqual([])
    expect(r.hcl).toMatch(/network "front_end" \{\n {2}name {3}= "front.end"/)
    expect(r.hcl).toMatch(/network "front_end_2" \{\n {2}name {3}= "front_end"\n {2}subnet = "10.2.0.0\/24"/)
    expect(r.hcl).toMatch(/network "_9net" \{\n {2}name {3}= "9net"/)
    expect(r.explanations).toContain(
      'networks.front_end: labelled front_end_2 (the sanitised key clashed with another)',
    )
    expect((await loadHcl(r.hcl)).diagnostics).toEqual([])
  })

  it('reports an IP in no declared subnet, and still declares the container', async () => {
    const r = convert({
      networks: {a: {subnet: '10.1.0.0/24'}},
      ips: {'10.9.0.2': {container_name: 'stray'}, '10.1.0.2': {container_name: 'ok'}},
      policies: [{container_name: 'ok', from: 'stray', port: 80}],
    })
    expect(r.problems).toEqual([
      {
        path: 'ips["10.9.0.2"]',
        reason: '10.9.0.2 is in no declared subnet (10.1.0.0/24); stray gets no attachment for it',
        line: expect.any(Number),
        column: expect.any(Number),
      },
    ])
    expect(r.hcl).toContain('container "stray" {}')
    expect(r.explanations).toEqual(['policies[0]: from stray to ok tcp/80 → rule.stray_to_ok_80'])
    expect((await loadHcl(r.hcl)).diagnostics).toEqual([])
  })

  it('refuses what would not load: overlapping subnets, a gateway outside, a taken address, a bad interface, a bad port', async () => {
    const r = convert({
      networks: {
        a: {subnet: '10.1.0.0/24', gateway: '10.1.0.1'},
        b: {subnet: '10.1.0.0/16'},
        c: {subnet: '10.3.0.0/24', gateway: '10.4.0.1'},
        d: {subnet: '10.5.0.1/24'},
      },
      ips: {
        '10.1.0.2': {container_name: 'one'},
        x: {ip: '10.1.0.2', container_name: 'two'},
        '10.1.0.1': {container_name: 'three'},
      },
      policies: [
        {container_name: 'one', nat: 'dnat', iface: 'bad iface', port: 80},
        {container_name: 'one', from: 'two', port: 70000},
        {container_name: 'one', nat: 'snat'},
        {container_name: 'one'},
        {container_name: 'nobody', from: 'one'},
        {container_name: 'one', from: 'two', proto: 'sctp'},
        {container_name: 'one', from: 'two', proto: 'icmp', port: 80},
      ],
    })
    expect(r.problems.map((p) => [p.path, p.reason.replace(/ \(.*$|;.*$/, '')])).toEqual([
      ['networks.b.subnet', 'subnet 10.1.0.0/16 overlaps networks["a"]'],
      ['networks.c.gateway', 'gateway "10.4.0.1" is not a host address inside 10.3.0.0/24'],
      ['networks.d.subnet', '"10.5.0.1/24" is not a usable IPv4 subnet'],
      ['ips.x.ip', 'the key says x but ip says 10.1.0.2'],
      ['ips.x', '10.1.0.2 is already given to one'],
      ['ips["10.1.0.1"]', '10.1.0.1 is the network, broadcast or gateway address of 10.1.0.0/24'],
      [
        'policies[0].iface',
        'iface "bad iface": an interface name may contain only letters, digits, "_", ".", "@" and "-"',
      ],
      ['policies[1].port', 'port 70000 is not a port or port range'],
      ['policies[2].nat', 'nat: "snat" is not a policy type network-go documents'],
      ['policies[3]', 'the policy has neither "from" nor "nat": nothing to convert'],
      ['policies[4].container_name', '"nobody" matches no container_name or selector in ips'],
      ['policies[5].proto', 'proto "sctp" is not one of tcp, udp, icmp'],
      ['policies[6].port', 'a port needs proto tcp or udp'],
    ])
    expect((await loadHcl(r.hcl)).diagnostics).toEqual([])
  })
})
