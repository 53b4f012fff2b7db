// IPv6 in the configuration: addresses and CIDRs of either family where either makes
// sense, each family in its own attributes, canonical (RFC 5952) spellings in the model,
// and a positioned error for a value of the wrong family (the bad fixture
// validate-bad-ipv6-family covers the messages and positions of every attribute).
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'
import {canonicalCidr6, cidrs6Overlap, formatIPv6, parseCidr6, parseIPv6} from '../../../src/config/ipv6.js'
import {cidr, cidr6, cidrAny, endpoint, ipAny, ipv4, ipv6} from '../../../src/config/values.js'

const labels = {containers: new Set(['lb']), networks: new Set(['front'])}

describe('IPv6 addresses', () => {
  it('parses what iptables and Docker read alike, and prints RFC 5952', () => {
    expect(formatIPv6(parseIPv6('FD00:0:0:0:0:0:0:0001')!)).toBe('fd00::1')
    expect(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1') // first of two equal runs
    expect(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1') // one zero group stays
    expect(formatIPv6(parseIPv6('::')!)).toBe('::')
    expect(formatIPv6(parseIPv6('::1')!)).toBe('::1')
    expect(formatIPv6(parseIPv6('fe80::')!)).toBe('fe80::')
    for (const bad of ['fe80::1%eth0', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8:9', 'fd00:::1', 'fd00::g', '10.0.0.1', ''])
      expect(parseIPv6(bad)).toBeUndefined()
  })

  it('parses CIDRs, normalises and compares them', () => {
    expect(canonicalCidr6(parseCidr6('fd00::1/64')!)).toBe('fd00::/64')
    expect(parseCidr6('fd00::/129')).toBeUndefined()
    expect(parseCidr6('fd00::/064')).toBeUndefined()
    expect(cidrs6Overlap(parseCidr6('fd00::/48')!, parseCidr6('fd00:0:0:5::/64')!)).toBe(true)
    expect(cidrs6Overlap(parseCidr6('fd00:1::/64')!, parseCidr6('fd00:2::/64')!)).toBe(false)
    expect(cidrs6Overlap(parseCidr6('::/0')!, parseCidr6('fd00::1/128')!)).toBe(true)
  })
})

describe('values of a family', () => {
  it('names the other family and the attribute that takes it', () => {
    expect(ipv4('fd00::1', {use: 'ipv6_address'})).toEqual({
      ok: false,
      error: '"fd00::1" is an IPv6 address; an IPv4 address is expected here; use ipv6_address',
    })
    expect(ipv6('10.0.0.1', {use: 'ipv4_address'})).toEqual({
      ok: false,
      error: '"10.0.0.1" is an IPv4 address; an IPv6 address is expected here; use ipv4_address',
    })
    expect(cidr('fd00::/64')).toEqual({ok: false, error: '"fd00::/64" is an IPv6 CIDR; an IPv4 CIDR is expected here'})
    expect(cidr6('10.0.0.0/8', {use: 'subnet'})).toEqual({
      ok: false,
      error: '"10.0.0.0/8" is an IPv4 CIDR; an IPv6 CIDR is expected here; use subnet',
    })
    expect(cidr6('fd00::1/64')).toEqual({ok: false, error: '"fd00::1/64" has host bits set; did you mean "fd00::/64"?'})
    expect(ipv6('::ffff:10.0.0.1')).toEqual({
      ok: false,
      error: '"::ffff:10.0.0.1" is an IPv4-mapped address (IPv4 traffic); write the IPv4 address',
    })
  })

  it('takes either family where either makes sense, in canonical form', () => {
    expect(ipAny('FD00::0001')).toEqual({ok: true, value: {family: 'ipv6', text: 'fd00::1'}})
    expect(ipAny('10.0.0.1')).toEqual({ok: true, value: {family: 'ipv4', text: '10.0.0.1'}})
    expect(cidrAny('fd00:0::/64')).toEqual({ok: true, value: {family: 'ipv6', text: 'fd00::/64'}})
    expect(cidrAny('10.0.0.0/8')).toEqual({ok: true, value: {family: 'ipv4', text: '10.0.0.0/8'}})
    expect(endpoint('FD00::5', labels)).toEqual({ok: true, value: {kind: 'cidr', cidr: 'fd00::5/128', family: 'ipv6'}})
    expect(endpoint('fd00::/48', labels)).toEqual({ok: true, value: {kind: 'cidr', cidr: 'fd00::/48', family: 'ipv6'}})
    expect(endpoint('fd00::1/48', labels)).toEqual({
      ok: false,
      error: '"fd00::1/48" has host bits set; did you mean "fd00::/48"?',
    })
  })
})

describe('an IPv6 configuration', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dockwall-ipv6-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('loads into the model with both families', async () => {
    // Given a dual-stack network, an IPv6 network whose subnet Docker chooses, and rules of both families
    await writeFile(
      join(dir, 'main.hcl'),
      `
network "front" {
  subnet        = "10.40.1.0/24"
  ipv6_subnet   = "FD00:40:1::/64"
  ipv6_gateway  = "fd00:40:1::1"
  ipv6_ip_range = "fd00:40:1::8000/113"
}

network "auto" {
  subnet = "10.40.2.0/24"
  ipv6   = true
}

container "web" {
  network "front" {
    ipv4_address = "10.40.1.10"
    ipv6_address = "fd00:40:1:0::10"
  }
  route {
    destination = "fd00:99::/64"
    via         = "fd00:40:1::1"
  }
}

rule "mixed" {
  from = ["10.0.0.0/8", "2001:db8::/32"]
  to   = container.web
  port = 80
}

rule "only6" {
  from = "2001:db8::7"
  to   = "fd00:40:1::10"
}
`,
    )
    // When it is loaded
    const r = await loadConfig({path: dir, env: {}})
    // Then the model has both families, canonically spelled
    expect(r.diagnostics).toEqual([])
    const m = r.model!
    expect(m.networks.map((n) => [n.label, n.ipv6])).toEqual([
      ['auto', {}],
      ['front', {subnet: 'fd00:40:1::/64', gateway: 'fd00:40:1::1', ipRange: 'fd00:40:1::8000/113'}],
    ])
    const web = m.containers[0]!
    expect(web.attachments[0]).toMatchObject({ipv4Address: '10.40.1.10', ipv6Address: 'fd00:40:1::10'})
    expect(web.routes[0]).toMatchObject({
      address: 'container.web.route["fd00:99::/64"]',
      destination: 'fd00:99::/64',
      via: 'fd00:40:1::1',
      family: 'ipv6',
    })
    expect(m.rules.find((x) => x.label === 'mixed')!.from).toEqual([
      {kind: 'cidr', cidr: '10.0.0.0/8', family: 'ipv4'},
      {kind: 'cidr', cidr: '2001:db8::/32', family: 'ipv6'},
    ])
    expect(m.rules.find((x) => x.label === 'only6')!.to).toEqual([
      {kind: 'cidr', cidr: 'fd00:40:1::10/128', family: 'ipv6'},
    ])
  })

  it('refuses overlapping IPv6 subnets and a static IPv6 address twice, at the attribute', async () => {
    await writeFile(
      join(dir, 'main.hcl'),
      `network "a" {
  subnet      = "10.41.1.0/24"
  ipv6_subnet = "fd00:41::/48"
}

network "b" {
  subnet      = "10.41.2.0/24"
  ipv6_subnet = "fd00:41:0:5::/64"
}

container "xx" {
  network "a" {
    ipv6_address = "fd00:41::5"
  }
}

container "yy" {
  network "a" {
    ipv6_address = "fd00:41::5"
  }
}
`,
    )
    const r = await loadConfig({path: dir, env: {}})
    expect(r.diagnostics.map((d) => [d.at?.line, d.at?.column, d.address, d.summary])).toEqual([
      [8, 17, 'network.b', `ipv6_subnet fd00:41:0:5::/64 overlaps network.a (fd00:41::/48, at ${dir}/main.hcl:1)`],
      [
        19,
        20,
        'container.yy.network.a',
        `ipv6_address fd00:41::5 is already assigned to container.xx.network.a (at ${dir}/main.hcl:13) on network.a`,
      ],
    ])
  })
})
