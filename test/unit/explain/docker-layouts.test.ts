// Verdicts and deciding rules on Docker's real layouts: hosts captured from sandbox
// engines (Docker 20.10 and 26.1, nft and legacy: fixtures/explain/docker-*, see
// SOURCES.md there) and the layouts of Docker 28.5 and 29 as moby's generated docs
// describe them (fixtures/explain/moby-*). The captured verdicts were checked against
// real connections by test/e2e/explain.test.ts on the same topology.
import {describe, expect, it} from 'vitest'

import {Explainer, type ExplainResult, type Query} from '../../../src/explain/index.js'
import {buildHost, decisionText, fixtureText, loadCapture, stepsText, type HostSpec} from './build.js'

type Case = [from: string, to: string, port: number, verdict: 'allow' | 'deny', decided: string, end?: string]

const ns = (name: string): Query['from'] =>
  name === 'host' || name.startsWith('client.')
    ? {kind: 'namespace', namespace: name}
    : {kind: 'namespace', namespace: `container.${name}`}

/** Where an allowed connection lands, through proxies. */
function endOf(r: ExplainResult): string | undefined {
  if (r.relay) return `${endOf(r.relay)} via proxy`
  const o = r.traces[0]?.outcome
  return o?.kind === 'delivered' ? `${o.namespace}:${o.port}` : undefined
}

/** Bridge names (br-<id>) differ between captures: compare without them. */
const plain = (s: string): string => s.replace(/br-[0-9a-f]{12}/g, 'BR')

// The typical host (test/capture/scenario.ts): front 10.31.1.0/24 (web .10 publishing 8080:80, api .20),
// back 10.31.2.0/24 (api .20 publishing 9090:90, db .30), intern 10.31.3.0/24 internal (vault .40),
// noicc 10.31.4.0/24 icc=false (iso1 .10 publishing 8443:443, iso2 .11), the default bridge (legacy,
// publishing 7070:70), an external client 198.18.0.2 on dwext0 (the host is 198.18.0.1).
const TYPICAL_2010: Case[] = [
  ['web', '10.31.1.20', 90, 'allow', 'host filter FORWARD#14 ACCEPT', 'container.api:90'],
  ['db', '10.31.2.20', 90, 'allow', 'host filter FORWARD#10 ACCEPT', 'container.api:90'],
  ['api', '10.31.2.30', 81, 'allow', 'host filter FORWARD#10 ACCEPT', 'container.db:81'],
  ['api', '10.31.1.10', 80, 'allow', 'host filter FORWARD#14 ACCEPT', 'container.web:80'],
  ['db', '10.31.1.10', 80, 'deny', 'host filter DOCKER-ISOLATION-STAGE-2#3 DROP'],
  ['web', '10.31.2.30', 81, 'deny', 'host filter DOCKER-ISOLATION-STAGE-2#2 DROP'],
  ['web', '10.31.2.20', 90, 'deny', 'host filter DOCKER-ISOLATION-STAGE-2#2 DROP'],
  ['iso1', '10.31.4.11', 81, 'deny', 'host filter FORWARD#19 DROP'],
  ['vault', '10.31.1.10', 80, 'deny', 'VAULT'],
  ['web', '10.31.3.40', 81, 'deny', 'host filter DOCKER-ISOLATION-STAGE-1#2 DROP'],
  ['vault', '198.18.0.1', 8080, 'deny', 'VAULT'],
  ['legacy', '10.31.1.10', 80, 'deny', 'host filter DOCKER-ISOLATION-STAGE-2#3 DROP'],
  ['client.dwext0', '198.18.0.1', 8080, 'allow', 'host filter DOCKER#1 ACCEPT', 'container.web:80'],
  ['client.dwext0', '198.18.0.1', 9090, 'allow', 'host filter DOCKER#2 ACCEPT', 'container.api:90'],
  // Before Docker 28, a published port is open to anyone routed straight to the container's address.
  ['client.dwext0', '10.31.1.10', 80, 'allow', 'host filter DOCKER#1 ACCEPT', 'container.web:80'],
  ['client.dwext0', '10.31.1.10', 81, 'deny', 'host filter FORWARD policy DROP'],
  ['client.dwext0', '10.31.3.40', 81, 'deny', 'host filter DOCKER-ISOLATION-STAGE-1#2 DROP'],
  ['client.dwext0', '10.31.4.10', 443, 'allow', 'host filter DOCKER#3 ACCEPT', 'container.iso1:443'],
  ['host', '10.31.1.10', 81, 'allow', 'container.web filter INPUT policy ACCEPT', 'container.web:81'],
  ['host', '198.18.0.1', 8080, 'allow', 'container.web filter INPUT policy ACCEPT', 'container.web:80'],
  // From a container to the host's published port: nat DOCKER RETURNs for every bridge, docker-proxy relays.
  ['db', '198.18.0.1', 8080, 'allow', 'host filter INPUT policy ACCEPT', 'container.web:80 via proxy'],
  ['web', '10.31.1.1', 8080, 'allow', 'host filter INPUT policy ACCEPT', 'container.web:80 via proxy'],
]

