// A saved plan refused as stale says what moved (issue 15): the host as the plan read it,
// part by part, against the host now.
import {describe, expect, it} from 'vitest'

import {hashActual, hostParts, makePlan, movedParts} from '../../../src/plan/planner.js'
import type {Plan} from '../../../src/plan/types.js'
import type {ActualModel} from '../../../src/refresh/types.js'
import {checkSavedPlan} from '../../../src/services/prepare.js'
import {actual, dockerContainer, dockerHost, dockerNetwork, model, namespace} from './builders.js'

const before = () =>
  actual({
    networks: [dockerNetwork('front', '10.1.0.0/24')],
    containers: [dockerContainer('web', [{network: 'front', ip: '10.1.0.10'}])],
    namespaces: [dockerHost({'DOCKER-USER': ['-j RETURN']})],
  })

describe('the parts of the host a saved plan keeps', () => {
  it('are the same for the same host, and name nothing then', () => {
    expect(movedParts(hostParts(before()), hostParts(before()))).toEqual([])
    expect(Object.keys(hostParts(before()))).toEqual(
      expect.arrayContaining([
        'Docker network front',
        'container web',
        'the iptables filter table of host',
        'the iptables nat table of host',
      ]),
    )
  })

  it('name a restarted container (a new process), a table changed by hand, a network gone and one new', () => {
    const then = hostParts(before())
    const now = before()
    now.docker.containers[0] = {...now.docker.containers[0]!, pid: 5151}
    now.namespaces = [dockerHost({'DOCKER-USER': ['-s 10.9.9.9/32 -j DROP', '-j RETURN']})]
    now.docker.networks = [dockerNetwork('back', '10.2.0.0/24')]
    // Whenever a part moved, the whole hash the plan is checked against moved too.
    expect(hashActual(now)).not.toBe(hashActual(before()))
    expect(movedParts(then, hostParts(now))).toEqual([
      'Docker network back (new)',
      'Docker network front (gone)',
      'container web',
      'the iptables filter table of host',
    ])
  })
})

describe('a namespace the plan read differently', () => {
  it('is named when it came, went, or had other families or routes read, even with no table of its own moving', () => {
    const base = before()
    const variants: Array<[string, (a: ActualModel) => void, string[]]> = [
      [
        'a container namespace read now, with no tables',
        (a) => a.namespaces.push({...namespace('container.web', {}), tables: {}}),
        ['the namespace container.web (new)'],
      ],
      [
        "the host's ip6tables not read now",
        (a) => {
          delete a.namespaces[0]!.tables6
        },
        ['the ip6tables filter table of host (gone)', 'the ip6tables nat table of host (gone)', 'the namespace host'],
      ],
      [
        'an empty ip6tables read where none was',
        (a) => a.namespaces.push({...namespace('container.web', {}), tables6: {}}),
        [
          'the iptables filter table of container.web (new)',
          'the iptables nat table of container.web (new)',
          'the namespace container.web (new)',
        ],
      ],
    ]
    for (const [what, change, named] of variants) {
      const now = before()
      change(now)
      expect(hashActual(now), what).not.toBe(hashActual(base))
      expect(movedParts(hostParts(base), hostParts(now)), what).toEqual(named)
    }
    // The container namespace's own case: the same tables, its ip6tables read as empty now.
    const withWeb = before()
    withWeb.namespaces.push(namespace('container.web', {}))
    const now = before()
    now.namespaces.push({...namespace('container.web', {}), tables6: {}})
    expect(hashActual(now)).not.toBe(hashActual(withWeb))
    expect(movedParts(hostParts(withWeb), hostParts(now))).toEqual(['the namespace container.web'])
  })
})

describe('apply PLANFILE refused as stale', () => {
  const plan = (a: ActualModel): Plan => {
    const {plan: p, errors} = makePlan(
      {model: model(), actual: a, prior: null},
      {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'},
    )
    expect(errors).toEqual([])
    return p
  }
  const session = {state: null, statePath: '/nonexistent/state.json'}
  const refusal = (f: () => void): string => {
    try {
      f()
    } catch (e) {
      return (e as Error).message
    }
    return 'not refused'
  }

  it('names the parts that moved when the plan file kept them', () => {
    const then = before()
    const now = before()
    now.docker.containers[0] = {...now.docker.containers[0]!, pid: 5151}
    expect(refusal(() => checkSavedPlan(session, plan(then), now, hostParts(then)))).toContain(
      'the host changed since the plan was made (container web differs), so the saved plan is stale. Nothing was changed',
    )
  })

  it('says what kinds of things differ for a plan file without parts (an earlier dockwall), and passes an unmoved host', () => {
    const then = before()
    const now = before()
    now.namespaces = [dockerHost({'DOCKER-USER': ['-s 10.9.9.9/32 -j DROP', '-j RETURN']})]
    expect(refusal(() => checkSavedPlan(session, plan(then), now))).toContain(
      "the host changed since the plan was made (Docker networks, containers or dockwall's iptables chains differ)",
    )
    expect(refusal(() => checkSavedPlan(session, plan(then), before(), hostParts(then)))).toBe('not refused')
  })
})
