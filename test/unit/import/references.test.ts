// Addresses → references, only where the reference means exactly the same addresses.
import {describe, expect, it} from 'vitest'

import {containerIps, findReference, type ReferenceIndex} from '../../../src/import/references.js'
import {backend, ctr, frontend} from './helpers.js'

const index: ReferenceIndex = {
  containers: [
    {label: 'lb', name: 'smarthost_loadbalancer', ips: ['172.18.103.2'], staticIps: ['172.18.103.2']},
    {label: 'web', name: 'web', ips: ['172.18.103.5']},
    {label: 'proxy', name: 'proxy', ips: ['172.18.103.3', '172.18.104.3']},
  ],
  networks: [{label: 'frontend', subnet: '172.18.103.0/24'}],
}

describe('findReference', () => {
  it('names a container whose only address it is', () => {
    expect(findReference('172.18.103.2/32', index)).toEqual({
      kind: 'container',
      label: 'lb',
      text: 'container.lb',
      families: ['ipv4'],
    })
  })

  it('names a container by its dynamic address too, and says the reference will follow it', () => {
    expect(findReference('172.18.103.5/32', index)).toEqual({
      kind: 'container',
      label: 'web',
      text: 'container.web',
      families: ['ipv4'],
      note: expect.stringMatching(/dynamic address: the reference follows the container/),
    })
  })

  it('keeps the address of a container with several, because the reference would match them all', () => {
    expect(findReference('172.18.104.3/32', index)).toEqual({
      kind: 'literal',
      text: '172.18.104.3',
      note: expect.stringMatching(/container.proxy .*also has 172.18.103.3/),
    })
  })

  it('names a network whose subnet the CIDR is', () => {
    expect(findReference('172.18.103.0/24', index)).toEqual({
      kind: 'network',
      label: 'frontend',
      text: 'network.frontend',
      families: ['ipv4'],
    })
  })

  it('writes anything else as it is, hosts without /32', () => {
    expect(findReference('10.0.0.0/8', index)).toEqual({kind: 'literal', text: '10.0.0.0/8'})
    expect(findReference('172.18.103.0/25', index)).toEqual({kind: 'literal', text: '172.18.103.0/25'})
    expect(findReference('192.168.1.7/32', index)).toEqual({kind: 'literal', text: '192.168.1.7'})
  })
})

describe('containerIps', () => {
  it('counts current and requested addresses once each, on every network', () => {
    const c = ctr('two', [
      {network: frontend, ip: '172.18.103.9', static: true},
      {network: backend, ip: '172.18.104.9'},
    ])
    expect(containerIps(c).sort()).toEqual(['172.18.103.9', '172.18.104.9'])
    expect(
      containerIps({endpoints: [{networkId: 'x', networkName: 'x', staticIpv4Address: '10.0.0.2', aliases: []}]}),
    ).toEqual(['10.0.0.2'])
  })
})
