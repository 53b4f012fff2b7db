// The evaluator's semantics, one behaviour per case, on small hand-made hosts: chain
// traversal (jump, goto, RETURN, policies), matches, marks, conntrack and NAT, the
// packet's path through bridges and namespaces, rules outside the model.
import {describe, expect, it} from 'vitest'

import {explain, Explainer, ExplainInputError, RulesNeeded, type Query} from '../../../src/explain/index.js'
import {buildHost, decisionText, stepsText, type HostSpec} from './build.js'

/** Docker 20.10's layout for two networks (br-a 10.1.0.0/24, br-b 10.2.0.0/24), web publishing 8080 → 80. */
function docker2010(user = '', extra: {filter?: string; nat?: string; raw?: string; mangle?: string} = {}): string {
  return `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${extra.raw ?? ''}
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${extra.mangle ?? ''}
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 10.1.0.0/24 ! -o br-a -j MASQUERADE
-A POSTROUTING -s 10.2.0.0/24 ! -o br-b -j MASQUERADE
-A DOCKER -i br-a -j RETURN
-A DOCKER -i br-b -j RETURN
-A DOCKER ! -i br-a -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.10:80
${extra.nat ?? ''}
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br-a -j DOCKER
-A FORWARD -i br-a ! -o br-a -j ACCEPT
-A FORWARD -i br-a -o br-a -j ACCEPT
-A FORWARD -o br-b -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br-b -j DOCKER
-A FORWARD -i br-b ! -o br-b -j ACCEPT
-A FORWARD -i br-b -o br-b -j ACCEPT
-A DOCKER -d 10.1.0.10/32 ! -i br-a -o br-a -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i br-a ! -o br-a -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -i br-b ! -o br-b -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o br-a -j DROP
-A DOCKER-ISOLATION-STAGE-2 -o br-b -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
${user}
-A DOCKER-USER -j RETURN
${extra.filter ?? ''}
COMMIT
`
}

function spec(rules: string, over: Partial<HostSpec> = {}): HostSpec {
  return {
    rules,
    interfaces: [{name: 'eth0', addresses: ['203.0.113.1/24']}],
    nets: [
      {bridge: 'br-a', gateway: '10.1.0.1/24', gateway6: 'fd00:a::1/64'},
      {bridge: 'br-b', gateway: '10.2.0.1/24', gateway6: 'fd00:b::1/64'},
    ],
    ctrs: [
      {name: 'web', on: [{bridge: 'br-a', ip: '10.1.0.10/24', ip6: 'fd00:a::10/64'}]},
      {name: 'cli', on: [{bridge: 'br-a', ip: '10.1.0.11/24', ip6: 'fd00:a::11/64'}]},
      {name: 'db', on: [{bridge: 'br-b', ip: '10.2.0.10/24', ip6: 'fd00:b::10/64'}]},
      {
        name: 'api',
        on: [
          {bridge: 'br-a', ip: '10.1.0.20/24'},
          {bridge: 'br-b', ip: '10.2.0.20/24'},
        ],
      },
    ],
    dockerBridges: ['br-a', 'br-b'],
    ...over,
  }
}

const from = (name: string, address?: string): Query['from'] =>
  name === 'host'
    ? {kind: 'namespace', namespace: 'host', ...(address ? {address} : {})}
    : {kind: 'namespace', namespace: `container.${name}`, ...(address ? {address} : {})}
const client: Query['from'] = {kind: 'client', interface: 'eth0', address: '203.0.113.50'}

function ask(s: HostSpec, q: Partial<Query> & {from: Query['from']; to: string}) {
  const r = explain(buildHost(s), {proto: 'tcp', port: 80, ...q})
  return {r, decided: decisionText(r.decidedBy), steps: stepsText(r)}
}

