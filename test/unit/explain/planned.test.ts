// A plan's restore input played onto the rules read (explain --planned, dockwall test):
// iptables-restore --noflush's semantics, and the answer that changes with it.
import {describe, expect, it} from 'vitest'

import {applyRestoreInput, Explainer, plannedHost, PlannedRestoreError} from '../../../src/explain/index.js'
import {parseRuleset, writeRuleset} from '../../../src/netfilter/index.js'
import {buildHost} from './build.js'

const DUMP = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
:DOCKWALL-FORWARD - [0:0]
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j DOCKWALL-FORWARD
-A DOCKER-USER -j RETURN
-A DOCKWALL-FORWARD -s 10.0.0.9/32 -j ACCEPT
COMMIT
`

const rules = (text: string) => parseRuleset(text, {family: 'ipv4'})

function chainLines(text: string, input: string): string[] {
  return writeRuleset(applyRestoreInput(rules(text), input, 'ipv4'))
    .split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':'))
}

describe('applyRestoreInput', () => {
  it("declaring an owned chain replaces its rules; the others' stay; the input is not changed", () => {
    const before = rules(DUMP)
    const after = applyRestoreInput(
      before,
      `*filter\n:DOCKWALL-FORWARD - [0:0]\n-A DOCKWALL-FORWARD -s 10.0.0.1/32 -j DROP\n-A DOCKWALL-FORWARD -s 10.0.0.2/32 -j ACCEPT\nCOMMIT\n`,
      'ipv4',
    )
    expect(writeRuleset(after)).toContain(
      '-A DOCKWALL-FORWARD -s 10.0.0.1/32 -j DROP\n-A DOCKWALL-FORWARD -s 10.0.0.2/32 -j ACCEPT\n',
    )
    expect(writeRuleset(after)).not.toContain('10.0.0.9')
    expect(writeRuleset(after)).toContain('-A DOCKER-USER -j RETURN')
    expect(writeRuleset(before)).toContain('10.0.0.9')
  })

  it('a built-in chain declared keeps its rules and takes the policy given (`-` keeps it)', () => {
    expect(chainLines(DUMP, `*filter\n:FORWARD - [0:0]\n:INPUT DROP [0:0]\nCOMMIT\n`)).toEqual(
      expect.arrayContaining([':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', '-A FORWARD -j DOCKER-USER']),
    )
  })

  it('-I at a position, -D of the same rule, -X of an empty chain, a new table', () => {
    const out = chainLines(
      DUMP,
      [
        '*filter',
        ':DOCKWALL-INPUT - [0:0]',
        '-I INPUT 1 -j DOCKWALL-INPUT',
        '-I DOCKER-USER 2 -s 10.1.0.0/16 -j DROP',
        '-D DOCKER-USER -j DOCKWALL-FORWARD',
        ':DOCKWALL-FORWARD - [0:0]',
        '-X DOCKWALL-FORWARD',
        'COMMIT',
        '*raw',
        ':PREROUTING ACCEPT [0:0]',
        '-A PREROUTING -d 10.2.0.1/32 -j ACCEPT',
        'COMMIT',
      ].join('\n'),
    )
    expect(out.filter((l) => l.includes('DOCKER-USER') || l.includes('INPUT'))).toEqual([
      ':INPUT ACCEPT [0:0]',
      ':DOCKER-USER - [0:0]',
      ':DOCKWALL-INPUT - [0:0]',
      '-A INPUT -j DOCKWALL-INPUT',
      '-A FORWARD -j DOCKER-USER',
      '-A DOCKER-USER -s 10.1.0.0/16 -j DROP',
      '-A DOCKER-USER -j RETURN',
    ])
    expect(out).not.toContain(':DOCKWALL-FORWARD - [0:0]')
    expect(out).toContain('-A PREROUTING -d 10.2.0.1/32 -j ACCEPT')
  })

  it.each([
    ['-D of a rule that is not there', '*filter\n-D DOCKER-USER -j ACCEPT\nCOMMIT\n'],
    ['-X of a chain with rules', '*filter\n-X DOCKER-USER\nCOMMIT\n'],
    ['a chain that does not exist', '*filter\n-A NOPE -j ACCEPT\nCOMMIT\n'],
    ['no COMMIT', '*filter\n-A FORWARD -j ACCEPT\n'],
  ])('refuses %s, as iptables-restore would', (_, input) => {
    expect(() => applyRestoreInput(rules(DUMP), input, 'ipv4')).toThrow(PlannedRestoreError)
  })
})

describe('plannedHost', () => {
  const host = buildHost({
    rules: DUMP,
    nets: [
      {bridge: 'br-a', gateway: '10.0.0.1/24'},
      {bridge: 'br-b', gateway: '10.0.1.1/24'},
    ],
    ctrs: [
      {name: 'a', on: [{bridge: 'br-a', ip: '10.0.0.5/24'}]},
      {name: 'b', on: [{bridge: 'br-b', ip: '10.0.1.5/24'}]},
    ],
  })
  const ask = (h: typeof host) =>
    new Explainer(h).explain({
      from: {kind: 'namespace', namespace: 'container.a'},
      to: '10.0.1.5',
      proto: 'tcp',
      port: 80,
    })

  it('answers for the host after the plan; a namespace that is not running is reported, not guessed', () => {
    expect(ask(host).verdict).toBe('deny')
    const {host: planned, skipped} = plannedHost(host, [
      {
        namespace: 'host',
        family: 'ipv4',
        input: [
          '*filter',
          ':DOCKWALL-FORWARD - [0:0]',
          '-A DOCKWALL-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-A DOCKWALL-FORWARD -s 10.0.0.5/32 -d 10.0.1.5/32 -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.a_to_b -j ACCEPT',
          'COMMIT',
        ].join('\n'),
      },
      {namespace: 'container.gone', family: 'ipv4', input: '*filter\nCOMMIT\n'},
    ])
    const r = ask(planned)
    expect(r.verdict).toBe('allow')
    expect(r.decidedBy).toMatchObject({kind: 'rule', rule: {owner: {kind: 'dockwall', address: 'rule.a_to_b'}}})
    expect(skipped).toEqual(['container.gone'])
    // The host read is left as it was.
    expect(ask(host).verdict).toBe('deny')
  })
})
