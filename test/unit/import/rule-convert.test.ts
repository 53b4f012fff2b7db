// The rule converter, table-driven: real lines from fixtures/iptables-dumps and
// hand-written ones. A converted rule must render back (through src/plan/firewall.ts)
// to the line it came from; anything else must say why it cannot be imported.
import {describe, expect, it} from 'vitest'

import {dockerHints} from '../../../src/import/owners.js'
import {convertRule, type RuleConversion} from '../../../src/import/rule-convert.js'
import {normalizeRuleSpec} from '../../../src/netfilter/index.js'
import type {NamespaceKey} from '../../../src/model/resources.js'
import {fixture, rule} from './helpers.js'
import {renderBack, withoutComment} from './render-back.js'

/** A line that must exist verbatim in a fixture dump: tests run on what real hosts print. */
function real(file: string, line: string): string {
  if (!fixture(`iptables-dumps/${file}`).split('\n').includes(line)) throw new Error(`${file} has no line ${line}`)
  return line
}

const DIEKMANN = 'diekmann-docker-topos4.1-iptables-save.txt'
const CONTAINERN = 'diekmann-containern-topos1-iptables-save.txt'
const MOBY = 'moby-iptables-icc-false-masq-gwm-nat.txt'
const MOBY_SNAT = 'moby-iptables-masq-snat-bindlh.txt'
const CALICO = 'calico-felix-iptables-dump-kube-docker.txt'
const COMPANY = 'diekmann-medium-sized-company-iptables-save.txt'

const hints = dockerHints()

function convert(table: string, line: string, namespace: NamespaceKey = 'host'): RuleConversion {
  return convertRule(rule(table, line), {namespace, family: 'ipv4', docker: hints})
}

function specOf(line: string): string {
  return line.replace(/^-A \S+ /, '')
}