describe('paths through bridges and namespaces', () => {
  it('containers on one bridge: bridged through the host FORWARD chain (br_netfilter)', () => {
    const {r, decided, steps} = ask(spec(docker2010()), {from: from('cli'), to: '10.1.0.10'})
    expect(r.verdict, steps).toBe('allow')
    expect(decided).toBe('host filter FORWARD#6 ACCEPT')
    const enter = r.traces[0]!.steps.find((s) => s.kind === 'enter' && s.namespace === 'host')
    expect(enter).toMatchObject({interface: 'br-a', physdev: 'vethcli0'})
    expect(r.traces.map((t) => t.packet)).toEqual(['first', 'reply', 'next'])
  })

  it('without br_netfilter a bridged frame never sees the host chains', () => {
    const s = spec(docker2010('-A DOCKER-USER -j DROP'), {bridgeNetfilter: false})
    const {r, steps} = ask(s, {from: from('cli'), to: '10.1.0.10'})
    expect(r.verdict, steps).toBe('allow')
    expect(steps).not.toContain('host:filter')
  })

  it('two networks: Docker 20.10 isolation drops the first packet', () => {
    const {r, decided} = ask(spec(docker2010()), {from: from('db'), to: '10.1.0.10'})
    expect(r.verdict).toBe('deny')
    expect(decided).toBe('host filter DOCKER-ISOLATION-STAGE-2#1 DROP')
    expect(r.decidedBy).toMatchObject({kind: 'rule', rule: {owner: {kind: 'docker'}}})
    expect(r.summary).toContain('the first packet is dropped by')
  })

  it('an ACCEPT in DOCKER-USER across networks still needs the replies accepted (isolation runs first)', () => {
    const accept = '-A DOCKER-USER -s 10.2.0.10/32 -d 10.1.0.10/32 -p tcp -m tcp --dport 80 -j ACCEPT'
    const one = ask(spec(docker2010(accept)), {from: from('db'), to: '10.1.0.10'})
    expect(one.r.verdict, one.steps).toBe('deny')
    expect(one.r.summary).toContain('the reply is dropped by')
    expect(one.decided).toBe('host filter DOCKER-ISOLATION-STAGE-2#2 DROP')
    const both = ask(
      spec(docker2010(`-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n${accept}`)),
      {from: from('db'), to: '10.1.0.10'},
    )
    expect(both.r.verdict, both.steps).toBe('allow')
    expect(both.decided).toBe('host filter DOCKER-USER#2 ACCEPT')
    expect(both.r.decidedBy).toMatchObject({kind: 'rule', rule: {owner: {kind: 'foreign', chain: 'DOCKER-USER'}}})
  })

  it('a container on two networks reaches both directly', () => {
    expect(ask(spec(docker2010()), {from: from('api'), to: '10.2.0.10'}).r.verdict).toBe('allow')
    expect(ask(spec(docker2010()), {from: from('api'), to: '10.1.0.10'}).r.verdict).toBe('allow')
  })

  it('a published port from a client on eth0: DNAT, Docker accept, un-NAT of the reply', () => {
    const {r, decided, steps} = ask(spec(docker2010()), {from: client, to: '203.0.113.1', port: 8080})
    expect(r.verdict, steps).toBe('allow')
    expect(decided).toBe('host filter DOCKER#1 ACCEPT')
    expect(r.traces[0]!.outcome).toMatchObject({kind: 'delivered', namespace: 'container.web', port: 80})
    const nat = r.traces[0]!.steps.find((s) => s.kind === 'nat')
    expect(nat).toMatchObject({nat: 'DNAT', from: '203.0.113.1:8080', to: '10.1.0.10:80'})
    expect(r.traces[1]!.steps).toContainEqual(
      expect.objectContaining({kind: 'nat', nat: 'un-NAT', from: '10.1.0.10:80', to: '203.0.113.1:8080'}),
    )
    expect(r.traces[1]!.outcome).toMatchObject({kind: 'left', interface: 'eth0'})
  })

  it('a client without an interface arrives where the host routes its address', () => {
    const sshClient: Query['from'] = {kind: 'client', address: '203.0.113.50'}
    const {r} = ask(spec(docker2010()), {from: sshClient, to: '203.0.113.1', port: 22, sourcePort: 51234})
    expect(r.verdict).toBe('allow')
    expect(r.traces[0]!.steps[0]).toMatchObject({kind: 'enter', namespace: 'host', interface: 'eth0'})
    expect(r.traces[0]!.steps[0]).toMatchObject({packet: {sport: 51234, dport: 22}})
    expect(() => ask(spec(docker2010()), {from: {kind: 'client', address: '192.0.2.9'}, to: '203.0.113.1'})).toThrow(
      /no route to the client/,
    )
  })

  it('a client straight to an unpublished container port: FORWARD policy DROP', () => {
    const {r, decided} = ask(spec(docker2010()), {from: client, to: '10.1.0.10', port: 81})
    expect(r.verdict).toBe('deny')
    expect(decided).toBe('host filter FORWARD policy DROP')
  })

  it('a container to the outside world: masqueraded, the reply accepted as ESTABLISHED', () => {
    const {r, steps} = ask(spec(docker2010()), {from: from('web'), to: '203.0.113.99', port: 443})
    expect(r.verdict, steps).toBe('allow')
    expect(r.traces[0]!.steps).toContainEqual(
      expect.objectContaining({kind: 'nat', nat: 'MASQUERADE', to: '203.0.113.1:40000'}),
    )
    expect(r.traces[0]!.outcome).toMatchObject({kind: 'left', interface: 'eth0', nextHop: '203.0.113.99'})
    expect(r.traces[1]!.steps).toContainEqual(expect.objectContaining({kind: 'conntrack', state: 'ESTABLISHED'}))
  })

  it('the host to a container, and a container to the host', () => {
    expect(ask(spec(docker2010()), {from: from('host'), to: '10.1.0.10'}).r.verdict).toBe('allow')
    const up = ask(spec(docker2010()), {from: from('web'), to: '10.1.0.1', port: 22})
    expect(up.r.verdict).toBe('allow')
    expect(up.decided).toBe('host filter INPUT policy ACCEPT')
  })

  it('no route, forwarding off, nobody at the next hop', () => {
    const internal = spec(docker2010())
    internal.ctrs[0]!.noDefault = true
    expect(ask(internal, {from: from('web'), to: '203.0.113.99'}).decided).toBe(
      'container.web routing: no route to 203.0.113.99',
    )
    const off = spec(docker2010(), {forwarding: {ipv4: false, ipv6: false}})
    expect(ask(off, {from: from('db'), to: '10.1.0.10'}).decided).toMatch(/forwarding is off in host/)
    expect(ask(spec(docker2010()), {from: from('cli'), to: '10.1.0.99'}).decided).toBe(
      'container.cli routing: no host answers for 10.1.0.99 on eth0',
    )
  })

  it('userland proxy: a container to its own gateway on a published port is relayed by docker-proxy', () => {
    const s = spec(docker2010(), {
      proxies: [
        {namespace: 'host', proto: 'tcp', address: '0.0.0.0', port: 8080, to: {address: '10.1.0.10', port: 80}},
      ],
    })
    const {r, steps} = ask(s, {from: from('cli'), to: '10.1.0.1', port: 8080})
    expect(r.verdict, steps).toBe('allow')
    expect(r.traces[0]!.outcome).toMatchObject({kind: 'delivered', namespace: 'host', proxy: {port: 8080}})
    expect(r.relay?.traces[0]!.outcome).toMatchObject({kind: 'delivered', namespace: 'container.web', port: 80})
    // The proxy's own connection is denied: so is the whole.
    const blocked = {...s, rules: docker2010('', {filter: '-A OUTPUT -o br-a -p tcp -m tcp --dport 80 -j DROP'})}
    const no = ask(blocked, {from: from('cli'), to: '10.1.0.1', port: 8080})
    expect(no.r.verdict).toBe('deny')
    expect(no.decided).toBe('host filter OUTPUT#1 DROP')
  })

  it('the IPv6 hole: docker-proxy on [::] takes an IPv6 client past FORWARD to an IPv4-only container', () => {
    const v6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`
    const s = spec(docker2010(), {
      rules6: v6,
      interfaces: [{name: 'eth0', addresses: ['203.0.113.1/24', '2001:db8:e::1/64']}],
      proxies: [{namespace: 'host', proto: 'tcp', address: '::', port: 8080, to: {address: '10.1.0.10', port: 80}}],
    })
    const v6client: Query['from'] = {kind: 'client', interface: 'eth0', address: '2001:db8:e::50'}
    const {r, steps} = ask(s, {from: v6client, to: '2001:db8:e::1', port: 8080})
    expect(r.verdict, steps).toBe('allow')
    expect(r.family).toBe('ipv6')
    expect(decisionText(r.decidedBy)).toBe('host ip6 filter INPUT policy ACCEPT')
    expect(steps).not.toContain('FORWARD')
    expect(r.relay?.family).toBe('ipv4')
    expect(r.relay?.traces[0]!.outcome).toMatchObject({namespace: 'container.web', port: 80})
  })

  it('listening sockets, when known: a connection to a closed port is refused', () => {
    const host = buildHost(spec(docker2010()))
    host.namespaces.find((n) => n.id === 'container.web')!.sockets = [{proto: 'tcp', address: '0.0.0.0', port: 80}]
    const e = new Explainer(host)
    expect(e.explain({from: from('cli'), to: '10.1.0.10', proto: 'tcp', port: 80}).verdict).toBe('allow')
    const closed = e.explain({from: from('cli'), to: '10.1.0.10', proto: 'tcp', port: 81})
    expect(decisionText(closed.decidedBy)).toBe('container.web socket: nothing listens on 10.1.0.10 tcp/81')
  })

  it("Docker's embedded DNS inside a container: DNAT in nat OUTPUT to a local port", () => {
    const dns = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER_OUTPUT - [0:0]
:DOCKER_POSTROUTING - [0:0]
-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT
-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING
-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:41582
-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport 41582 -j SNAT --to-source :53
COMMIT
`
    const s = spec(docker2010())
    s.ctrs[0]!.rules = dns
    const {r, steps} = ask(s, {from: from('web'), to: '127.0.0.11', proto: 'udp', port: 53})
    expect(r.verdict, steps).toBe('allow')
    expect(r.traces[0]!.outcome).toMatchObject({kind: 'delivered', namespace: 'container.web', port: 41582})
    expect(r.traces[0]!.steps.find((s) => s.kind === 'rule')?.rule.owner).toEqual({kind: 'docker'})
  })
})

