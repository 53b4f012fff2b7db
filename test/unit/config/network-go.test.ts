// The network-go seed's networks.json sample, written in dockwall's language
// (fixtures/config/network-go), validates and means what the seed meant.
import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'

describe('network-go sample', () => {
  it('has two networks, two containers with static IPs, a forward rule and a DNAT on wg0', async () => {
    const r = await loadConfig({path: 'fixtures/config/network-go', env: {}})
    expect(r.diagnostics).toEqual([])
    const m = r.model!
    expect(m.networks.map((n) => [n.address, n.name, n.subnet, n.gateway])).toEqual([
      ['network.backend', 'smarthost_backend-1', '172.18.104.0/24', '172.18.104.1'],
      ['network.loadbalancer', 'smarthost-loadbalancer', '172.18.103.0/24', '172.18.103.1'],
    ])
    expect(m.containers.flatMap((c) => c.attachments.map((a) => [c.name, a.address, a.ipv4Address]))).toEqual([
      ['smarthostbackend-1', 'container.backend.network.backend', '172.18.104.2'],
      ['smarthost_loadbalancer', 'container.lb.network.loadbalancer', '172.18.103.2'],
    ])
    expect(m.rules).toEqual([
      expect.objectContaining({
        address: 'rule.backend_to_lb',
        chain: 'forward',
        from: [{kind: 'container', container: 'backend'}],
        to: [{kind: 'container', container: 'lb'}],
        proto: 'tcp',
        ports: [{from: 80, to: 80}],
        action: 'accept',
        priority: 100,
      }),
    ])
    expect(m.portForwards).toEqual([
      expect.objectContaining({
        address: 'port_forward.wireguardproxy',
        inInterface: 'wg0',
        proto: 'tcp',
        port: 80,
        to: {kind: 'container', container: 'lb'},
        toPort: 80,
        from: [{kind: 'any'}],
      }),
    ])
  })
})
