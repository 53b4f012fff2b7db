// The `show --actual` view (src/ui/actual-view.ts) of a refreshed host: which rules
// in the watched chains are someone's hand-written rules (candidates for import)
// and which are Docker's own, and how dockwall's chains are attributed.
import {describe, expect, it} from 'vitest'

import {actualToJson, renderActualText} from '../../../src/ui/index.js'
import {actual, chains, dockerNetwork, namespace} from '../plan/builders.js'

describe('actualToJson', () => {
  // Given a Docker host: the default bridge (docker0), a network with a generated bridge
  // name (br-<id prefix>) and one named through its options.
  const networks = [
    dockerNetwork('bridge', '172.17.0.0/16', {
      id: 'f'.repeat(64),
      options: {'com.docker.network.bridge.name': 'docker0'},
    }),
    dockerNetwork('front', '10.1.0.0/24', {id: `0123456789ab${'c'.repeat(52)}`}),
    dockerNetwork('named', '10.2.0.0/24', {
      id: 'd'.repeat(64),
      options: {'com.docker.network.bridge.name': 'br-named'},
    }),
  ]
  const host = namespace(
    'host',
    {
      INPUT: ['-m comment --comment dockwall:jump -j DOCKWALL-INPUT', '-p tcp -m tcp --dport 2222 -j ACCEPT'],
      FORWARD: [
        '-j DOCKER-USER',
        '-j DOCKER-ISOLATION-STAGE-1',
        '-o br-0123456789ab -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-o br-0123456789ab -j DOCKER',
        '-i br-0123456789ab ! -o br-0123456789ab -j ACCEPT',
        '-i br-named -o br-named -j ACCEPT',
        '-i docker0 -o docker0 -j ACCEPT',
        '-i eth0 -o wg0 -j ACCEPT',
      ],
      'DOCKER-USER': [
        '-j DOCKWALL-FORWARD',
        '-s 10.1.0.0/24 -d 10.2.0.0/24 -j ACCEPT',
        '-i br-0123456789ab -j DROP',
        '-j RETURN',
      ],
      'DOCKWALL-FORWARD': [
        '-s 10.1.0.5/32 -m comment --comment "dockwall:rule.a" -j ACCEPT',
        '-s 10.9.9.9/32 -j DROP',
        '-m comment --comment dockwall:jump -j ACCEPT',
      ],
      'DOCKWALL-INPUT': [],
    },
    {
      PREROUTING: [
        '-m addrtype --dst-type LOCAL -j DOCKER',
        '-i wg0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.5:80',
      ],
      POSTROUTING: [
        '-s 10.1.0.0/24 ! -o br-0123456789ab -j MASQUERADE',
        '-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
        '-s 10.1.0.0/24 -o eth0 -j MASQUERADE',
      ],
    },
  )
  const json = actualToJson(actual({networks, namespaces: [host]}))
  const view = json.namespaces[0]!

  it("lists the rules others wrote, with chain and position, and leaves out Docker's own", () => {
    expect(view.foreign_rules).toEqual([
      {family: 'ipv4', table: 'filter', chain: 'INPUT', position: 1, spec: '-p tcp -m tcp --dport 2222 -j ACCEPT'},
      {family: 'ipv4', table: 'filter', chain: 'FORWARD', position: 7, spec: '-i eth0 -o wg0 -j ACCEPT'},
      // Everything in DOCKER-USER but Docker's closing RETURN is the user's, bridges or not.
      {
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKER-USER',
        position: 1,
        spec: '-s 10.1.0.0/24 -d 10.2.0.0/24 -j ACCEPT',
      },
      {family: 'ipv4', table: 'filter', chain: 'DOCKER-USER', position: 2, spec: '-i br-0123456789ab -j DROP'},
      {
        family: 'ipv4',
        table: 'nat',
        chain: 'PREROUTING',
        position: 1,
        spec: '-i wg0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.5:80',
      },
      {family: 'ipv4', table: 'nat', chain: 'POSTROUTING', position: 2, spec: '-s 10.1.0.0/24 -o eth0 -j MASQUERADE'},
    ])
  })

  it("finds the jumps into dockwall's chains and attributes their rules by comment", () => {
    expect(view.jumps).toEqual([
      {family: 'ipv4', table: 'filter', from: 'INPUT', to: 'DOCKWALL-INPUT', position: 0},
      {family: 'ipv4', table: 'filter', from: 'DOCKER-USER', to: 'DOCKWALL-FORWARD', position: 0},
    ])
    expect(view.owned_chains).toEqual([
      {
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKWALL-FORWARD',
        rules: [
          {spec: '-s 10.1.0.5/32 -m comment --comment "dockwall:rule.a" -j ACCEPT', address: 'rule.a'},
          {spec: '-s 10.9.9.9/32 -j DROP', address: null},
          {spec: '-m comment --comment dockwall:jump -j ACCEPT', address: null},
        ],
      },
      {family: 'ipv4', table: 'filter', chain: 'DOCKWALL-INPUT', rules: []},
    ])
  })

  it("attributes Docker's own lines of the watched chains to Docker", () => {
    expect(view.docker_rules).toEqual([
      {family: 'ipv4', table: 'filter', chain: 'FORWARD', position: 0, spec: '-j DOCKER-USER'},
      {family: 'ipv4', table: 'filter', chain: 'FORWARD', position: 1, spec: '-j DOCKER-ISOLATION-STAGE-1'},
      {
        family: 'ipv4',
        table: 'filter',
        chain: 'FORWARD',
        position: 2,
        spec: '-o br-0123456789ab -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      },
      {family: 'ipv4', table: 'filter', chain: 'FORWARD', position: 3, spec: '-o br-0123456789ab -j DOCKER'},
      {
        family: 'ipv4',
        table: 'filter',
        chain: 'FORWARD',
        position: 4,
        spec: '-i br-0123456789ab ! -o br-0123456789ab -j ACCEPT',
      },
      {family: 'ipv4', table: 'filter', chain: 'FORWARD', position: 5, spec: '-i br-named -o br-named -j ACCEPT'},
      {family: 'ipv4', table: 'filter', chain: 'FORWARD', position: 6, spec: '-i docker0 -o docker0 -j ACCEPT'},
      {family: 'ipv4', table: 'filter', chain: 'DOCKER-USER', position: 3, spec: '-j RETURN'},
      {family: 'ipv4', table: 'nat', chain: 'PREROUTING', position: 0, spec: '-m addrtype --dst-type LOCAL -j DOCKER'},
      {
        family: 'ipv4',
        table: 'nat',
        chain: 'POSTROUTING',
        position: 0,
        spec: '-s 10.1.0.0/24 ! -o br-0123456789ab -j MASQUERADE',
      },
      {
        family: 'ipv4',
        table: 'nat',
        chain: 'POSTROUTING',
        position: 1,
        spec: '-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      },
    ])
  })
})

describe('actualToJson on Docker 28: the raw table', () => {
  // Given Docker 28's direct-access drops (a trusted interface on one network), dockwall's raw
  // chain and its jump, and an ACCEPT someone put there by hand
  const networks = [
    dockerNetwork('front', '10.1.0.0/24', {
      id: `0123456789ab${'c'.repeat(52)}`,
      options: {'com.docker.network.bridge.trusted_host_interfaces': 'wg0:wg1'},
    }),
  ]
  const host = namespace('host', {})
  host.tables.raw = {
    name: 'raw',
    chains: [
      {
        name: 'PREROUTING',
        policy: 'ACCEPT',
        rules: [
          {spec: '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING', target: 'DOCKWALL-PREROUTING'},
          {spec: '-s 198.18.0.0/24 -d 10.1.0.5/32 -j ACCEPT', target: 'ACCEPT'},
          {spec: '-d 10.1.0.5/32 -i wg1 -j ACCEPT', target: 'ACCEPT'},
          {spec: '-d 10.1.0.5/32 -i eth1 -j ACCEPT', target: 'ACCEPT'},
          {spec: '-d 10.1.0.5/32 ! -i br-0123456789ab -j DROP', target: 'DROP'},
          {spec: '-d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP', target: 'DROP'},
        ],
      },
      {name: 'OUTPUT', policy: 'ACCEPT', rules: []},
      {
        name: 'DOCKWALL-PREROUTING',
        policy: null,
        rules: [
          {
            spec: '-s 10.1.0.9/32 -d 10.1.0.5/32 -m comment --comment "dockwall:rule.a" -j ACCEPT',
            comment: 'dockwall:rule.a',
            target: 'ACCEPT',
          },
        ],
      },
    ],
  }
  const view = actualToJson(actual({networks, namespaces: [host]})).namespaces[0]!

  it("shows dockwall's raw chain and jump, Docker's drops and trusted accepts, and the rest as others'", () => {
    expect(view.jumps).toEqual([
      {family: 'ipv4', table: 'raw', from: 'PREROUTING', to: 'DOCKWALL-PREROUTING', position: 0},
    ])
    expect(view.owned_chains).toEqual([
      {
        family: 'ipv4',
        table: 'raw',
        chain: 'DOCKWALL-PREROUTING',
        rules: [
          {spec: '-s 10.1.0.9/32 -d 10.1.0.5/32 -m comment --comment "dockwall:rule.a" -j ACCEPT', address: 'rule.a'},
        ],
      },
    ])
    expect(view.docker_rules).toEqual([
      {family: 'ipv4', table: 'raw', chain: 'PREROUTING', position: 2, spec: '-d 10.1.0.5/32 -i wg1 -j ACCEPT'},
      {
        family: 'ipv4',
        table: 'raw',
        chain: 'PREROUTING',
        position: 4,
        spec: '-d 10.1.0.5/32 ! -i br-0123456789ab -j DROP',
      },
      {
        family: 'ipv4',
        table: 'raw',
        chain: 'PREROUTING',
        position: 5,
        spec: '-d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP',
      },
    ])
    // An accept on an interface the network does not trust is not Docker's.
    expect(view.foreign_rules).toEqual([
      {
        family: 'ipv4',
        table: 'raw',
        chain: 'PREROUTING',
        position: 1,
        spec: '-s 198.18.0.0/24 -d 10.1.0.5/32 -j ACCEPT',
      },
      {family: 'ipv4', table: 'raw', chain: 'PREROUTING', position: 3, spec: '-d 10.1.0.5/32 -i eth1 -j ACCEPT'},
    ])
  })
})

describe('actualToJson: ip6tables', () => {
  // Given a dual-stack network and the host's ip6tables as Docker 28 writes them: its FORWARD
  // jumps and bridge lines, its IPv6 masquerade, its raw drop of direct access to a container;
  // dockwall's IPv6 raw chain and jumps; and one IPv6 line someone wrote by hand
  const networks = [
    dockerNetwork('front', '10.1.0.0/24', {
      id: `0123456789ab${'c'.repeat(52)}`,
      enableIPv6: true,
      subnets6: [{subnet: 'fd00:1::/64', gateway: 'fd00:1::1'}],
    }),
  ]
  const host = namespace('host', {})
  const v6 = namespace(
    'host',
    {
      FORWARD: ['-j DOCKER-USER', '-j DOCKER-FORWARD'],
      'DOCKER-USER': [
        '-m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD',
        '-s 2001:db8::/32 -d fd00:1::/64 -j ACCEPT',
      ],
      'DOCKWALL-FORWARD': ['-s fd00:1::9/128 -d fd00:1::5/128 -m comment --comment "dockwall:rule.a" -j ACCEPT'],
    },
    {POSTROUTING: ['-s fd00:1::/64 ! -o br-0123456789ab -j MASQUERADE']},
  ).tables
  v6.raw = {
    name: 'raw',
    chains: chains({
      PREROUTING: [
        '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
        '-d fd00:1::5/128 ! -i br-0123456789ab -j DROP',
      ],
      'DOCKWALL-PREROUTING': ['-s fd00:1::9/128 -d fd00:1::5/128 -m comment --comment "dockwall:rule.a" -j ACCEPT'],
    }),
  }
  host.tables6 = v6
  const model = actual({networks, namespaces: [host]})
  const view = actualToJson(model).namespaces[0]!

  it("lists dockwall's IPv6 chains and jumps, Docker's IPv6 lines as Docker's, the hand-written one as others'", () => {
    expect(view.ipv6_read).toBe(true)
    expect(view.jumps).toEqual([
      {family: 'ipv6', table: 'filter', from: 'DOCKER-USER', to: 'DOCKWALL-FORWARD', position: 0},
      {family: 'ipv6', table: 'raw', from: 'PREROUTING', to: 'DOCKWALL-PREROUTING', position: 0},
    ])
    expect(view.owned_chains.map((c) => [c.family, c.table, c.chain, c.rules.map((r) => r.address)])).toEqual([
      ['ipv6', 'filter', 'DOCKWALL-FORWARD', ['rule.a']],
      ['ipv6', 'raw', 'DOCKWALL-PREROUTING', ['rule.a']],
    ])
    expect(view.docker_rules).toEqual([
      {family: 'ipv6', table: 'filter', chain: 'FORWARD', position: 0, spec: '-j DOCKER-USER'},
      {family: 'ipv6', table: 'filter', chain: 'FORWARD', position: 1, spec: '-j DOCKER-FORWARD'},
      {
        family: 'ipv6',
        table: 'nat',
        chain: 'POSTROUTING',
        position: 0,
        spec: '-s fd00:1::/64 ! -o br-0123456789ab -j MASQUERADE',
      },
      {
        family: 'ipv6',
        table: 'raw',
        chain: 'PREROUTING',
        position: 1,
        spec: '-d fd00:1::5/128 ! -i br-0123456789ab -j DROP',
      },
    ])
    expect(view.foreign_rules).toEqual([
      {
        family: 'ipv6',
        table: 'filter',
        chain: 'DOCKER-USER',
        position: 1,
        spec: '-s 2001:db8::/32 -d fd00:1::/64 -j ACCEPT',
      },
    ])
  })

  it("says so in the text view: ip6tables tables by name, Docker's lines under their own heading", () => {
    const text = renderActualText(model)
    expect(text).toContain('  jump: ip6tables raw PREROUTING #1 -> DOCKWALL-PREROUTING\n')
    expect(text).toContain('  ip6tables raw DOCKWALL-PREROUTING:\n    [rule.a] -s fd00:1::9/128')
    expect(text).toContain('    ip6tables filter DOCKER-USER #2: -s 2001:db8::/32 -d fd00:1::/64 -j ACCEPT\n')
    expect(text).toContain(
      "  Docker's own rules in those chains (left alone):\n" +
        '    ip6tables filter FORWARD #1: -j DOCKER-USER\n' +
        '    ip6tables filter FORWARD #2: -j DOCKER-FORWARD\n' +
        '    ip6tables nat POSTROUTING #1: -s fd00:1::/64 ! -o br-0123456789ab -j MASQUERADE\n' +
        '    ip6tables raw PREROUTING #2: -d fd00:1::5/128 ! -i br-0123456789ab -j DROP\n',
    )
  })
})
