// What dockwall knows of each Docker engine (src/docker/engine.ts): its version, whether
// it drops direct access in raw PREROUTING, and whether dockwall supports its firewall
// backend at all, from what `docker version` and `docker info` report.
import type Dockerode from 'dockerode'
import {describe, expect, it} from 'vitest'

import type {DockerConnection} from '../../../src/docker/client.js'
import {engineHasRawDrops, parseEngineVersion, unsupportedEngine} from '../../../src/docker/engine.js'
import {readEngine} from '../../../src/docker/read.js'
import {formatDiagnostic} from '../../../src/errors.js'

/** A Docker API that answers version and info as the given engine does. */
function engineConn(version: string, info: Record<string, unknown>): DockerConnection {
  const client = {version: async () => ({Version: version, ApiVersion: '1.52'}), info: async () => info}
  return {client: client as unknown as Dockerode, display: 'unix:///test/docker.sock'} as DockerConnection
}

describe('engine versions', () => {
  it.each([
    ['20.10.24+dfsg1', {major: 20, minor: 10, patch: 24}],
    ['26.1.5+dfsg1', {major: 26, minor: 1, patch: 5}],
    ['28.5.2+dfsg4', {major: 28, minor: 5, patch: 2}],
    ['29.0.0-rc.1', {major: 29, minor: 0, patch: 0}],
  ])('reads %s', (text, want) => {
    expect(parseEngineVersion(text)).toEqual(want)
  })

  it('has raw drops from 28.0 on, with the iptables backend', () => {
    expect(engineHasRawDrops({version: '20.10.24+dfsg1', apiVersion: '1.41'})).toBe(false)
    expect(engineHasRawDrops({version: '27.5.1', apiVersion: '1.47'})).toBe(false)
    expect(engineHasRawDrops({version: '28.0.0', apiVersion: '1.48'})).toBe(true)
    expect(engineHasRawDrops({version: '29.1.0', apiVersion: '1.52', firewallBackend: 'iptables'})).toBe(true)
    expect(engineHasRawDrops({version: '29.1.0', apiVersion: '1.52', firewallBackend: 'nftables'})).toBe(false)
    expect(engineHasRawDrops({version: '', apiVersion: ''})).toBe(false)
  })
})

describe("Docker 29's nftables firewall backend", () => {
  it('is read from docker info and refused with the engine setting and what dockwall supports', async () => {
    // Given Docker 29 started with "firewall-backend": "nftables"
    const engine = await readEngine(engineConn('29.1.0', {FirewallBackend: {Driver: 'nftables'}}))
    expect(engine.firewallBackend).toBe('nftables')
    // Then dockwall refuses, naming the setting, what it supports, and that nothing changed
    const d = unsupportedEngine(engine)
    expect(d?.severity).toBe('error')
    expect(formatDiagnostic(d!)).toBe(
      "Docker Engine 29.1.0 uses its nftables firewall backend (FirewallBackend: nftables); dockwall supports Docker's iptables backend only\n" +
        '  With "firewall-backend": "nftables" Docker writes the nftables tables ip/ip6 docker-bridges and no DOCKER-USER chain, ' +
        'so rules dockwall writes with iptables would not decide the traffic. Run dockerd with its default iptables backend ' +
        '(remove "firewall-backend" from /etc/docker/daemon.json, or set it to "iptables", and restart Docker), then plan again. ' +
        'Nothing was changed.',
    )
  })

  it.each([
    ['20.10.24', {}],
    ['28.5.2', {FirewallBackend: {Driver: 'iptables'}}],
    ['29.1.0', {FirewallBackend: {Driver: 'iptables+firewalld'}}],
  ])('accepts %s with %j', async (version, info) => {
    expect(unsupportedEngine(await readEngine(engineConn(version, info)))).toBeUndefined()
  })
})
