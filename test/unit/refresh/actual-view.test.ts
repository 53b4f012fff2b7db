// The `show --actual` view (src/ui/actual-view.ts) of a refreshed host: which rules
// in the watched chains are someone's hand-written rules (candidates for import)
// and which are Docker's own, and how dockwall's chains are attributed.
import {describe, expect, it} from 'vitest'

import {actualToJson} from '../../../src/ui/index.js'
import {actual, dockerNetwork, namespace} from '../plan/builders.js'

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
      {table: 'filter', chain: 'INPUT', position: 1, spec: '-p tcp -m tcp --dport 2222 -j ACCEPT'},
      {table: 'filter', chain: 'FORWARD', position: 7, spec: '-i eth0 -o wg0 -j ACCEPT'},
      // Everything in DOCKER-USER but Docker's closing RETURN is the user's, bridges or not.
      {table: 'filter', chain: 'DOCKER-USER', position: 1, spec: '-s 10.1.0.0/24 -d 10.2.0.0/24 -j ACCEPT'},
      {table: 'filter', chain: 'DOCKER-USER', position: 2, spec: '-i br-0123456789ab -j DROP'},
      {
        table: 'nat',
        chain: 'PREROUTING',
        position: 1,
        spec: '-i wg0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.5:80',
      },
      {table: 'nat', chain: 'POSTROUTING', position: 2, spec: '-s 10.1.0.0/24 -o eth0 -j MASQUERADE'},
    ])
  })

  it("finds the jumps into dockwall's chains and attributes their rules by comment", () => {
    expect(view.jumps).toEqual([
      {table: 'filter', from: 'INPUT', to: 'DOCKWALL-INPUT', position: 0},
      {table: 'filter', from: 'DOCKER-USER', to: 'DOCKWALL-FORWARD', position: 0},
    ])
    expect(view.owned_chains).toEqual([
      {
        table: 'filter',
        chain: 'DOCKWALL-FORWARD',
        rules: [
          {spec: '-s 10.1.0.5/32 -m comment --comment "dockwall:rule.a" -j ACCEPT', address: 'rule.a'},
          {spec: '-s 10.9.9.9/32 -j DROP', address: null},
          {spec: '-m comment --comment dockwall:jump -j ACCEPT', address: null},
        ],
      },
      {table: 'filter', chain: 'DOCKWALL-INPUT', rules: []},
    ])
  })
})