// Rules written inside containers (issue 16's property test draws each of these): netfilter
// semantics from the kernel's order of hooks. A packet a namespace sends to itself loops
// back through lo with its connection attached (nf_conntrack_in skips it: "previously
// seen"), so a NAT decided in nat OUTPUT is neither looked up afresh nor decided again by
// nat PREROUTING, and its reply and next packet are ESTABLISHED on both sides of lo.
describe('rules inside containers', () => {
  const natTable = (lines: string) => `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${lines}
COMMIT
`
  const filterTable = (lines: string, input = 'ACCEPT') => `*filter
:INPUT ${input} [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${lines}
COMMIT
`
  /** spec() with rules inside `cli` (10.1.0.11 on br-a) and `web` (10.1.0.10). */
  const inside = (cli: string, web?: string): HostSpec => {
    const s = spec(docker2010())
    s.ctrs.find((c) => c.name === 'cli')!.rules = cli
    if (web !== undefined) s.ctrs.find((c) => c.name === 'web')!.rules = web
    return s
  }
  const redirect81 = '-A OUTPUT -d 10.1.0.10/32 -p tcp -m tcp --dport 81 -j REDIRECT --to-ports 80'
  const outcome = (r: ReturnType<typeof ask>['r'], i = 0) => r.traces[i]!.outcome
  const states = (r: ReturnType<typeof ask>['r']) =>
    r.traces.map((t) => t.steps.flatMap((s) => (s.kind === 'conntrack' ? [`${s.state}/${s.direction}`] : [])))

  it("REDIRECT in a container's nat OUTPUT: its own connection ends at its own socket on 127.0.0.1", () => {
    const {r, steps} = ask(inside(natTable(redirect81)), {from: from('cli'), to: '10.1.0.10', port: 81})
    expect(r.verdict, steps).toBe('allow')
    expect(outcome(r)).toEqual({kind: 'delivered', namespace: 'container.cli', address: '127.0.0.1', port: 80})
    // The addressed container is never reached: the packet does not leave cli.
    expect(r.traces.flatMap((t) => t.steps).some((s) => s.kind === 'enter' && s.namespace !== 'container.cli')).toBe(
      false,
    )
    // One connection through lo: NEW out and in, the reply and the next packet ESTABLISHED both ways.
    expect(states(r), steps).toEqual([
      ['NEW/original', 'NEW/original'],
      ['ESTABLISHED/reply', 'ESTABLISHED/reply'],
      ['ESTABLISHED/original', 'ESTABLISHED/original'],
    ])
    // Port 80 (not redirected) goes to web itself; another container's REDIRECT does not apply to cli's packets.
    expect(outcome(ask(inside(natTable(redirect81)), {from: from('cli'), to: '10.1.0.10', port: 80}).r)).toMatchObject({
      namespace: 'container.web',
      port: 80,
    })
    expect(
      outcome(ask(inside(natTable(''), natTable(redirect81)), {from: from('cli'), to: '10.1.0.10', port: 81}).r),
    ).toMatchObject({namespace: 'container.web', port: 81})
  })

  it('the redirected connection is one connection: INVALID drops and ctstate DNAT in INPUT see it as the kernel does', () => {
    // The reply comes back through lo un-NATed (10.1.0.10:81 -> cli): the connection it belongs to is the one it left with.
    const invalid = inside(natTable(redirect81) + filterTable('-A INPUT -m conntrack --ctstate INVALID -j DROP'))
    const a = ask(invalid, {from: from('cli'), to: '10.1.0.10', port: 81})
    expect(a.r.verdict, a.steps).toBe('allow')
    // INPUT sees the REDIRECT done in OUTPUT (IPS_DST_NAT), on the first packet and the next.
    const dnat = inside(
      natTable(redirect81) + filterTable('-A INPUT -m conntrack --ctstate DNAT,ESTABLISHED -j ACCEPT', 'DROP'),
    )
    const b = ask(dnat, {from: from('cli'), to: '10.1.0.10', port: 81})
    expect(b.r.verdict, b.steps).toBe('allow')
    expect(decisionText(b.r.decidedBy)).toBe('container.cli filter INPUT#1 ACCEPT')
  })

  it('a packet looped back through lo is not NATed again by nat PREROUTING', () => {
    // A port forward inside cli for connections arriving at it (80 -> 443), and its own REDIRECT 81 -> 80.
    const rules = natTable(`-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 443\n${redirect81}`)
    const own = ask(inside(rules), {from: from('cli'), to: '10.1.0.10', port: 81})
    expect(own.r.verdict, own.steps).toBe('allow')
    expect(outcome(own.r)).toMatchObject({namespace: 'container.cli', port: 80})
    // Its own connection to itself on 80: nat PREROUTING is not consulted for locally generated packets.
    expect(outcome(ask(inside(rules), {from: from('cli'), to: '10.1.0.11', port: 80}).r)).toMatchObject({
      namespace: 'container.cli',
      port: 80,
    })
    // Arriving from another container: forwarded to 443.
    expect(outcome(ask(inside(rules), {from: from('web'), to: '10.1.0.11', port: 80}).r)).toMatchObject({
      namespace: 'container.cli',
      port: 443,
    })
  })

  it('DNAT to its own address on another port, and an INPUT drop of that port', () => {
    const rules =
      natTable('-A PREROUTING -d 10.1.0.11/32 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.1.0.11:81') +
      filterTable('-A INPUT -p tcp -m tcp --dport 81 -j DROP')
    // From another container: translated in PREROUTING, then dropped in INPUT by the new port.
    const fwd = ask(inside(rules), {from: from('web'), to: '10.1.0.11', port: 8081})
    expect(fwd.decided, fwd.steps).toBe('container.cli filter INPUT#1 DROP')
    expect(fwd.r.traces[0]!.steps).toContainEqual(
      expect.objectContaining({kind: 'nat', nat: 'DNAT', from: '10.1.0.11:8081', to: '10.1.0.11:81'}),
    )
    expect(ask(inside(rules), {from: from('web'), to: '10.1.0.11', port: 81}).decided).toBe(
      'container.cli filter INPUT#1 DROP',
    )
    // From cli itself: PREROUTING never sees it, so 8081 is reached as it is.
    const self = ask(inside(rules), {from: from('cli'), to: '10.1.0.11', port: 8081})
    expect(self.r.verdict, self.steps).toBe('allow')
    expect(outcome(self.r)).toMatchObject({namespace: 'container.cli', address: '10.1.0.11', port: 8081})
    // Another port of cli is not translated.
    expect(outcome(ask(inside(rules), {from: from('web'), to: '10.1.0.11', port: 80}).r)).toMatchObject({
      namespace: 'container.cli',
      port: 80,
    })
  })

  it('REJECT with tcp-reset in OUTPUT: the container cannot connect out on that port, others can connect to it', () => {
    const rules = filterTable('-A OUTPUT -d 10.1.0.0/24 -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset')
    const out = ask(inside(rules), {from: from('cli'), to: '10.1.0.10', port: 80})
    expect(out.decided, out.steps).toBe('container.cli filter OUTPUT#1 REJECT')
    // To itself too (10.1.0.11 is in the subnet; the packet crosses OUTPUT before lo).
    expect(ask(inside(rules), {from: from('cli'), to: '10.1.0.11', port: 80}).decided).toBe(
      'container.cli filter OUTPUT#1 REJECT',
    )
    expect(ask(inside(rules), {from: from('cli'), to: '10.1.0.10', port: 81}).r.verdict).toBe('allow')
    // Its answers to others leave from port 80 (the rule matches the destination port): allowed.
    const served = ask(inside(rules), {from: from('web'), to: '10.1.0.11', port: 80})
    expect(served.r.verdict, served.steps).toBe('allow')
    // Outside the subnet: the rule does not apply (db is on br-b).
    expect(ask(inside(rules), {from: from('cli'), to: '10.2.0.10', port: 80}).decided).not.toContain('OUTPUT')
  })
})

