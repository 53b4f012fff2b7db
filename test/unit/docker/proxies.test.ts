import {describe, expect, it} from 'vitest'

import {proxyFromArgv} from '../../../src/docker/proxies.js'

describe('proxyFromArgv', () => {
  it("reads docker-proxy's command line (Docker 20.10 to 28)", () => {
    expect(
      proxyFromArgv([
        '/usr/libexec/docker/docker-proxy',
        '-proto',
        'tcp',
        '-host-ip',
        '0.0.0.0',
        '-host-port',
        '8080',
        '-container-ip',
        '10.31.1.10',
        '-container-port',
        '80',
        '-use-listen-fd',
      ]),
    ).toEqual({namespace: 'host', proto: 'tcp', address: '0.0.0.0', port: 8080, to: {address: '10.31.1.10', port: 80}})
  })

  it.each([
    [['/usr/bin/sleep', '-proto', 'tcp']],
    [
      [
        'docker-proxy',
        '-proto',
        'sctp',
        '-host-ip',
        '::',
        '-host-port',
        '1',
        '-container-ip',
        'x',
        '-container-port',
        '1',
      ],
    ],
    [
      [
        'docker-proxy',
        '-proto',
        'udp',
        '-host-ip',
        '::',
        '-host-port',
        'x',
        '-container-ip',
        'y',
        '-container-port',
        '1',
      ],
    ],
  ])('leaves out anything else: %j', (argv) => {
    expect(proxyFromArgv(argv)).toBeUndefined()
  })
})
