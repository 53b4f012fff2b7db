// Import IDs: the grammar of what `dockwall import ADDRESS ID` and `import { id }` accept.
import {describe, expect, it} from 'vitest'

import {
  formatImportId,
  type ImportId,
  importKindOf,
  locateRule,
  parseImportId,
  type RuleImportId,
} from '../../../src/import/id.js'
import {namespaceFrom} from './helpers.js'

describe('importKindOf', () => {
  it.each([
    ['network.frontend', 'network'],
    ['container.lb.network.frontend', 'attachment'],
    ['rule.web_http', 'rule'],
    ['port_forward.wg0', 'port_forward'],
    ['masquerade.out', 'masquerade'],
    ['container.lb', undefined],
    ['firewall', undefined],
  ])('%s → %s', (address, kind) => {
    expect(importKindOf(address)).toBe(kind)
  })
})

describe('parseImportId and formatImportId', () => {
  const cases: Array<[Parameters<typeof parseImportId>[0], string, ImportId]> = [
    ['network', 'frontend', {kind: 'network', network: 'frontend'}],
    ['network', '3f2a9c1d0b7e', {kind: 'network', network: '3f2a9c1d0b7e'}],
    [
      'attachment',
      'smarthost_loadbalancer/frontend',
      {kind: 'attachment', container: 'smarthost_loadbalancer', network: 'frontend'},
    ],
    [
      'rule',
      'DOCKER-USER:-s 10.0.0.0/8 -d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT',
      {
        kind: 'rule',
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKER-USER',
        selector: {by: 'text', spec: '-s 10.0.0.0/8 -d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT'},
      },
    ],
    [
      'rule',
      'FORWARD:#3',
      {
        kind: 'rule',
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'FORWARD',
        selector: {by: 'position', position: 3},
      },
    ],
    [
      'rule',
      'container.lb/INPUT:-p udp -m udp --dport 53 -j DROP',
      {
        kind: 'rule',
        namespace: 'container.lb',
        family: 'ipv4',
        table: 'filter',
        chain: 'INPUT',
        selector: {by: 'text', spec: '-p udp -m udp --dport 53 -j DROP'},
      },
    ],
    [
      'port_forward',
      'PREROUTING:-i wg0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.103.2:80',
      {
        kind: 'port_forward',
        namespace: 'host',
        family: 'ipv4',
        table: 'nat',
        chain: 'PREROUTING',
        selector: {by: 'text', spec: '-i wg0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.103.2:80'},
      },
    ],
    [
      'port_forward',
      'container.lb/PREROUTING:#1',
      {
        kind: 'port_forward',
        namespace: 'container.lb',
        family: 'ipv4',
        table: 'nat',
        chain: 'PREROUTING',
        selector: {by: 'position', position: 1},
      },
    ],
    [
      'masquerade',
      'POSTROUTING:-s 10.8.0.0/24 -o eth0 -j MASQUERADE',
      {
        kind: 'masquerade',
        namespace: 'host',
        family: 'ipv4',
        table: 'nat',
        chain: 'POSTROUTING',
        selector: {by: 'text', spec: '-s 10.8.0.0/24 -o eth0 -j MASQUERADE'},
      },
    ],
    // nat OUTPUT and user chains name their table
    [
      'port_forward',
      'nat:OUTPUT:#2',
      {
        kind: 'port_forward',
        namespace: 'host',
        family: 'ipv4',
        table: 'nat',
        chain: 'OUTPUT',
        selector: {by: 'position', position: 2},
      },
    ],
    [
      'rule',
      'filter:MYNET:-i br-x -j DROP',
      {
        kind: 'rule',
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'MYNET',
        selector: {by: 'text', spec: '-i br-x -j DROP'},
      },
    ],
    [
      'rule',
      'container.lb/filter:MYNET:#1',
      {
        kind: 'rule',
        namespace: 'container.lb',
        family: 'ipv4',
        table: 'filter',
        chain: 'MYNET',
        selector: {by: 'position', position: 1},
      },
    ],
    // IPv6: implied by the addresses of the text, said with ipv6: for a position or a text without any.
    [
      'rule',
      'DOCKER-USER:-s 2001:db8::/32 -d fd00::2/128 -p tcp -m tcp --dport 80 -j ACCEPT',
      {
        kind: 'rule',
        namespace: 'host',
        family: 'ipv6',
        table: 'filter',
        chain: 'DOCKER-USER',
        selector: {by: 'text', spec: '-s 2001:db8::/32 -d fd00::2/128 -p tcp -m tcp --dport 80 -j ACCEPT'},
      },
    ],
    [
      'rule',
      'container.lb/ipv6:INPUT:#2',
      {
        kind: 'rule',
        namespace: 'container.lb',
        family: 'ipv6',
        table: 'filter',
        chain: 'INPUT',
        selector: {by: 'position', position: 2},
      },
    ],
    [
      'port_forward',
      'ipv6:PREROUTING:-i eth0 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::2]:80',
      {
        kind: 'port_forward',
        namespace: 'host',
        family: 'ipv6',
        table: 'nat',
        chain: 'PREROUTING',
        selector: {by: 'text', spec: '-i eth0 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::2]:80'},
      },
    ],
  ]
  it.each(cases)('%s %s', (kind, text, id) => {
    expect(parseImportId(kind, text)).toEqual({ok: true, id})
    expect(formatImportId(id)).toBe(text)
  })

  it('keeps colons inside the rule text (DNAT targets, port ranges)', () => {
    const r = parseImportId('rule', 'FORWARD:-p tcp -m tcp --dport 8000:8100 -j ACCEPT')
    expect(r).toMatchObject({
      ok: true,
      id: {chain: 'FORWARD', selector: {by: 'text', spec: '-p tcp -m tcp --dport 8000:8100 -j ACCEPT'}},
    })
  })

  it('writes the table prefix only when the chain does not imply it', () => {
    expect(
      formatImportId({
        kind: 'rule',
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'OUTPUT',
        selector: {by: 'position', position: 1},
      }),
    ).toBe('OUTPUT:#1')
    expect(
      formatImportId({
        kind: 'port_forward',
        namespace: 'host',
        family: 'ipv4',
        table: 'nat',
        chain: 'OUTPUT',
        selector: {by: 'position', position: 1},
      }),
    ).toBe('nat:OUTPUT:#1')
  })

  it.each([
    ['network', '', /empty/],
    ['network', 'a/b', /not a Docker network/],
    ['attachment', 'lb', /CONTAINER\/NETWORK/],
    ['attachment', 'a/b/c', /CONTAINER\/NETWORK/],
    ['rule', 'DOCKER-USER', /CHAIN:RULE-TEXT/],
    ['rule', 'MYNET:-j DROP', /not implied; write filter:MYNET/],
    ['rule', 'PREROUTING:-j DNAT --to-destination 1.2.3.4', /rule lives in the filter table/],
    ['masquerade', 'FORWARD:#1', /masquerade lives in the nat table/],
    ['rule', 'FORWARD:#0', /not a rule position/],
    ['rule', 'FORWARD:#x', /not a rule position/],
    ['rule', 'FORWARD:', /empty/],
    ['rule', 'FORWARD:-A FORWARD -j DROP', /leave out "-A CHAIN"/],
    ['rule', 'nat', /CHAIN:RULE-TEXT/],
    ['rule', 'ipv4:INPUT:-s fd00::/8 -j DROP', /has IPv6 addresses, but ipv4: is given/],
  ] as const)('%s %j is refused', (kind, text, message) => {
    const r = parseImportId(kind, text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(message)
  })
})

describe('locateRule', () => {
  const ns = [
    namespaceFrom(
      'host',
      `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
-A DOCKER-USER -s 10.0.0.0/8 -d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-USER -j DROP
-A DOCKER-USER -j DROP
COMMIT
`,
    ),
  ]
  const id = (text: string): RuleImportId => {
    const r = parseImportId('rule', text)
    if (!r.ok) throw new Error(r.error)
    return r.id as RuleImportId
  }

  it('finds a rule written loosely, by its normal form', () => {
    expect(locateRule(id('DOCKER-USER:-p tcp --dport 80 -s 10.0.0.0/8 -d 172.18.0.2 -j ACCEPT'), ns)).toEqual({
      ok: true,
      index: 0,
    })
  })

  it('finds a rule by position', () => {
    expect(locateRule(id('DOCKER-USER:#3'), ns)).toEqual({ok: true, index: 2})
    expect(locateRule(id('DOCKER-USER:#4'), ns)).toMatchObject({ok: false, error: expect.stringMatching(/has 3 rule/)})
  })

  it('asks for a position when the text matches twice', () => {
    expect(locateRule(id('DOCKER-USER:-j DROP'), ns)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/#2, #3.*position/),
    })
  })

  it('says what is missing', () => {
    expect(locateRule(id('DOCKER-USER:-j REJECT'), ns)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no rule/),
    })
    expect(locateRule(id('container.lb/INPUT:#1'), ns)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/container.lb was not read/),
    })
    expect(locateRule(id('filter:MYNET:#1'), ns)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/does not exist/),
    })
  })
})