describe('convertRule: rules dockwall writes', () => {
  const cases: Array<[string, string, string, NamespaceKey, Partial<RuleConversion>]> = [
    [
      'a host-to-host accept between containers (diekmann)',
      'filter',
      real(DIEKMANN, '-A FORWARD -s 10.0.0.1/32 -d 10.0.0.42/32 -i br-b74b417b331f -o br-b74b417b331f -j ACCEPT'),
      'host',
      {
        kind: 'rule',
        chain: 'forward',
        source: '10.0.0.1/32',
        destination: '10.0.0.42/32',
        inInterface: 'br-b74b417b331f',
        outInterface: 'br-b74b417b331f',
        proto: 'all',
        action: 'accept',
      },
    ],
    [
      'an SSH accept (diekmann CUSTOM chain, as if typed into INPUT)',
      'filter',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      'host',
      {kind: 'rule', chain: 'input', proto: 'tcp', ports: [{from: 22, to: 22}], action: 'accept'},
    ],
    [
      'a DOCKER-USER accept with a multiport list',
      'filter',
      '-A DOCKER-USER -s 10.0.0.0/8 -d 172.18.0.0/16 -p tcp -m multiport --dports 80,443,8000:8100 -j ACCEPT',
      'host',
      {
        kind: 'rule',
        chain: 'forward',
        ports: [
          {from: 80, to: 80},
          {from: 443, to: 443},
          {from: 8000, to: 8100},
        ],
      },
    ],
    [
      "a lone drop on a Docker bridge is the operator's, not Docker's (containern MYNET, as if in FORWARD)",
      'filter',
      real(CONTAINERN, '-A MYNET -i br-b74b417b331f -j DROP').replace('-A MYNET', '-A FORWARD'),
      'host',
      {kind: 'rule', inInterface: 'br-b74b417b331f', action: 'drop'},
    ],
    [
      'a drop',
      'filter',
      '-A DOCKER-USER -s 192.168.7.0/24 -j DROP',
      'host',
      {kind: 'rule', action: 'drop', source: '192.168.7.0/24'},
    ],
    [
      'a default reject (calico)',
      'filter',
      real(CALICO, '-A cali-old-chain -j REJECT').replace('cali-old-chain', 'OUTPUT'),
      'host',
      {kind: 'rule', chain: 'output', action: 'reject'},
    ],
    [
      'a udp port range',
      'filter',
      '-A FORWARD -d 10.0.0.5/32 -p udp -m udp --dport 60000:61000 -j ACCEPT',
      'host',
      {kind: 'rule', proto: 'udp', ports: [{from: 60000, to: 61000}]},
    ],
    ['icmp without a type', 'filter', '-A INPUT -p icmp -j ACCEPT', 'host', {kind: 'rule', proto: 'icmp', ports: []}],
    ['an interface wildcard', 'filter', '-A FORWARD -i veth+ -j DROP', 'host', {kind: 'rule', inInterface: 'veth+'}],
    [
      'a comment becomes the description',
      'filter',
      '-A DOCKER-USER -s 10.1.0.0/16 -m comment --comment "office LAN" -j ACCEPT',
      'host',
      {kind: 'rule', comment: 'office LAN'},
    ],
    [
      'a rule inside a container',
      'filter',
      '-A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable',
      'container.lb',
      {kind: 'rule', chain: 'input', action: 'reject'},
    ],
    [
      'a DNAT on an interface',
      'nat',
      '-A PREROUTING -i wg0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.103.2:8080',
      'host',
      {kind: 'port_forward', inInterface: 'wg0', proto: 'tcp', port: 80, to: '172.18.103.2', toPort: 8080},
    ],
    [
      'a DNAT inside a container',
      'nat',
      '-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.104.2:80',
      'container.lb',
      {kind: 'port_forward', port: 8080, to: '172.18.104.2', toPort: 80},
    ],
    [
      'a REDIRECT inside a container',
      'nat',
      '-A PREROUTING -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 80',
      'container.lb',
      {kind: 'port_forward', port: 8080, toPort: 80},
    ],
    [
      'a masquerade',
      'nat',
      '-A POSTROUTING -s 10.8.0.0/24 -o eth0 -j MASQUERADE',
      'host',
      {kind: 'masquerade', source: '10.8.0.0/24', outInterface: 'eth0'},
    ],
    [
      'a masquerade to a destination inside a container',
      'nat',
      '-A POSTROUTING -s 10.8.0.0/24 -d 172.18.104.3/32 -j MASQUERADE',
      'container.lb',
      {kind: 'masquerade', destination: '172.18.104.3/32'},
    ],
    [
      'a masquerade of everything out of eth0',
      'nat',
      '-A POSTROUTING -o eth0 -j MASQUERADE',
      'host',
      {kind: 'masquerade', outInterface: 'eth0'},
    ],
  ]
  it.each(cases)('%s', (_name, table, line, namespace, expected) => {
    const c = convert(table, line, namespace)
    expect(c).toMatchObject(expected)
    // And dockwall writes the same line back (its own comment aside).
    expect(renderBack(c, namespace !== 'host')[0]).toBe(withoutComment(normalizeRuleSpec(specOf(line))))
  })

  it('notes that a DNAT without a port is written with the port spelled out', () => {
    const c = convert(
      'nat',
      '-A PREROUTING -s 10.0.0.0/8 -i eth0 -p udp -m udp --dport 53 -j DNAT --to-destination 172.18.0.3',
    )
    expect(c).toMatchObject({
      kind: 'port_forward',
      source: '10.0.0.0/8',
      proto: 'udp',
      port: 53,
      to: '172.18.0.3',
      toPort: 53,
      notes: [expect.stringMatching(/172.18.0.3:53/)],
    })
    expect(renderBack(c, false)[0]).toBe(
      '-s 10.0.0.0/8 -i eth0 -p udp -m udp --dport 53 -j DNAT --to-destination 172.18.0.3:53',
    )
  })

  it('notes that a one-port multiport is written as -m tcp (same meaning, other text)', () => {
    const c = convert('filter', '-A FORWARD -p tcp -m multiport --dports 80 -j ACCEPT')
    expect(c).toMatchObject({kind: 'rule', ports: [{from: 80, to: 80}], notes: [expect.stringMatching(/multiport/)]})
    expect(renderBack(c, false)[0]).toBe('-p tcp -m tcp --dport 80 -j ACCEPT')
  })
})