// Docker 28.5 on the same host: the raw table drops what is routed to a container from
// anywhere but its own bridge (published or not), the filter rules live in DOCKER-FORWARD.
const TYPICAL_28: Case[] = [
  ['web', '10.31.1.20', 90, 'allow', 'host filter DOCKER-FORWARD#5 ACCEPT', 'container.api:90'],
  ['db', '10.31.2.20', 90, 'allow', 'host filter DOCKER-FORWARD#6 ACCEPT', 'container.api:90'],
  ['api', '10.31.2.30', 81, 'allow', 'host filter DOCKER-FORWARD#6 ACCEPT', 'container.db:81'],
  ['api', '10.31.1.10', 80, 'allow', 'host filter DOCKER-FORWARD#5 ACCEPT', 'container.web:80'],
  ['db', '10.31.1.10', 80, 'deny', 'host raw PREROUTING#1 DROP'],
  ['web', '10.31.2.30', 81, 'deny', 'host raw PREROUTING#4 DROP'],
  ['iso1', '10.31.4.11', 81, 'deny', 'host filter DOCKER-FORWARD#8 DROP'],
  ['vault', '10.31.1.10', 80, 'deny', 'container.vault routing: no route to 10.31.1.10'],
  ['web', '10.31.3.40', 81, 'deny', 'host filter DOCKER-ISOLATION-STAGE-1#1 DROP'],
  ['legacy', '10.31.1.10', 80, 'deny', 'host raw PREROUTING#1 DROP'],
  ['client.dwext0', '198.18.0.1', 8080, 'allow', 'host filter DOCKER#4 ACCEPT', 'container.web:80'],
  ['client.dwext0', '198.18.0.1', 9090, 'allow', 'host filter DOCKER#3 ACCEPT', 'container.api:90'],
  // Since 28.2 the published port too is closed to traffic routed straight to the container.
  ['client.dwext0', '10.31.1.10', 80, 'deny', 'host raw PREROUTING#1 DROP'],
  ['client.dwext0', '10.31.4.10', 443, 'deny', 'host raw PREROUTING#5 DROP'],
  ['client.dwext0', '10.31.3.40', 81, 'deny', 'host filter DOCKER-ISOLATION-STAGE-1#1 DROP'],
  ['host', '10.31.1.10', 81, 'allow', 'container.web filter INPUT policy ACCEPT', 'container.web:81'],
  ['host', '198.18.0.1', 8080, 'allow', 'container.web filter INPUT policy ACCEPT', 'container.web:80'],
  ['db', '198.18.0.1', 8080, 'allow', 'host filter INPUT policy ACCEPT', 'container.web:80 via proxy'],
]

