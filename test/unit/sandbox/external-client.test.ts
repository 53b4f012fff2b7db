// Where a rehearsal's client sits (src/sandbox/external-client.ts): inSubnet decides whether
// the client shares the host interface's subnet (one on-link route) or needs a host route
// each way; the placement gives the sandbox side the interface's addresses.
import {describe, expect, it} from 'vitest'

import {ExternalClient, inSubnet} from '../../../src/sandbox/index.js'

describe('inSubnet', () => {
  it.each([
    ['192.168.1.10/24', '192.168.1.254', true],
    ['192.168.1.10/24', '192.168.2.1', false],
    ['10.0.0.1/8', '10.255.3.4', true],
    ['10.0.0.1/32', '10.0.0.1', true],
    ['10.0.0.1/32', '10.0.0.2', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['fd00:1::1/64', 'fd00:1::ffff', true],
    ['fd00:1::1/64', 'fd00:2::1', false],
    ['fd00:1::1/64', '192.168.1.1', false],
    ['192.168.1.10/24', 'fd00::1', false],
    ['192.168.1.10/33', '192.168.1.1', false],
    ['192.168.1.10/24', 'not-an-ip', false],
  ])('%s holds %s: %s', (cidr, ip, want) => {
    expect(inSubnet(cidr, ip)).toBe(want)
  })
})

describe('ExternalClient placement', () => {
  const noop = async (): Promise<void> => {}

  it('by default: 198.18.<n>.1 on the sandbox side, .2 for the client', () => {
    const c = new ExternalClient({netns: 'x-c3', ifname: 'dwext3', index: 3}, '/bin/busybox', noop)
    expect([c.sandboxIp, c.ip, c.prefixLength, c.sandboxAddresses]).toEqual([
      '198.18.3.1',
      '198.18.3.2',
      24,
      ['198.18.3.1/24'],
    ])
  })

  it("placed like a host interface: its addresses, the client's own, the prefix of its family", () => {
    const c = new ExternalClient(
      {
        netns: 'x-c0',
        ifname: 'eth0',
        index: 0,
        at: {sandboxAddresses: ['fd00::5/64', '192.168.1.10/24'], clientAddress: '192.168.1.254'},
      },
      '/bin/busybox',
      noop,
    )
    expect([c.ifname, c.sandboxIp, c.ip, c.prefixLength]).toEqual(['eth0', '192.168.1.10', '192.168.1.254', 24])
    expect(c.sandboxAddresses).toEqual(['fd00::5/64', '192.168.1.10/24'])
  })

  it('refuses an interface without an address of the client’s family', () => {
    expect(
      () =>
        new ExternalClient(
          {netns: 'x', ifname: 'eth0', index: 0, at: {sandboxAddresses: ['fd00::5/64'], clientAddress: '10.0.0.9'}},
          '/bin/busybox',
          noop,
        ),
    ).toThrow(/no address of 10\.0\.0\.9's family/)
  })
})