describe('convertRule: what cannot be expressed, with the reason', () => {
  const cases: Array<[string, string, NamespaceKey, RegExp]> = [
    [
      'filter',
      real(
        DIEKMANN,
        '-A FORWARD ! -s 10.0.0.0/8 -d 10.0.0.4/32 ! -i br-b74b417b331f -o br-b74b417b331f -m state --state ESTABLISHED -j ACCEPT',
      ),
      'host',
      /negation \(! -s\) is not modelled/,
    ],
    [
      'filter',
      real(
        DIEKMANN,
        '-A FORWARD -s 10.0.0.1/32 -i br-b74b417b331f ! -o br-b74b417b331f -m iprange ! --dst-range 10.0.0.0-10.255.255.255 -j ACCEPT',
      ),
      'host',
      /negation \(! -o\)/,
    ],
    ['filter', real(DIEKMANN, '-A FORWARD -j CUSTOM'), 'host', /jump to chain CUSTOM is not modelled/],
    [
      'filter',
      real(
        DIEKMANN,
        '-A CUSTOM -d 193.99.144.80/32 -m recent --update --seconds 60 --hitcount 3 --name rateheise --mask 255.255.255.255 --rsource -j DROP',
      ).replace('-A CUSTOM', '-A DOCKER-USER'),
      'host',
      /match extension `recent` is not modelled/,
    ],
    [
      'filter',
      real(DIEKMANN, '-A CUSTOM -p tcp -m state --state ESTABLISHED -m multiport --ports 22 -j ACCEPT').replace(
        '-A CUSTOM',
        '-A INPUT',
      ),
      'host',
      /multiport --ports/,
    ],
    [
      'filter',
      real(DIEKMANN, '-A CUSTOM -p tcp -m tcp --dport 22 -j ACCEPT'),
      'host',
      /rules in filter CUSTOM are not imported/,
    ],
    [
      'filter',
      '-A INPUT -p tcp -m tcp --dport 1234 -m state --state NEW -j ACCEPT',
      'host',
      /conntrack state match other than the ones dockwall writes \(--ctstate NEW/,
    ],
    ['filter', '-A FORWARD -m conntrack --ctstate INVALID -j DROP', 'host', /--ctstate INVALID/],
    ['filter', '-A DOCKER-USER -s 10.0.0.0/8 -j LOG --log-prefix "dropped: "', 'host', /target LOG is not modelled/],
    ['filter', '-A DOCKER-USER -s 10.0.0.0/8 -j RETURN', 'host', /target RETURN is not modelled/],
    [
      'filter',
      '-A FORWARD -p tcp -m tcp --sport 53 -j ACCEPT',
      'host',
      /source port match \(--sport\) is not modelled/,
    ],
    ['filter', '-A FORWARD -p udp -m multiport --sports 53,123 -j ACCEPT', 'host', /source port match/],
    [
      'filter',
      '-A FORWARD -p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT',
      'host',
      /TCP flag match/,
    ],
    ['filter', '-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT', 'host', /ICMP type match/],
    [
      'filter',
      '-A FORWARD -p tcp -j REJECT --reject-with tcp-reset',
      'host',
      /REJECT --reject-with tcp-reset is not modelled/,
    ],
    ['filter', '-A FORWARD -p gre -j ACCEPT', 'host', /protocol gre is not modelled/],
    ['filter', '-A FORWARD -f -j DROP', 'host', /fragment match/],
    ['filter', '-A FORWARD -p tcp -m tcp ! --dport 22 -j DROP', 'host', /negation \(! --dport\)/],
    [
      'filter',
      '-A FORWARD -p tcp -m tcp --dport 80 -m multiport --dports 80,443 -j ACCEPT',
      'host',
      /more than one destination port match/,
    ],
    [
      'filter',
      '-A FORWARD -m state --state ESTABLISHED -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'host',
      /more than one conntrack state match/,
    ],
    ['filter', '-A FORWARD -m mac --mac-source 00:11:22:33:44:55 -j DROP', 'host', /match extension `mac`/],
    ['filter', '-A FORWARD -s 10.0.0.0/8', 'host', /without a target/],
    ['filter', '-A FORWARD -g MYCHAIN', 'host', /goto/],
    [
      'filter',
      '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'host',
      /firewall block only with input_policy = "drop"/,
    ],
    [
      'filter',
      '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'container.lb',
      /inside a container is not modelled/,
    ],
    [
      'nat',
      real(
        MOBY_SNAT,
        '-A DOCKER -d 127.0.0.1/32 ! -i br-dummy -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.0.2:80',
      )
        .replace('-A DOCKER', '-A PREROUTING')
        .replace(' ! -i br-dummy', ''),
      'host',
      /destination match \(-d\) on a DNAT/,
    ],
    [
      'nat',
      '-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.0.2:80',
      'host',
      /without an input interface \(-i\)/,
    ],
    [
      'nat',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080',
      'host',
      /REDIRECT on the host/,
    ],
    [
      'nat',
      '-A PREROUTING -i eth0 -p tcp -m multiport --dports 80,443 -j DNAT --to-destination 172.18.0.2',
      'host',
      /exactly one destination port/,
    ],
    [
      'nat',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 8000:8100 -j DNAT --to-destination 172.18.0.2',
      'host',
      /exactly one destination port/,
    ],
    ['nat', '-A PREROUTING -i eth0 -j DNAT --to-destination 172.18.0.2', 'host', /without -p tcp or -p udp/],
    [
      'nat',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.0.2-172.18.0.4',
      'host',
      /address range or port range/,
    ],
    [
      'nat',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xffffffff',
      'host',
      /target MARK in nat PREROUTING/,
    ],
    [
      'nat',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 80',
      'container.lb',
      /input interface match \(-i\) on a REDIRECT inside a container/,
    ],
    [
      'nat',
      real(MOBY_SNAT, '-A POSTROUTING -s 192.168.0.0/24 ! -o br-dummy -j SNAT --to-source 192.168.123.0').replace(
        '! -o br-dummy',
        '-o eth9',
      ),
      'host',
      /target SNAT in nat POSTROUTING/,
    ],
    ['nat', '-A POSTROUTING -s 10.0.0.0/8 -p tcp -j MASQUERADE', 'host', /protocol match \(-p\) on a MASQUERADE/],
    ['nat', '-A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE --random', 'host', /MASQUERADE options/],
    [
      'nat',
      '-A OUTPUT -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.0.2',
      'host',
      /nat OUTPUT are not imported/,
    ],
    ['mangle', '-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff', 'host', /mangle PREROUTING are not imported/],
  ]
  it.each(cases)('%s %s', (table, line, namespace, reason) => {
    const c = convert(table, line, namespace)
    expect(c).toEqual({kind: 'unsupported', reason: expect.stringMatching(reason)})
  })

  it('reads every rule of a real-world dump without throwing, and gives each a fate', () => {
    const lines = fixture(`iptables-dumps/${COMPANY}`).split('\n')
    let table = ''
    const kinds = new Map<string, number>()
    for (const l of lines) {
      if (l.startsWith('*')) table = l.slice(1)
      if (!l.startsWith('-A ')) continue
      const c = convert(table, l)
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1)
      if (c.kind === 'unsupported') expect(c.reason).not.toBe('')
    }
    expect(kinds.get('rule')).toBeGreaterThan(0)
    expect(kinds.get('unsupported')).toBeGreaterThan(0)
  })
})