describe.each([
  ['docker-20.10-nft', TYPICAL_2010],
  ['docker-20.10-legacy', TYPICAL_2010],
  ['docker-26.1-nft', TYPICAL_2010],
  ['docker-26.1-legacy', TYPICAL_2010],
  ['docker-28.5-nft', TYPICAL_28],
  ['docker-28.5-legacy', TYPICAL_28],
] as const)('captured %s: the typical host', (name, cases) => {
  const {host, meta} = loadCapture(name)
  const explainer = new Explainer(host)

  it.each(cases)('%s -> %s:%i: %s by %s', (from, to, port, verdict, decided, end) => {
    const r = explainer.explain({from: ns(from), to, proto: 'tcp', port})
    expect(r.verdict, stepsText(r)).toBe(verdict)
    // An internal network's container: Docker 20.10 gives it a default route (the host's isolation
    // drops what leaves), Docker 26 none (it has no way out at all).
    const want =
      decided !== 'VAULT'
        ? decided
        : name.startsWith('docker-20.10')
          ? 'host filter DOCKER-ISOLATION-STAGE-1#3 DROP'
          : `container.vault routing: no route to ${to}`
    expect(plain(decisionText(r.decidedBy))).toBe(want)
    expect(endOf(r)).toBe(end)
  })

  it('names owners: Docker for its chains and bridges, the embedded DNS rules inside containers', () => {
    const r = explainer.explain({from: ns('web'), to: '10.31.3.40', proto: 'tcp', port: 81})
    const rules = r.traces.flatMap((t) => t.steps.flatMap((s) => (s.kind === 'rule' ? [s.rule] : [])))
    expect(rules.length).toBeGreaterThan(3)
    expect(
      rules.every((x) => x.owner.kind === 'docker'),
      rules.map((x) => x.text).join('\n'),
    ).toBe(true)
    expect(meta.dockerBridges).toContain('docker0')
  })

  it('reads both families of every namespace', () => {
    const hostNs = host.namespaces.find((n) => n.id === 'host')!
    // Docker writes ip6tables rules by default since 27.
    expect(hostNs.rulesets.ipv6 !== undefined).toBe(name.startsWith('docker-28'))
    expect(hostNs.rulesets.ipv4).toBeDefined()
    // These networks have no IPv6: an IPv6 question from a container has no address to send from.
    expect(() => explainer.explain({from: ns('web'), to: 'fd00::1', proto: 'tcp', port: 80})).toThrow(/no ipv6 address/)
  })
})

// ---------------------------------------------------------------- Docker 28.5 and 29 from moby's docs

/**
 * The docs' host: docker0 (172.17.0.1/16, with a container c0 of ours at .2: Docker's rules
 * name no container there, so it may only be a source) and bridge1 (192.0.2.1/24, c1 at .2
 * publishing 8080:80; c2 at .3 where a test needs a neighbour), eth0 toward a client.
 */
function mobyHost(file: string, withC2 = false): HostSpec {
  return {
    rules: fixtureText(file),
    interfaces: [{name: 'eth0', addresses: ['203.0.113.1/24']}],
    nets: [
      {bridge: 'docker0', gateway: '172.17.0.1/16'},
      {bridge: 'bridge1', gateway: '192.0.2.1/24'},
    ],
    ctrs: [
      {name: 'c0', on: [{bridge: 'docker0', ip: '172.17.0.2/16'}]},
      {name: 'c1', on: [{bridge: 'bridge1', ip: '192.0.2.2/24'}]},
      ...(withC2 ? [{name: 'c2', on: [{bridge: 'bridge1', ip: '192.0.2.3/24'}]}] : []),
    ],
    dockerBridges: ['docker0', 'bridge1'],
    // The userland proxy is on by default (the docs' noproxy variant turns it off).
    proxies: [{namespace: 'host', proto: 'tcp', address: '0.0.0.0', port: 8080, to: {address: '192.0.2.2', port: 80}}],
  }
}

const CLIENT: Query['from'] = {kind: 'client', interface: 'eth0', address: '203.0.113.50'}

type MobyCase = [
  what: string,
  from: Query['from'],
  to: string,
  port: number | 'icmp',
  verdict: 'allow' | 'deny',
  decided: string,
]

