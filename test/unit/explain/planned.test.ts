// A plan's restore input played onto the rules read (explain --planned, the assertions):
// the answer changes with it (the semantics of the simulation: test/unit/netfilter/restore-sim.test.ts).
import {describe, expect, it} from 'vitest'

import {Explainer, plannedHost} from '../../../src/explain/index.js'
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
    const {
      host: planned,
      skipped,
      failed,
    } = plannedHost(host, [
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
      // Refused by iptables-restore: the table stays as it was, and it is said.
      {namespace: 'container.a', family: 'ipv4', input: '*filter\n-D OUTPUT -j ACCEPT\nCOMMIT\n'},
    ])
    const r = ask(planned)
    expect(r.verdict).toBe('allow')
    expect(r.decidedBy).toMatchObject({kind: 'rule', rule: {owner: {kind: 'dockwall', address: 'rule.a_to_b'}}})
    expect(skipped).toEqual(['container.gone'])
    expect(failed).toEqual([{namespace: 'container.a', table: 'filter', error: expect.stringContaining('-D OUTPUT')}])
    // The host read is left as it was.
    expect(ask(host).verdict).toBe('deny')
  })
})