describe('convertRule: rules others own or dockwall covers', () => {
  const owned: Array<[string, string, RegExp]> = [
    ['filter', real(MOBY, '-A FORWARD -j DOCKER-FORWARD'), /jump to Docker's chain DOCKER-FORWARD/],
    [
      'filter',
      real(MOBY, '-A DOCKER-CT -o br-dummy -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
      /in Docker's chain DOCKER-CT/,
    ],
    ['filter', '-A FORWARD -j DOCKER-USER', /Docker's jump to DOCKER-USER/],
    [
      'filter',
      real(CALICO, '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
      /Docker's ACCEPT for bridge docker0/,
    ],
    ['filter', real(CALICO, '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT'), /Docker's ACCEPT for bridge docker0/],
    [
      'filter',
      real(CONTAINERN, '-A FORWARD -i br-b74b417b331f -o br-b74b417b331f -j DROP'),
      /Docker's DROP for bridge br-b74b417b331f/,
    ],
    ['filter', '-A DOCKER-USER -j RETURN', /closing RETURN in DOCKER-USER/],
    ['nat', real(MOBY, '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'), /jump to Docker's chain DOCKER/],
    [
      'nat',
      real(MOBY, '-A POSTROUTING -s 192.168.0.0/24 ! -o br-dummy -j MASQUERADE'),
      /Docker's MASQUERADE for bridge br-dummy/,
    ],
    [
      'nat',
      real(MOBY_SNAT, '-A POSTROUTING -s 192.168.0.0/24 ! -o br-dummy -j SNAT --to-source 192.168.123.0'),
      /Docker's SNAT/,
    ],
    ['nat', '-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE', /hairpin/],
    ['nat', '-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING', /Docker's chain DOCKER_POSTROUTING/],
    // Docker 29 (moby's usernet-portmap-noproxy description): the host's own traffic onto a bridge.
    ['nat', '-A POSTROUTING -o br-dummy -m addrtype --src-type LOCAL -j MASQUERADE', /host's own traffic/],
    // Docker 28's direct-access drops, per endpoint and for a port published on a loopback address.
    ['raw', '-A PREROUTING -d 172.18.0.2/32 ! -i br-dummy -j DROP', /direct access/],
    ['raw', '-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP', /direct access/],
    ['raw', '-A PREROUTING -d 172.18.0.2/32 -i wg0 -j ACCEPT', /trusted interface wg0/],
  ]
  it.each(owned)("%s %s is Docker's", (table, line, reason) => {
    // br-dummy is not a default name: the snapshot names it
    const c = convertRule(rule(table, line), {
      namespace: 'host',
      family: 'ipv4',
      docker: {bridges: new Set(['docker0', 'br-dummy']), subnets: new Set(), trustedInterfaces: new Set(['wg0'])},
    })
    expect(c).toEqual({kind: 'owned', owner: 'docker', reason: expect.stringMatching(reason)})
  })

  it.each([
    ['filter', '-A DOCKER-USER -j DOCKWALL-FORWARD'],
    ['filter', '-A DOCKWALL-FORWARD -s 10.0.0.1/32 -m comment --comment dockwall:rule.a -j ACCEPT'],
    ['filter', '-A FORWARD -s 10.0.0.1/32 -m comment --comment dockwall:rule.a -j ACCEPT'],
  ])("%s %s is dockwall's own", (table, line) => {
    expect(convert(table, line)).toMatchObject({kind: 'owned', owner: 'dockwall'})
  })

  it('covers a RELATED,ESTABLISHED accept in the host forward path with the firewall block', () => {
    expect(convert('filter', '-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')).toMatchObject({
      kind: 'covered',
      by: 'firewall',
    })
    expect(convert('filter', '-A FORWARD -m state --state ESTABLISHED -j ACCEPT')).toMatchObject({
      kind: 'covered',
      by: 'firewall',
    })
  })

  it("reads an operator's raw ACCEPT for Docker 28 as the opening of the forward accept it matches, and nothing else in raw", () => {
    expect(
      convert('raw', '-A PREROUTING -s 10.0.1.20/32 -d 10.0.2.10/32 -i wg0 -p tcp -m tcp --dport 8080 -j ACCEPT'),
    ).toEqual({
      kind: 'covered',
      by: 'raw_opening',
      reason: expect.any(String),
      opening: expect.objectContaining({
        kind: 'rule',
        chain: 'forward',
        source: '10.0.1.20/32',
        destination: '10.0.2.10/32',
        inInterface: 'wg0',
        proto: 'tcp',
        ports: [{from: 8080, to: 8080}],
        action: 'accept',
      }),
    })
    for (const line of [
      '-A PREROUTING -m rpfilter --invert -j DROP',
      '-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack',
      '-A PREROUTING -s 10.0.0.0/8 -j DROP',
    ])
      expect(convert('raw', line), line).toMatchObject({
        kind: 'unsupported',
        reason: expect.stringContaining('raw PREROUTING'),
      })
  })

  it('covers a DNAT accept with the port forward it belongs to', () => {
    expect(
      convert(
        'filter',
        '-A DOCKER-USER -d 172.18.103.2/32 -i wg0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT',
      ),
    ).toEqual({
      kind: 'covered',
      by: 'port_forward',
      reason: expect.any(String),
      accept: {destination: '172.18.103.2/32', inInterface: 'wg0', proto: 'tcp', port: 80},
    })
    expect(
      convert(
        'filter',
        '-A DOCKER-USER -d 172.18.103.0/24 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT',
      ),
    ).toMatchObject({kind: 'unsupported'})
  })
})
