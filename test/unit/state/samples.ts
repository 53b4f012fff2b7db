// Sample resources and states, shared by the tests and their child processes (so no vitest here).
import {newState, putResource} from '../../../src/state/resources.js'
import type {State, StateResource} from '../../../src/state/types.js'

export function network(label: string, extra: Partial<StateResource> = {}): StateResource {
  return {
    address: `network.${label}`,
    type: 'network',
    ids: {network_id: `id-${label}`},
    origin: 'created',
    attributes: {name: label, subnet: '172.18.0.0/24', internal: false, labels: {team: 'web'}},
    ...extra,
  }
}

export function rule(label: string, extra: Partial<StateResource> = {}): StateResource {
  return {
    address: `rule.${label}`,
    type: 'rule',
    ids: {},
    attributes: {
      chain: 'forward',
      action: 'accept',
      ports: [
        {from: 80, to: 80},
        {from: 443, to: 443},
      ],
      priority: 100,
    },
    lines: [
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKWALL-FORWARD',
        spec: `-s 172.18.0.2/32 -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.${label} -j ACCEPT`,
      },
    ],
    ...extra,
  }
}

export function sampleState(resources: StateResource[] = [network('frontend'), rule('web'), rule('ssh')]): State {
  let s = newState('0.1.0')
  for (const r of resources) s = putResource(s, r)
  return s
}