const PORTMAP: Record<'28' | '29', MobyCase[]> = {
  '28': [
    ['a client to the published port', CLIENT, '203.0.113.1', 8080, 'allow', 'host filter DOCKER#1 ACCEPT'],
    ['a client straight to the container: raw drop', CLIENT, '192.0.2.2', 80, 'deny', 'host raw PREROUTING#1 DROP'],
    [
      'another network straight to the container: raw drop',
      ns('c0'),
      '192.0.2.2',
      80,
      'deny',
      'host raw PREROUTING#1 DROP',
    ],
    // 28 still RETURNs from nat DOCKER for traffic from a bridge: docker-proxy takes it.
    [
      'another network to the published port, by the proxy',
      ns('c0'),
      '203.0.113.1',
      8080,
      'allow',
      'host filter INPUT policy ACCEPT',
    ],
    [
      'the container to another network',
      ns('c1'),
      '172.17.0.2',
      80,
      'deny',
      'host filter DOCKER-ISOLATION-STAGE-2#2 DROP',
    ],
    [
      'the container to the world (masqueraded)',
      ns('c1'),
      '203.0.113.99',
      443,
      'allow',
      'host filter DOCKER-FORWARD#5 ACCEPT',
    ],
    ['the host to the container', ns('host'), '192.0.2.2', 81, 'allow', 'container.c1 filter INPUT policy ACCEPT'],
  ],
  '29': [
    ['a client to the published port', CLIENT, '203.0.113.1', 8080, 'allow', 'host filter DOCKER#1 ACCEPT'],
    ['a client straight to the container: raw drop', CLIENT, '192.0.2.2', 80, 'deny', 'host raw PREROUTING#1 DROP'],
    [
      'another network straight to the container: raw drop',
      ns('c0'),
      '192.0.2.2',
      80,
      'deny',
      'host raw PREROUTING#1 DROP',
    ],
    // No isolation chains in 29: the per-port accept in DOCKER lets another network in through the published port.
    ['another network to the published port', ns('c0'), '203.0.113.1', 8080, 'allow', 'host filter DOCKER#1 ACCEPT'],
    ['the container to another network', ns('c1'), '172.17.0.2', 80, 'deny', 'host filter DOCKER#2 DROP'],
    [
      'the container to the world (masqueraded)',
      ns('c1'),
      '203.0.113.99',
      443,
      'allow',
      'host filter DOCKER-FORWARD#5 ACCEPT',
    ],
    ['the host to the container', ns('host'), '192.0.2.2', 81, 'allow', 'container.c1 filter INPUT policy ACCEPT'],
  ],
}

const ROUTED: Record<'28' | '29', MobyCase[]> = {
  '28': [
    ['a client straight to the published port', CLIENT, '192.0.2.2', 80, 'allow', 'host filter DOCKER#1 ACCEPT'],
    ['a client to an unpublished port', CLIENT, '192.0.2.2', 81, 'deny', 'host filter DOCKER#4 DROP'],
    ['a client pings the container', CLIENT, '192.0.2.2', 'icmp', 'allow', 'host filter DOCKER#3 ACCEPT'],
  ],
  '29': [
    ['a client straight to the published port', CLIENT, '192.0.2.2', 80, 'allow', 'host filter DOCKER#1 ACCEPT'],
    ['a client to an unpublished port', CLIENT, '192.0.2.2', 81, 'deny', 'host filter DOCKER#4 DROP'],
    ['a client pings the container', CLIENT, '192.0.2.2', 'icmp', 'allow', 'host filter DOCKER#3 ACCEPT'],
  ],
}

const NOICC: Record<'28' | '29', MobyCase[]> = {
  '28': [
    ['a neighbour on the icc=false network', ns('c1'), '192.0.2.3', 80, 'deny', 'host filter DOCKER-FORWARD#5 DROP'],
  ],
  '29': [
    ['a neighbour on the icc=false network', ns('c1'), '192.0.2.3', 80, 'deny', 'host filter DOCKER-FORWARD#5 DROP'],
  ],
}

describe.each([
  ['28', 'moby-28.5.2'],
  ['29', 'moby-29'],
] as const)('Docker %s as moby documents it', (version, dir) => {
  const run = (file: string, cases: MobyCase[], withC2 = false) => {
    const e = new Explainer(buildHost(mobyHost(`${dir}/${file}`, withC2)))
    for (const [what, from, to, port, verdict, decided] of cases) {
      const r = e.explain(port === 'icmp' ? {from, to, proto: 'icmp'} : {from, to, proto: 'tcp', port})
      expect(r.verdict, `${what}\n${stepsText(r)}`).toBe(verdict)
      expect(decisionText(r.decidedBy), what).toBe(decided)
    }
  }
  it('usernet-portmap: a published port, the raw table guarding the container', () => {
    run('usernet-portmap.iptables', PORTMAP[version])
  })
  it('usernet-portmap-routed: gateway mode routed', () => {
    run('usernet-portmap-routed.iptables', ROUTED[version])
  })
  it('usernet-portmap-noicc: icc=false', () => {
    run('usernet-portmap-noicc.iptables', NOICC[version], true)
  })
})
