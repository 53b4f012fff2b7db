// Values Docker judges when it creates a network are checked before the plan runs, with a
// position (issue 15: "br x" as a bridge name passed validate, and apply then deleted the
// network and failed to create its replacement).
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'
import {formatDiagnostic} from '../../../src/errors.js'
import {bridgeNameError, dockerNameError, networkOptionError} from '../../../src/model/names.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-docker-values-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function errors(text: string): Promise<string[]> {
  await writeFile(join(dir, 'main.hcl'), text)
  const r = await loadConfig({path: dir, env: {}})
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d).replaceAll(`${dir}/`, ''))
}

const net = (body: string): string => `network "app" {\n  subnet = "10.9.0.0/24"\n${body}\n}\n`

describe('Docker values in the configuration', () => {
  it.each([
    ['br x', 'may contain only letters'],
    ['a"b', 'may contain only letters'],
    ["a'b", 'may contain only letters'],
    ['a;b', 'may contain only letters'],
    ['a/b', 'may contain only letters'],
    ['eth0:1', 'may contain only letters'],
    ['..', 'not a valid interface name'],
    ['', 'cannot be empty'],
    ['br-0123456789abc', 'at most 15 bytes'],
    ['brü0123456789ab', 'at most 15 bytes'],
  ])('refuses the bridge name %j with its position', async (name, why) => {
    const out = await errors(net(`  options = { "com.docker.network.bridge.name" = ${JSON.stringify(name)} }`))
    expect(out).toHaveLength(1)
    expect(out[0]).toMatch(
      new RegExp(`^main\\.hcl:3:\\d+: network\\.app: options\\["com\\.docker\\.network\\.bridge\\.name"\\] = `),
    )
    expect(out[0]).toContain(why)
  })

  it('accepts real bridge names', () => {
    for (const name of ['br0', 'docker_gwbridge', 'br-0123456789ab', 'vlan.100', 'br-app'])
      expect(bridgeNameError(name)).toBeUndefined()
  })

  it.each([
    ['com.docker.network.bridge.enable_icc', 'yes', 'expected true or false'],
    ['com.docker.network.bridge.enable_ip_masquerade', 'on', 'expected true or false'],
    ['com.docker.network.driver.mtu', '-1', 'expected an MTU'],
    ['com.docker.network.driver.mtu', '1e3', 'expected an MTU'],
    ['com.docker.network.bridge.host_binding_ipv4', '10.0.0', 'expected an IP address'],
    ['com.docker.network.bridge.gateway_mode_ipv4', 'bridged', 'expected nat, nat-unprotected, routed or isolated'],
    ['com.docker.network.container_iface_prefix', 'e th', 'expected an interface name prefix'],
  ])('refuses the option %s = %j as the bridge driver would', (key, value, why) => {
    expect(networkOptionError(key, value)).toContain(why)
  })

  it('accepts the values the bridge driver accepts', () => {
    expect(networkOptionError('com.docker.network.bridge.enable_icc', 'True')).toBeUndefined()
    expect(networkOptionError('com.docker.network.bridge.enable_icc', '0')).toBeUndefined()
    expect(networkOptionError('com.docker.network.driver.mtu', '1450')).toBeUndefined()
    expect(networkOptionError('com.docker.network.bridge.host_binding_ipv4', '127.0.0.1')).toBeUndefined()
    expect(networkOptionError('com.example.unknown', 'anything')).toBeUndefined()
  })

  it("refuses dockwall's own lineage label, oversized labels and options, and control characters in options", async () => {
    const out = await errors(
      net(
        [
          '  labels = {',
          '    "dockwall.lineage" = "x"',
          `    big = "${'v'.repeat(5000)}"`,
          '  }',
          `  options = { "${'k'.repeat(300)}" = "1", "bell" = "a\\u0007b" }`,
        ].join('\n'),
      ),
    )
    expect(out.map((l) => l.replace(/ = ".*?": /, ' = …: '))).toEqual([
      'main.hcl:4:26: network.app: labels["dockwall.lineage"] = …: the label dockwall.lineage is dockwall\'s own: it marks the networks dockwall creates',
      'main.hcl:5:11: network.app: labels["big"] = …: a label value can have at most 4096 characters (this one has 5000)',
      expect.stringMatching(/^main\.hcl:7:\d+: network\.app: options\["k+"\] = …: an option name can have at most 255/),
      expect.stringMatching(
        /^main\.hcl:7:\d+: network\.app: options\["bell"\] = …: an option cannot contain control characters$/,
      ),
    ])
  })

  it('refuses a network or container name longer than 255 characters (a 5 MB name failed mid-apply with HTTP 431)', async () => {
    expect(dockerNameError('n'.repeat(255), 'network')).toBeUndefined()
    expect(dockerNameError('n'.repeat(256), 'network')).toBe(
      'a Docker network name can have at most 255 characters (this one has 256)',
    )
    const out = await errors(
      `${net(`  name = "${'n'.repeat(300)}"`)}container "c" {\n  name = "${'c'.repeat(256)}"\n}\n`,
    )
    expect(out).toEqual([
      expect.stringMatching(
        /^main\.hcl:3:\d+: network\.app: network name "n+": a Docker network name can have at most 255/,
      ),
      expect.stringMatching(
        /^main\.hcl:6:\d+: container\.c: container name "c+": a Docker container name can have at most 255/,
      ),
    ])
  })
})
