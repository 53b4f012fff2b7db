// assert blocks: HCL and JSON read alike into the model; bad input gets an error at the
// value it is about (an unknown container, a port out of range, expect = "maybe"...).
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-assert-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function load(files: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content)
  return loadConfig({path: dir, env: {}})
}

const BASE = `
variable "lan" { default = "192.168.1.0/24" }
network "front" { subnet = "10.31.1.0/24" }
container "web" { name = "web-1" }
container "db" {}
`

async function errors(body: string): Promise<string[]> {
  const r = await load({'main.hcl': `${BASE}${body}`})
  expect(r.model).toBeUndefined()
  return r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.at?.line}:${d.at?.column} ${d.address ?? ''}: ${d.summary}`)
}

describe('assert blocks', () => {
  it('HCL: references, variables, host, external:IF and addresses, with defaults', async () => {
    const r = await load({
      'main.hcl': `${BASE}
assert "lan_reaches_web" {
  from   = var.lan
  to     = container.web
  proto  = "tcp"
  port   = 443
  expect = "allow"
}

assert "db_isolated" {
  from        = container.db
  to          = network.front
  port        = "5432"
  expect      = "deny"
  description = "the database never talks to the front network"
}

assert "ping" {
  from   = "external:eth0"
  to     = "host"
  proto  = "icmp"
  expect = "allow"
}

assert "wg" {
  from         = "10.8.0.5"
  to           = container.db
  port         = 22
  in_interface = "wg0"
  expect       = "deny"
}
`,
    })
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    expect(r.model?.asserts.map(({at, ...a}) => ({...a, line: at.line}))).toEqual([
      {
        address: 'assert.db_isolated',
        label: 'db_isolated',
        from: {kind: 'container', container: 'db'},
        to: {kind: 'network', network: 'front'},
        proto: 'tcp',
        port: 5432,
        expect: 'deny',
        description: 'the database never talks to the front network',
        line: 15,
      },
      {
        address: 'assert.lan_reaches_web',
        label: 'lan_reaches_web',
        from: {kind: 'cidr', cidr: '192.168.1.0/24', family: 'ipv4'},
        to: {kind: 'container', container: 'web'},
        proto: 'tcp',
        port: 443,
        expect: 'allow',
        line: 7,
      },
      {
        address: 'assert.ping',
        label: 'ping',
        from: {kind: 'external', interface: 'eth0'},
        to: {kind: 'host'},
        proto: 'icmp',
        expect: 'allow',
        line: 23,
      },
      {
        address: 'assert.wg',
        label: 'wg',
        from: {kind: 'cidr', cidr: '10.8.0.5/32', family: 'ipv4'},
        to: {kind: 'container', container: 'db'},
        proto: 'tcp',
        port: 22,
        inInterface: 'wg0',
        expect: 'deny',
        line: 30,
      },
    ])
  })

  it('the JSON form reads the same', async () => {
    const r = await load({
      'main.hcl': BASE,
      'asserts.hcl.json': JSON.stringify(
        {
          assert: {
            lan_reaches_web: {from: '${var.lan}', to: '${container.web}', port: 443, expect: 'allow'},
          },
        },
        null,
        2,
      ),
    })
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    const [a] = r.model!.asserts
    expect(a).toMatchObject({
      address: 'assert.lan_reaches_web',
      from: {kind: 'cidr', cidr: '192.168.1.0/24'},
      to: {kind: 'container', container: 'web'},
      proto: 'tcp',
      port: 443,
      expect: 'allow',
    })
    expect(a?.at.file).toMatch(/asserts\.hcl\.json$/)
  })

  it.each([
    [
      'an unknown container',
      'assert "x" {\n  from   = container.nope\n  to     = container.web\n  port   = 80\n  expect = "allow"\n}\n',
      /^8:12 assert\.x: reference to undeclared container container\.nope/,
    ],
    [
      'a port out of range',
      'assert "x" {\n  from   = container.db\n  to     = container.web\n  port   = 70000\n  expect = "allow"\n}\n',
      /^10:12 assert\.x: port: port 70000 is out of range \(1-65535\)$/,
    ],
    [
      'expect = "maybe"',
      'assert "x" {\n  from   = container.db\n  to     = container.web\n  port   = 80\n  expect = "maybe"\n}\n',
      /^11:12 assert\.x: .*"allow".*"deny"/,
    ],
    [
      'tcp without a port',
      'assert "x" {\n  from   = container.db\n  to     = container.web\n  expect = "allow"\n}\n',
      /^7:1 assert\.x: port is required with proto = "tcp"$/,
    ],
    [
      'icmp with a port',
      'assert "x" {\n  from   = container.db\n  to     = container.web\n  proto  = "icmp"\n  port   = 1\n  expect = "allow"\n}\n',
      /^11:12 assert\.x: icmp has no port: leave port out$/,
    ],
    [
      '"any"',
      'assert "x" {\n  from   = "any"\n  to     = container.web\n  port   = 80\n  expect = "allow"\n}\n',
      /^8:12 assert\.x: from = "any" is not one place to ask about/,
    ],
    [
      'a bad interface',
      'assert "x" {\n  from   = "external:this-name-is-far-too-long"\n  to     = "host"\n  port   = 80\n  expect = "allow"\n}\n',
      /^8:12 assert\.x: from "external:this-name-is-far-too-long": /,
    ],
    [
      'no expect',
      'assert "x" {\n  from = container.db\n  to   = container.web\n  port = 80\n}\n',
      /^7:1 assert\.x: .*expect/,
    ],
    [
      'families that cannot meet',
      'assert "x" {\n  from   = "10.0.0.1"\n  to     = "fd00::1"\n  port   = 80\n  expect = "allow"\n}\n',
      /^9:12 assert\.x: to is IPv6 and from is IPv4: no packet is both$/,
    ],
  ])('%s: an error at the value', async (_, body, message) => {
    const e = await errors(`\n${body}`)
    expect(e).toHaveLength(1)
    expect(e[0]).toMatch(message)
  })
})
