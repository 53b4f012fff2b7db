// The evaluator's parts: the chain index (same answers as a plain scan), owners,
// iproute2 readers on captured output, addresses.
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {parseCidr, parseIp, formatIp} from '../../../src/explain/addr.js'
import {
  Explainer,
  interfacesFromIpAddr,
  linksFromIpLink,
  ownerOf,
  routesFromIpRoute,
  rulesetFromActual,
  segmentsFromLinks,
  socketsFromSs,
} from '../../../src/explain/index.js'
import {indexKeys, lineIndexKeys} from '../../../src/explain/compile.js'
import {parseRule, parseRuleset} from '../../../src/netfilter/index.js'
import {parseRulesetLazily} from '../../../src/netfilter/parse.js'
import {toActualTables} from '../../../src/refresh/tables.js'
import {extraRules} from '../../bench/explain.js'
import {buildHost, FIXTURES, loadCapture} from './build.js'

describe('chain index', () => {
  const srcs = ['10.2.0.10', '10.2.0.11', '10.1.0.10', '10.2.0.0/24', '10.0.0.0/8']
  const dsts = ['10.1.0.10', '10.1.0.11', '10.1.0.0/24', '10.2.0.10']
  const rule = fc.oneof(
    fc.tuple(fc.constantFrom(...srcs), fc.constantFrom('ACCEPT', 'DROP', 'RETURN')).map(([s, t]) => `-s ${s} -j ${t}`),
    fc.tuple(fc.constantFrom(...dsts), fc.constantFrom('ACCEPT', 'DROP')).map(([d, t]) => `-d ${d} -j ${t}`),
    fc
      .tuple(fc.constantFrom('br-a', 'br-b', 'eth0'), fc.constantFrom('ACCEPT', 'DROP'))
      .map(([i, t]) => `-i ${i} -j ${t}`),
    fc
      .tuple(fc.constantFrom('br-a', 'br-b'), fc.constantFrom(80, 443), fc.constantFrom('ACCEPT', 'DROP', 'RETURN'))
      .map(([o, p, t]) => `-o ${o} -p tcp -m tcp --dport ${p} -j ${t}`),
    fc
      .tuple(fc.constantFrom(80, 81, 443), fc.constantFrom('ACCEPT', 'DROP', 'RETURN'))
      .map(([p, t]) => `-p tcp -m tcp --dport ${p} -j ${t}`),
    fc.constantFrom('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-j LOG', '! -s 10.2.0.10/32 -j DROP'),
  )
  const hostRules = (lines: string[]) =>
    `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.map((l) => `-A FORWARD ${l}`).join('\n')}\n-A FORWARD -j ACCEPT\nCOMMIT\n`
  const host = (lines: string[]) =>
    buildHost({
      rules: hostRules(lines),
      nets: [
        {bridge: 'br-a', gateway: '10.1.0.1/24'},
        {bridge: 'br-b', gateway: '10.2.0.1/24'},
      ],
      ctrs: [
        {name: 'web', on: [{bridge: 'br-a', ip: '10.1.0.10/24'}]},
        {name: 'cli', on: [{bridge: 'br-a', ip: '10.1.0.11/24'}]},
        {name: 'db', on: [{bridge: 'br-b', ip: '10.2.0.10/24'}]},
        {name: 'ops', on: [{bridge: 'br-b', ip: '10.2.0.11/24'}]},
      ],
    })

  it('gives exactly the answers (and paths) of a plain scan', () => {
    fc.assert(
      fc.property(
        fc.array(rule, {minLength: 40, maxLength: 120}),
        fc.constantFrom('db', 'ops', 'cli'),
        fc.constantFrom('10.1.0.10', '10.1.0.11', '10.2.0.10'),
        fc.constantFrom(80, 81, 443),
        (lines, from, to, port) => {
          const h = host(lines)
          const q = {
            from: {kind: 'namespace' as const, namespace: `container.${from}`},
            to,
            proto: 'tcp' as const,
            port,
          }
          const indexed = new Explainer(h, {indexMinRules: 8}).explain(q)
          const scanned = new Explainer(h, {indexMinRules: Infinity}).explain(q)
          expect(indexed).toEqual(scanned)
          // The CLI's way: each rule parsed when reached, the index from the lines' plain keys.
          const lazy = {
            ...h,
            namespaces: h.namespaces.map((n) =>
              n.id === 'host' ? {...n, rulesets: {ipv4: parseRulesetLazily(hostRules(lines), {family: 'ipv4'})}} : n,
            ),
          }
          expect(new Explainer(lazy, {indexMinRules: 8}).explain(q)).toEqual(scanned)
        },
      ),
      {numRuns: 200},
    )
  })

  it("reads from a rule's line only keys the rule requires (the lazily parsed dumps of the CLI)", () => {
    const sound = (text: string, family: 'ipv4' | 'ipv6') => {
      let n = 0
      let keyed = 0
      for (const t of parseRuleset(text, {family}).tables)
        for (const r of t.rules) {
          const line = r.key.slice(t.name.length + 1)
          const fromLine = lineIndexKeys(line, family)
          // Every key of the line is the parsed rule's (indexKeys is what the index used before).
          expect(indexKeys(r, family), line).toMatchObject(fromLine)
          n++
          if (Object.keys(fromLine).length > 0) keyed++
        }
      return {n, keyed}
    }
    let total = 0
    for (const dir of readdirSync(join(FIXTURES)).filter((d) => d.startsWith('docker-')))
      for (const f of readdirSync(join(FIXTURES, dir)).filter((f) => /iptables$/.test(f)))
        total += sound(readFileSync(join(FIXTURES, dir, f), 'utf8'), f.endsWith('ip6tables') ? 'ipv6' : 'ipv4').n
    expect(total).toBeGreaterThan(500)
    // The bench's shapes.
    for (const shape of ['dockwall', 'mixed'] as const) {
      const {chains, lines} = extraRules(shape, 2000)
      const {n, keyed} = sound(
        `*filter\n:DOCKER-USER - [0:0]\n${chains.join('\n')}\n${lines.join('\n')}\nCOMMIT\n`,
        'ipv4',
      )
      // dockwall: all but the jump into DOCKWALL-FORWARD; mixed: all (the multiport fifth by its protocol).
      expect(keyed).toBe(shape === 'dockwall' ? n - 1 : n)
    }
    // Negations, wildcards, ranges, quoted words, other modules' ports and `-p all` give no key
    // (a positive `-p tcp` gives the protocol's).
    const none = [
      '-A X ! -s 10.0.0.1/32 -j DROP',
      '-A X -i br+ -j DROP',
      '-A X ! -p tcp -j DROP',
      '-A X -p all -j DROP',
      '-A X -m comment --comment "-s 10.0.0.1/32 -m tcp --dport 80" -j DROP',
      '-A X -s 0.0.0.0/0 -j DROP',
      '-A X -s 010.0.0.1/32 -j DROP',
      '-A X -s 10.0.0.256/32 -j DROP',
      '-A X -s 10.0.0.1/33 -j DROP',
    ]
    for (const line of none) expect(lineIndexKeys(line, 'ipv4'), line).toEqual({})
    const tcpOnly = [
      '-A X -p tcp -m tcp ! --dport 80 -j DROP',
      '-A X -p tcp -m tcp --dport 80:90 -j DROP',
      '-A X -p tcp -m multiport --dports 80 -j DROP',
    ]
    for (const line of tcpOnly) expect(lineIndexKeys(line, 'ipv4'), line).toEqual({proto: 6})
    expect(lineIndexKeys('-A X -p udp -s 10.1.2.3/24 -j DROP', 'ipv4')).toEqual({
      proto: 17,
      src: {prefix: 24, value: 0x0a010200},
    })
    expect(
      lineIndexKeys('[5:300] -A X ! -i eth0 -s 10.0.0.1/32 -o br-a -p tcp -m tcp --dport 443 -j ACCEPT', 'ipv4'),
    ).toEqual({
      src: {prefix: 32, value: 0x0a000001},
      outIf: 'br-a',
      proto: 6,
      dport: 443,
    })
  })
})

