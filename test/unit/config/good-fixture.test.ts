// The good fixture (every block type, HCL and JSON files merged) produces exactly this
// model: defaults filled in, variables and interpolation evaluated, references kept
// symbolic, CIDRs normalised, lists sorted by address.
import {resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'
import type {DesiredModel, SourcePos} from '../../../src/model/types.js'

const dir = 'fixtures/config/validate-good'
const at = (file: string, line: number, column: number): SourcePos => ({file: `${dir}/${file}`, line, column})

const expected: DesiredModel = {
  settings: {
    backend: 'auto',
    statePath: resolve(dir, 'state/dockwall.state.json'),
  },
  networks: [
    {
      address: 'network.backend',
      label: 'backend',
      name: 'app-prod-backend',
      driver: 'bridge',
      subnet: '172.18.104.0/24',
      gateway: '172.18.104.1',
      internal: true,
      labels: {},
      options: {},
      at: at('00-settings.hcl', 37, 1),
    },
    {
      address: 'network.frontend',
      label: 'frontend',
      name: 'frontend',
      driver: 'bridge',
      subnet: '172.18.103.0/24',
      gateway: '172.18.103.1',
      ipRange: '172.18.103.128/25',
      internal: false,
      labels: {
        env: 'prod',
        team: 'web',
      },
      options: {
        'com.docker.network.bridge.name': 'br-frontend',
        'com.docker.network.driver.mtu': '1400',
      },
      at: at('00-settings.hcl', 22, 1),
    },
  ],
  containers: [
    {
      address: 'container.backend',
      label: 'backend',
      name: 'backend',
      attachments: [
        {
          address: 'container.backend.network.backend',
          container: 'backend',
          network: 'backend',
          ipv4Address: '172.18.104.3',
          aliases: [],
          at: at('10-containers.hcl', 21, 3),
        },
      ],
      routes: [],
      at: at('10-containers.hcl', 20, 1),
    },
    {
      address: 'container.lb',
      label: 'lb',
      name: 'smarthost_loadbalancer',
      attachments: [
        {
          address: 'container.lb.network.backend',
          container: 'lb',
          network: 'backend',
          ipv4Address: '172.18.104.2',
          aliases: [],
          at: at('10-containers.hcl', 7, 3),
        },
        {
          address: 'container.lb.network.frontend',
          container: 'lb',
          network: 'frontend',
          ipv4Address: '172.18.103.2',
          aliases: ['lb', 'proxy'],
          at: at('10-containers.hcl', 3, 3),
        },
      ],
      routes: [
        {
          address: 'container.lb.route["10.8.0.0/24"]',
          container: 'lb',
          destination: '10.8.0.0/24',
          via: '172.18.103.1',
          family: 'ipv4',
          at: at('10-containers.hcl', 10, 3),
        },
        {
          address: 'container.lb.route["10.9.0.0/16"]',
          container: 'lb',
          destination: '10.9.0.0/16',
          via: '172.18.104.1',
          family: 'ipv4',
          at: at('10-containers.hcl', 14, 3),
        },
      ],
      at: at('10-containers.hcl', 1, 1),
    },
    {
      address: 'container.worker',
      label: 'worker',
      name: 'worker',
      attachments: [],
      routes: [],
      at: at('10-containers.hcl', 28, 1),
    },
  ],
  rules: [
    {
      address: 'rule.backend_to_lb',
      label: 'backend_to_lb',
      chain: 'forward',
      from: [
        {
          kind: 'container',
          container: 'backend',
        },
      ],
      to: [
        {
          kind: 'container',
          container: 'lb',
        },
      ],
      proto: 'tcp',
      ports: [
        {
          from: 80,
          to: 80,
        },
        {
          from: 443,
          to: 443,
        },
        {
          from: 8000,
          to: 8100,
        },
      ],
      action: 'accept',
      priority: 100,
      at: at('20-rules.hcl', 1, 1),
    },
    {
      address: 'rule.drop_worker',
      label: 'drop_worker',
      chain: 'forward',
      from: [
        {
          kind: 'container',
          container: 'worker',
        },
      ],
      to: [
        {
          kind: 'any',
        },
      ],
      proto: 'all',
      ports: [],
      action: 'drop',
      priority: 900,
      inInterface: 'veth+',
      at: at('20-rules.hcl', 18, 1),
    },
    {
      address: 'rule.inside_lb',
      label: 'inside_lb',
      chain: 'input',
      from: [
        {
          kind: 'any',
        },
      ],
      to: [
        {
          kind: 'any',
        },
      ],
      proto: 'udp',
      ports: [
        {
          from: 53,
          to: 53,
        },
      ],
      action: 'reject',
      priority: 100,
      inContainer: 'lb',
      at: at('20-rules.hcl', 32, 1),
    },
    {
      address: 'rule.lan_to_frontend',
      label: 'lan_to_frontend',
      chain: 'forward',
      from: [
        {
          kind: 'cidr',
          cidr: '192.168.1.0/24',
          family: 'ipv4',
        },
        {
          kind: 'cidr',
          cidr: '10.8.0.5/32',
          family: 'ipv4',
        },
      ],
      to: [
        {
          kind: 'network',
          network: 'frontend',
        },
      ],
      proto: 'tcp',
      ports: [
        {
          from: 22,
          to: 22,
        },
      ],
      action: 'accept',
      priority: 100,
      description: 'SSH from prod LAN',
      at: at('20-rules.hcl', 11, 1),
    },
    {
      address: 'rule.ping_host',
      label: 'ping_host',
      chain: 'input',
      from: [
        {
          kind: 'any',
        },
      ],
      to: [
        {
          kind: 'any',
        },
      ],
      proto: 'icmp',
      ports: [],
      action: 'accept',
      priority: 10,
      at: at('20-rules.hcl', 25, 1),
    },
  ],
  portForwards: [
    {
      address: 'port_forward.dns_to_ip',
      label: 'dns_to_ip',
      inInterface: 'eth0',
      proto: 'udp',
      port: 5353,
      to: {
        kind: 'cidr',
        cidr: '172.18.104.3/32',
        family: 'ipv4',
      },
      toPort: 53,
      from: [
        {
          kind: 'cidr',
          cidr: '192.168.1.0/24',
          family: 'ipv4',
        },
      ],
      at: at('30-extra.hcl.json', 12, 5),
    },
    {
      address: 'port_forward.lb_inside',
      label: 'lb_inside',
      inContainer: 'lb',
      proto: 'tcp',
      port: 8080,
      to: {
        kind: 'container',
        container: 'lb',
      },
      toPort: 80,
      from: [
        {
          kind: 'any',
        },
      ],
      at: at('30-extra.hcl.json', 4, 5),
    },
    {
      address: 'port_forward.wg_http',
      label: 'wg_http',
      inInterface: 'wg0',
      proto: 'tcp',
      port: 80,
      to: {
        kind: 'container',
        container: 'lb',
      },
      toPort: 80,
      from: [
        {
          kind: 'any',
        },
      ],
      at: at('20-rules.hcl', 41, 1),
    },
  ],
  masquerades: [
    {
      address: 'masquerade.backend_out',
      label: 'backend_out',
      source: {
        kind: 'network',
        network: 'backend',
      },
      outInterface: 'eth0',
      at: at('30-extra.hcl.json', 22, 5),
    },
    {
      address: 'masquerade.lb_inside',
      label: 'lb_inside',
      source: {
        kind: 'cidr',
        cidr: '10.8.0.0/24',
        family: 'ipv4',
      },
      destination: {
        kind: 'container',
        container: 'backend',
      },
      inContainer: 'lb',
      at: at('30-extra.hcl.json', 28, 5),
    },
  ],
  asserts: [],
  firewall: {
    forwardPolicy: 'docker',
    inputPolicy: 'drop',
    sshPort: 2222,
    at: at('20-rules.hcl', 48, 1),
  },
  imports: [
    {
      to: 'network.frontend',
      id: '3f2a9c1d0b7e',
      at: at('30-extra.hcl.json', 35, 5),
    },
    {
      to: 'container.lb.network.frontend',
      id: 'smarthost_loadbalancer',
      at: at('30-extra.hcl.json', 36, 5),
    },
  ],
  files: ['00-settings.hcl', '10-containers.hcl', '20-rules.hcl', '30-extra.hcl.json'].map((f) => `${dir}/${f}`),
}

describe('validate-good', () => {
  it('loads every block type into the desired model', async () => {
    const r = await loadConfig({path: dir, env: {}})
    expect(r.diagnostics).toEqual([])
    expect(r.model).toEqual(expected)
  })
})