describe('chain traversal', () => {
  const forward = (rules: string, policy = 'DROP') => `*filter
:INPUT ACCEPT [0:0]
:FORWARD ${policy} [0:0]
:OUTPUT ACCEPT [0:0]
:X - [0:0]
:Y - [0:0]
${rules}
COMMIT
`
  const q = {from: from('db'), to: '10.1.0.10'}

  it('a jump returns to the next rule; a goto returns to the caller of the chain that went', () => {
    const jump = ask(spec(forward('-A FORWARD -j X\n-A FORWARD -j ACCEPT\n-A X -p udp -j ACCEPT')), q)
    expect(jump.decided).toBe('host filter FORWARD#2 ACCEPT')
    const go = ask(spec(forward('-A FORWARD -g X\n-A FORWARD -j ACCEPT\n-A X -p udp -j ACCEPT')), q)
    expect(go.r.verdict).toBe('deny')
    expect(go.decided).toBe('host filter FORWARD policy DROP')
    // X jumps to Y, which goes to... nothing: back in X after Y, then X ends, back in FORWARD.
    const nested = ask(
      spec(forward('-A FORWARD -j X\n-A FORWARD -j ACCEPT\n-A X -j Y\n-A X -p udp -j DROP\n-A Y -j RETURN')),
      q,
    )
    expect(nested.decided).toBe('host filter FORWARD#2 ACCEPT')
    expect(nested.steps).toContain('host:filter:Y#1 RETURN')
  })

  it('RETURN in a built-in chain applies its policy', () => {
    const r = ask(spec(forward('-A FORWARD -j RETURN\n-A FORWARD -j ACCEPT')), q)
    expect(r.decided).toBe('host filter FORWARD policy DROP')
  })

  it('REJECT denies; LOG and counting rules go on', () => {
    const r = ask(spec(forward('-A FORWARD -j LOG --log-prefix "x "\n-A FORWARD\n-A FORWARD -j REJECT', 'ACCEPT')), q)
    expect(r.decided).toBe('host filter FORWARD#3 REJECT')
    expect(r.steps).toContain('host:filter:FORWARD#1 LOG')
    expect(r.steps).toContain('host:filter:FORWARD#2 count')
  })

  it('matches: negation, masks (also non-contiguous), interface wildcards, multiport, ranges', () => {
    const cases: Array<[string, 'allow' | 'deny']> = [
      ['-A FORWARD ! -s 10.2.0.10/32 -j ACCEPT', 'deny'],
      ['-A FORWARD -s 10.2.0.0/24 -j ACCEPT', 'allow'],
      ['-A FORWARD -s 10.0.0.10/255.0.255.255 -j ACCEPT', 'allow'],
      ['-A FORWARD -s 10.0.0.11/255.0.255.255 -j ACCEPT', 'deny'],
      ['-A FORWARD -i br-+ -o br-a -j ACCEPT', 'allow'],
      ['-A FORWARD -i br-+ ! -o br-+ -j ACCEPT', 'deny'],
      ['-A FORWARD -p tcp -m multiport --dports 22,70:90,443 -j ACCEPT', 'allow'],
      ['-A FORWARD -p tcp -m multiport --dports 22,443 -j ACCEPT', 'deny'],
      ['-A FORWARD -p tcp -m multiport --ports 40000 -j ACCEPT', 'allow'],
      ['-A FORWARD -p tcp -m tcp --dport 1:79 -j DROP\n-A FORWARD -j ACCEPT', 'allow'],
      ['-A FORWARD -p tcp -m tcp ! --dport 80 -j DROP\n-A FORWARD -j ACCEPT', 'allow'],
      ['-A FORWARD -p udp -j ACCEPT', 'deny'],
      ['-A FORWARD ! -p udp -j ACCEPT', 'allow'],
      ['-A FORWARD -m iprange --dst-range 10.1.0.5-10.1.0.15 -j ACCEPT', 'allow'],
      ['-A FORWARD -f -j ACCEPT', 'deny'],
      [
        '-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT\n-A FORWARD -p tcp -m tcp ! --syn -j ACCEPT',
        'allow',
      ],
      ['-A FORWARD -p tcp ! --syn -j ACCEPT', 'deny'],
      ['-A FORWARD -p tcp --syn -j ACCEPT', 'allow'],
      // Routed, not bridged, but it came in through a bridge port: br_netfilter keeps the port.
      ['-A FORWARD -m physdev --physdev-in vethdb0 -j ACCEPT', 'allow'],
      ['-A FORWARD -m physdev --physdev-in vethdb0 --physdev-is-bridged -j ACCEPT', 'deny'],
      ['-A FORWARD -m pkttype --pkt-type unicast -j ACCEPT', 'allow'],
      ['-A FORWARD -m comment --comment "dockwall:rule.x" -j ACCEPT', 'allow'],
    ]
    // Replies accepted first: only the first packet is judged by the rule under test.
    const established = '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT'
    for (const [rules, want] of cases)
      expect(ask(spec(forward(`${established}\n${rules}`)), q).r.verdict, rules).toBe(want)
  })

  it('physdev on a bridged frame', () => {
    const rules = '-A FORWARD -m physdev --physdev-in vethcli0 --physdev-out vethweb0 --physdev-is-bridged -j ACCEPT'
    expect(ask(spec(forward(rules)), {from: from('cli'), to: '10.1.0.10'}).r.verdict).toBe('deny')
    const both = `${rules}\n-A FORWARD -m physdev --physdev-in vethweb0 --physdev-out vethcli0 -j ACCEPT`
    expect(ask(spec(forward(both)), {from: from('cli'), to: '10.1.0.10'}).r.verdict).toBe('allow')
  })

  it('marks: set then matched in a later rule; connmark carried to the reply', () => {
    const set = '-A FORWARD -s 10.2.0.10/32 -j MARK --set-xmark 0x1/0xffffffff'
    const test = '-A FORWARD -m mark --mark 0x1 -j DROP'
    expect(ask(spec(forward(`${set}\n${test}\n-A FORWARD -j ACCEPT`)), q).decided).toBe('host filter FORWARD#2 DROP')
    expect(ask(spec(forward(`${test}\n${set}\n-A FORWARD -j ACCEPT`)), q).r.verdict).toBe('allow')
    const ct = forward(
      '-A FORWARD -s 10.2.0.10/32 -j CONNMARK --set-xmark 0x5/0xffffffff\n-A FORWARD -m connmark --mark 0x5 -m conntrack --ctstate ESTABLISHED -j DROP\n-A FORWARD -j ACCEPT',
    )
    const r = ask(spec(ct), q)
    expect(r.r.summary).toContain('the reply is dropped')
    expect(r.decided).toBe('host filter FORWARD#2 DROP')
  })

  it('conntrack states and fields: NEW, ESTABLISHED, DNAT, ctorigdstport, ctdir', () => {
    const nat = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 203.0.113.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.10:80
COMMIT
`
    const withNat = (filter: string) => {
      const s = spec(forward(filter) + nat)
      return ask(s, {from: client, to: '203.0.113.1', port: 8080})
    }
    expect(withNat('-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT').r.verdict).toBe('allow')
    expect(withNat('-A FORWARD -m conntrack --ctorigdstport 8080 -j ACCEPT').r.verdict).toBe('allow')
    expect(withNat('-A FORWARD -m conntrack --ctorigdstport 80 -j ACCEPT').r.verdict).toBe('deny')
    expect(withNat('-A FORWARD -m conntrack --ctorigdst 203.0.113.1 --ctdir ORIGINAL -j ACCEPT').r.summary).toContain(
      'the reply is dropped',
    )
    expect(
      withNat('-A FORWARD -m conntrack --ctstate NEW -j ACCEPT\n-A FORWARD -m state --state ESTABLISHED -j ACCEPT').r
        .verdict,
    ).toBe('allow')
    expect(withNat('-A FORWARD -m conntrack --ctstate NEW -j ACCEPT').r.summary).toContain('the reply is dropped')
  })

  it('NOTRACK in raw: the packet is UNTRACKED and NAT does not apply', () => {
    const rules = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -s 10.2.0.10/32 -j CT --notrack
COMMIT
${forward('-A FORWARD -m conntrack --ctstate UNTRACKED -j DROP\n-A FORWARD -j ACCEPT')}`
    const r = ask(spec(rules), q)
    expect(r.decided).toBe('host filter FORWARD#1 DROP')
    expect(r.r.traces[0]!.steps).toContainEqual(expect.objectContaining({kind: 'conntrack', state: 'UNTRACKED'}))
  })

  it('addrtype, with and without --limit-iface-in', () => {
    const input = (rules: string) => `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${rules}
COMMIT
`
    const limit = input('-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT')
    expect(ask(spec(limit), {from: from('web'), to: '10.1.0.1', port: 22}).r.verdict).toBe('allow')
    expect(ask(spec(limit), {from: from('web'), to: '10.2.0.1', port: 22}).r.verdict).toBe('deny')
    const any = input('-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT')
    expect(ask(spec(any), {from: from('web'), to: '10.2.0.1', port: 22}).r.verdict).toBe('allow')
    const unicast = input('-A INPUT -m addrtype ! --src-type UNICAST -j ACCEPT')
    expect(ask(spec(unicast), {from: from('web'), to: '10.1.0.1', port: 22}).r.verdict).toBe('deny')
  })

  it('icmp echo and its types', () => {
    const rules = forward('-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP\n-A FORWARD -j ACCEPT')
    expect(ask(spec(rules), {...q, proto: 'icmp'}).decided).toBe('host filter FORWARD#1 DROP')
    expect(ask(spec(rules), q).r.verdict).toBe('allow')
    const reply = forward('-A FORWARD -p icmp -m icmp --icmp-type echo-reply -j DROP\n-A FORWARD -j ACCEPT')
    expect(ask(spec(reply), {...q, proto: 'icmp'}).r.summary).toContain('the reply is dropped')
  })

  it('IPv6: ip6tables rules decide IPv6 traffic, iptables rules IPv4', () => {
    const v6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j DROP
-A FORWARD -d fd00:a::10/128 -p tcp -m tcp --dport 80 -j REJECT
COMMIT
`
    const s = spec(forward('-A FORWARD -j ACCEPT'), {rules6: v6})
    expect(ask(s, {from: from('db'), to: 'fd00:a::10'}).decided).toBe('host ip6 filter FORWARD#2 REJECT')
    expect(ask(s, {from: from('db'), to: 'fd00:a::10', proto: 'icmp'}).decided).toBe('host ip6 filter FORWARD#1 DROP')
    expect(ask(s, {from: from('db'), to: 'fd00:a::10', port: 81}).r.verdict).toBe('allow')
    expect(ask(s, {from: from('db'), to: '10.1.0.10'}).r.verdict).toBe('allow')
    // An IPv4-mapped address is the IPv4 one.
    expect(ask(s, {from: from('db'), to: '::ffff:10.1.0.10'}).r.family).toBe('ipv4')
  })
})

describe('IPv6 neighbour discovery across a bridge whose frames cross ip6tables', () => {
  // Docker 20.10's ip6tables for an internal IPv6 network (br-a): its isolation drops every
  // frame into or out of the bridge whose address is outside the subnet, and the neighbour
  // solicitation goes to a multicast address (captured: the neighbour entry stays INCOMPLETE,
  // the second rule's counter grows with each connection attempt).
  const internal = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -i br-a -o br-a -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 ! -s fd00:a::/64 -o br-a -j DROP
-A DOCKER-ISOLATION-STAGE-1 ! -d fd00:a::/64 -i br-a -j DROP
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
COMMIT
`
  const q = {from: from('cli'), to: 'fd00:a::10'}

  it('a solicitation Docker drops denies the connection, naming the rule, in a trace after the first packet', () => {
    const {r, decided, steps} = ask(spec(docker2010(), {rules6: internal}), q)
    expect(r.verdict, steps).toBe('deny')
    expect(decided).toBe('host ip6 filter DOCKER-ISOLATION-STAGE-1#2 DROP')
    expect(r.summary).toContain('neighbour discovery for fd00:a::10 (the neighbour solicitation')
    expect(r.traces.map((t) => t.packet)).toEqual(['first', 'neighbour'])
    const enter = r.traces[1]!.steps.find((s) => s.kind === 'enter')
    // To the solicited-node address of fd00:a::10, an ICMPv6 neighbour solicitation, INVALID to conntrack.
    expect(enter).toMatchObject({packet: {src: 'fd00:a::11', dst: 'ff02::1:ff00:10', proto: 'icmp', icmpType: 135}})
    expect(r.traces[1]!.steps).toContainEqual(expect.objectContaining({kind: 'conntrack', state: 'INVALID'}))
  })

  it('lets the connection through where the discovery passes, with both messages in the trace', () => {
    const open = internal.replace(
      '-A DOCKER-ISOLATION-STAGE-1 ! -d',
      '-A DOCKER-ISOLATION-STAGE-1 -p ipv6-icmp -j RETURN\n-A DOCKER-ISOLATION-STAGE-1 ! -d',
    )
    const {r, decided, steps} = ask(spec(docker2010(), {rules6: open}), q)
    expect(r.verdict, steps).toBe('allow')
    expect(decided).toBe('host ip6 filter FORWARD#2 ACCEPT')
    expect(r.traces.map((t) => t.packet)).toEqual(['first', 'neighbour', 'neighbour', 'reply', 'next'])
  })

  it('an advertisement dropped on its way back denies it too', () => {
    const noAdvert = internal
      .replace(
        ':DOCKER-ISOLATION-STAGE-1 - [0:0]\n',
        ':DOCKER-ISOLATION-STAGE-1 - [0:0]\n-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j DROP\n',
      )
      .replace('! -d fd00:a::/64 -i br-a -j DROP', '! -d fd00:a::/64 -i br-a -p tcp -j DROP')
    const {r, decided, steps} = ask(spec(docker2010(), {rules6: noAdvert}), q)
    expect(r.verdict, steps).toBe('deny')
    expect(decided).toBe('host ip6 filter FORWARD#1 DROP')
    expect(r.summary).toContain('the neighbour advertisement')
  })

  it('needs no discovery where bridged frames skip ip6tables, or over IPv4', () => {
    const off = ask(spec(docker2010(), {rules6: internal, bridgeNetfilter: false}), q)
    expect(off.r.traces.map((t) => t.packet)).toEqual(['first', 'reply', 'next'])
    const v4 = ask(spec(docker2010(), {rules6: internal}), {from: from('cli'), to: '10.1.0.10'})
    expect(v4.r.traces.map((t) => t.packet)).toEqual(['first', 'reply', 'next'])
  })
})

describe('rules outside the model', () => {
  const user = (rules: string) => spec(docker2010(rules))
  const q = {from: from('cli'), to: '10.1.0.10'}

  it('-m set deciding the verdict makes the answer unknown, naming the rule', () => {
    const r = ask(user('-A DOCKER-USER -m set --match-set blocked src -j DROP'), q)
    expect(r.r.verdict).toBe('unknown')
    expect(r.r.decidedBy).toMatchObject({kind: 'unknown', rules: [{chain: 'DOCKER-USER', position: 1}]})
    expect(r.r.unmodelled).toEqual([
      expect.objectContaining({what: '-m set --match-set blocked src', rule: expect.objectContaining({position: 1})}),
    ])
  })

  it('an unmodelled match that cannot change the answer does not make it unknown', () => {
    const log = ask(user('-A DOCKER-USER -m set --match-set blocked src -j LOG'), q)
    expect(log.r.verdict).toBe('allow')
    expect(log.r.unmodelled).toHaveLength(1)
    const sameWay = ask(user('-A DOCKER-USER -m limit --limit 5/min -j RETURN'), q)
    expect(sameWay.r.verdict).toBe('allow')
    // A rule whose modelled matches already fail is not even looked at.
    const skipped = ask(user('-A DOCKER-USER -s 192.0.2.0/24 -m set --match-set blocked src -j DROP'), q)
    expect(skipped.r.verdict).toBe('allow')
    expect(skipped.r.unmodelled).toEqual([])
  })

  it('an unmodelled target or an unreadable namespace: unknown', () => {
    const q2 = ask(user('-A DOCKER-USER -j NFQUEUE --queue-num 1'), q)
    expect(q2.r.verdict).toBe('unknown')
    expect(q2.r.summary).toContain('NFQUEUE')
    const host = buildHost(spec(docker2010()))
    host.namespaces.find((n) => n.id === 'container.web')!.rulesets.ipv4 = null
    const r = explain(host, {from: from('cli'), to: '10.1.0.10', proto: 'tcp', port: 80})
    expect(r.verdict).toBe('unknown')
    expect(r.summary).toContain('ipv4 rules of container.web could not be read')
  })

  it('many unmodelled rules: unknown rather than a guess', () => {
    const rules = Array.from({length: 8}, (_, i) => `-A DOCKER-USER -m set --match-set s${i} src -j RETURN`).join('\n')
    const r = ask(user(`${rules}\n-A DOCKER-USER -m set --match-set last src -j DROP`), q)
    expect(r.r.verdict).toBe('unknown')
  })
})

describe('queries', () => {
  it('bad queries are refused with the reason', () => {
    const h = buildHost(spec(docker2010()))
    const bad: Array<[Query, RegExp]> = [
      [{from: from('web'), to: 'web', proto: 'tcp', port: 80}, /not an IP address/],
      [{from: from('web'), to: '10.1.0.1', proto: 'tcp'}, /needs a destination port/],
      [{from: from('web'), to: '10.1.0.1', proto: 'tcp', port: 70000}, /needs a destination port/],
      [{from: from('nobody'), to: '10.1.0.1', proto: 'tcp', port: 80}, /no namespace container.nobody/],
      [{from: from('web', '10.2.0.10'), to: '10.1.0.1', proto: 'tcp', port: 80}, /not an address of container.web/],
      [{from: from('web', 'fd00:a::10'), to: '10.1.0.1', proto: 'tcp', port: 80}, /different families/],
      [
        {from: {kind: 'client', interface: 'eth9', address: '1.2.3.4'}, to: '10.1.0.1', proto: 'tcp', port: 80},
        /no interface eth9/,
      ],
    ]
    for (const [query, re] of bad) expect(() => explain(h, query), JSON.stringify(query)).toThrow(re)
    expect(() => explain(h, bad[0]![0])).toThrow(ExplainInputError)
  })

  it('deferred rules: a walk entering the namespace asks for them, and the answer is the one of the whole host', () => {
    const s = spec(docker2010())
    s.ctrs.find((c) => c.name === 'web')!.rules =
      `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 80 -j DROP\nCOMMIT\n`
    const whole = buildHost(s)
    const q: Query = {from: from('cli'), to: '10.1.0.10', proto: 'tcp', port: 80}
    const expected = explain(whole, q)
    expect(decisionText(expected.decidedBy)).toBe('container.web filter INPUT#1 DROP')
    const deferred = {
      ...whole,
      namespaces: whole.namespaces.map((n) =>
        n.id.startsWith('container.') ? {...n, rulesets: {}, deferred: ['ipv4' as const, 'ipv6' as const]} : n,
      ),
    }
    const e = new Explainer(deferred)
    const asked: string[] = []
    for (;;) {
      try {
        expect(e.explain(q)).toEqual(expected)
        break
      } catch (err) {
        if (!(err instanceof RulesNeeded)) throw err
        asked.push(`${err.namespace} ${err.family}`)
        e.provideRules(err.namespace, err.family, whole.namespaces.find((n) => n.id === err.namespace)!.rulesets.ipv4)
      }
    }
    // The two namespaces the packets cross, IPv4 only; the other containers are never read.
    expect(asked).toEqual(['container.cli ipv4', 'container.web ipv4'])
  })

  it('the result is plain JSON', () => {
    const r = explain(buildHost(spec(docker2010())), {from: client, to: '203.0.113.1', proto: 'tcp', port: 8080})
    expect(JSON.parse(JSON.stringify(r))).toEqual(r)
  })
})