describe('owners', () => {
  const owner = (line: string, table = 'filter', bridges: string[] = []) =>
    ownerOf(parseRule(line, table), Number(/#(\d+)/.exec(line)?.[1] ?? 1), new Set(bridges))
  it('dockwall by comment, Docker by chain or bridge, the rest foreign with its place', () => {
    expect(owner('-A DOCKER-USER -m comment --comment "dockwall:rule.web" -j ACCEPT')).toEqual({
      kind: 'dockwall',
      address: 'rule.web',
    })
    expect(owner('-A DOCKER-USER -m comment --comment dockwall:jump -j DOCKWALL-FORWARD')).toEqual({
      kind: 'dockwall',
      address: 'jump',
    })
    expect(owner('-A DOCKER-ISOLATION-STAGE-2 -o br-a -j DROP')).toEqual({kind: 'docker'})
    expect(owner('-A DOCKER_OUTPUT -d 127.0.0.11/32 -j ACCEPT', 'nat')).toEqual({kind: 'docker'})
    expect(owner('-A DOCKER-USER -j RETURN')).toEqual({kind: 'docker'})
    expect(owner('-A FORWARD -j DOCKER-USER')).toEqual({kind: 'docker'})
    expect(owner('-A FORWARD -i mynet -o mynet -j ACCEPT', 'filter', ['mynet'])).toEqual({kind: 'docker'})
    expect(owner('-A FORWARD -o br-0123456789ab -j DOCKER')).toEqual({kind: 'docker'})
    expect(
      owner('-A POSTROUTING -s 10.1.0.10/32 -d 10.1.0.10/32 -p tcp -m tcp --dport 80 -j MASQUERADE', 'nat'),
    ).toEqual({kind: 'docker'})
    expect(owner('-A PREROUTING -d 192.0.2.2/32 ! -i bridge1 -j DROP', 'raw', ['bridge1'])).toEqual({kind: 'docker'})
    expect(owner('-A DOCKER-USER -s 10.0.0.0/8 -j DROP')).toEqual({kind: 'foreign', chain: 'DOCKER-USER', position: 1})
    expect(owner('-A DOCKWALL-FORWARD -j ACCEPT')).toEqual({kind: 'foreign', chain: 'DOCKWALL-FORWARD', position: 1})
    expect(owner('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT')).toEqual({kind: 'foreign', chain: 'INPUT', position: 1})
  })
})

describe('iproute2 readers', () => {
  it('join a captured host: each bridge with the far ends of its veths, the client veth pair', () => {
    const {host} = loadCapture('docker-20.10-nft')
    const api = host.namespaces.find((n) => n.id === 'container.api')!
    expect(api.interfaces.map((i) => i.name).sort()).toEqual(['eth0', 'eth1', 'lo'])
    // Docker orders a container's networks by name: back (eth0, the default route), then front.
    expect(api.routes).toContainEqual({family: 'ipv4', destination: 'default', dev: 'eth0', via: '10.31.2.1'})
    expect(api.forwarding).toEqual({ipv4: false, ipv6: false})
    const hostNs = host.namespaces.find((n) => n.id === 'host')!
    expect(hostNs.forwarding.ipv4).toBe(true)
    expect(hostNs.bridgeNetfilter).toEqual({ipv4: true, ipv6: true})
    const members = (bridge: string) =>
      host.segments
        .find((s) => s.bridge?.name === bridge)
        ?.members.map((m) => `${m.namespace}:${m.interface}`)
        .sort()
    expect(members('docker0')).toEqual(['container.legacy:eth0'])
    const front = host.namespaces
      .find((n) => n.id === 'host')!
      .interfaces.find((i) => i.addresses.includes('10.31.1.1/24'))!
    expect(members(front.name)).toEqual(['container.api:eth1', 'container.web:eth0'])
    expect(
      host.segments.filter((s) => !s.bridge).map((s) => s.members.map((m) => `${m.namespace}:${m.interface}`)),
    ).toEqual([['host:dwext0', 'client.dwext0:eth0']])
  })

  it('read addresses, routes, links and sockets from iproute2 JSON and ss', () => {
    expect(
      interfacesFromIpAddr(
        JSON.stringify([
          {
            ifname: 'eth0',
            addr_info: [
              {family: 'inet', local: '10.0.0.2', prefixlen: 24},
              {family: 'inet6', local: 'fd00::2', prefixlen: 64, scope: 'global'},
              {family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link'},
            ],
          },
          // Docker 20.10's IPv6 gateway on a bridge with no container yet: DAD cannot run on a down link.
          {
            ifname: 'br-x',
            addr_info: [
              {family: 'inet', local: '10.1.0.1', prefixlen: 24},
              {family: 'inet6', local: 'fd01::1', prefixlen: 64, scope: 'global', tentative: true},
              {family: 'inet6', local: 'fd02::1', prefixlen: 64, scope: 'global', dadfailed: true, tentative: true},
            ],
          },
        ]),
      ),
    ).toEqual([
      {name: 'eth0', addresses: ['10.0.0.2/24', 'fd00::2/64']},
      {name: 'br-x', addresses: ['10.1.0.1/24']},
    ])
    expect(
      routesFromIpRoute(
        JSON.stringify([
          {dst: 'default', gateway: '10.0.0.1', dev: 'eth0', metric: 100},
          {type: 'unreachable', dst: '10.9.0.0/16'},
          {dst: '10.0.0.0/24', dev: 'eth0', prefsrc: '10.0.0.2'},
        ]),
        'ipv4',
      ),
    ).toEqual([
      {family: 'ipv4', destination: 'default', dev: 'eth0', via: '10.0.0.1', metric: 100},
      {family: 'ipv4', destination: '10.0.0.0/24', dev: 'eth0', src: '10.0.0.2'},
    ])
    const links = linksFromIpLink(
      JSON.stringify([
        {ifindex: 2, ifname: 'br0', linkinfo: {info_kind: 'bridge'}},
        {ifindex: 3, ifname: 'va', link: 'vb', master: 'br0', linkinfo: {info_kind: 'veth'}},
        {ifindex: 4, ifname: 'vb', link: 'va', linkinfo: {info_kind: 'veth'}},
      ]),
    )
    expect(segmentsFromLinks([{id: 'n', links}])).toEqual([
      {bridge: {namespace: 'n', name: 'br0'}, members: [{namespace: 'n', interface: 'vb', port: 'va'}]},
    ])
    expect(
      socketsFromSs(
        'tcp LISTEN 0 2 *:8080 *:*\nudp UNCONN 0 0 127.0.0.11:41582 0.0.0.0:*\ntcp LISTEN 0 4096 [::]:22 [::]:*\n',
      ),
    ).toEqual([
      {proto: 'tcp', address: '0.0.0.0', port: 8080},
      {proto: 'tcp', address: '::', port: 8080},
      {proto: 'udp', address: '127.0.0.11', port: 41582},
      {proto: 'tcp', address: '::', port: 22},
    ])
  })
})

describe('addresses', () => {
  it('parse and print both families; IPv4-mapped IPv6 is IPv4; masks may be non-contiguous', () => {
    expect(formatIp(parseIp('10.1.2.3')!)).toBe('10.1.2.3')
    expect(formatIp(parseIp('fd00:0:0::1')!)).toBe('fd00::1')
    expect(parseIp('::ffff:10.77.0.2')).toEqual({family: 'ipv4', value: parseIp('10.77.0.2')!.value})
    expect(parseIp('10.0.0.0/8')).toBeNull()
    expect(parseIp('web')).toBeNull()
    expect(parseCidr('10.1.2.3/8')).toMatchObject({prefix: 8, value: parseIp('10.0.0.0')!.value})
    expect(parseCidr('10.0.0.1/255.0.255.255')).toMatchObject({prefix: null})
    expect(parseCidr('fd00::/64')).toMatchObject({family: 'ipv6', prefix: 64})
  })
})

describe("the adapter from refresh's model", () => {
  it('gives the answers of the dumps themselves, for the tables refresh reads', () => {
    const {host} = loadCapture('docker-20.10-legacy')
    const adapted = structuredClone(host)
    for (const n of adapted.namespaces) {
      const rs = n.rulesets.ipv4
      if (!rs) continue
      // What refresh keeps (filter and nat, rules as normal-form specs), and back.
      const actual = toActualTables(rs)
      n.rulesets.ipv4 = rulesetFromActual([actual.filter, actual.nat], 'ipv4')
    }
    const direct = new Explainer(host)
    const viaRefresh = new Explainer(adapted)
    for (const [from, to, port] of [
      ['container.db', '10.31.1.10', 80],
      ['container.web', '10.31.1.20', 90],
      ['client.dwext0', '198.18.0.1', 8080],
      ['container.iso1', '10.31.4.11', 81],
    ] as const) {
      const q = {from: {kind: 'namespace' as const, namespace: from}, to, proto: 'tcp' as const, port}
      expect(viaRefresh.explain(q)).toEqual(direct.explain(q))
    }
  })
})
