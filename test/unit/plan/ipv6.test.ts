// IPv6 in the planner: networks and attachments with IPv6 settings (the Docker side).
import {describe, expect, it} from 'vitest'

import {makePlan, type PlanInputs, type PlanOptions} from '../../../src/plan/planner.js'
import type {Change, Plan} from '../../../src/plan/types.js'
import type {PriorState} from '../../../src/model/resources.js'
import {actual, attachment, container, dockerContainer, dockerNetwork, model, network} from './builders.js'

const opts: PlanOptions = {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'}

function plan(inputs: PlanInputs): Plan {
  const {plan: p, errors} = makePlan(inputs, opts)
  expect(errors).toEqual([])
  return p
}

function change(p: Plan, address: string): Change {
  const found = p.changes.find((x) => x.address === address)
  if (!found) throw new Error(`no change for ${address}; have ${p.changes.map((x) => x.address).join(', ')}`)
  return found
}

const dual = network('front', '10.50.1.0/24', {ipv6: {subnet: 'fd00:50:1::/64', gateway: 'fd00:50:1::1'}})
const dockerDual = dockerNetwork('front', '10.50.1.0/24', {
  enableIPv6: true,
  subnets6: [{subnet: 'fd00:50:1::/64', gateway: 'fd00:50:1::1'}],
})

describe('IPv6 networks', () => {
  it('creates a dual-stack network with its IPv6 settings', () => {
    const p = plan({model: model({networks: [dual]}), actual: actual(), prior: null})
    expect(change(p, 'network.front')).toMatchObject({
      action: 'create',
      after: {ipv6: true, ipv6_subnet: 'fd00:50:1::/64', ipv6_gateway: 'fd00:50:1::1', ipv6_ip_range: null},
    })
  })

  it('adopts a matching network, and lets Docker choose what the configuration leaves out', () => {
    const chosen = network('front', '10.50.1.0/24', {ipv6: {}})
    for (const m of [dual, chosen]) {
      const p = plan({model: model({networks: [m]}), actual: actual({networks: [dockerDual]}), prior: null})
      expect(change(p, 'network.front').action).toBe('no-op')
    }
  })

  it('replaces a managed network when IPv6 is turned on or its IPv6 subnet changes', () => {
    const prior: PriorState = {
      serial: 1,
      lineage: 'L',
      resources: [
        {address: 'network.front', type: 'network', ids: {id: 'id-front', origin: 'created'}, attributes: {}},
      ],
    }
    const v4only = dockerNetwork('front', '10.50.1.0/24')
    const p = plan({model: model({networks: [dual]}), actual: actual({networks: [v4only]}), prior})
    expect(change(p, 'network.front')).toMatchObject({action: 'replace'})
    expect(change(p, 'network.front').reasons).toEqual([
      'ipv6: false → true (forces replacement: Docker networks cannot be changed in place)',
      'ipv6_subnet: null → "fd00:50:1::/64" (forces replacement: Docker networks cannot be changed in place)',
      'ipv6_gateway: null → "fd00:50:1::1" (forces replacement: Docker networks cannot be changed in place)',
    ])
    const moved = dockerNetwork('front', '10.50.1.0/24', {enableIPv6: true, subnets6: [{subnet: 'fd00:99::/64'}]})
    const q = plan({model: model({networks: [dual]}), actual: actual({networks: [moved]}), prior})
    expect(change(q, 'network.front').reasons[0]).toBe(
      'ipv6_subnet: "fd00:99::/64" → "fd00:50:1::/64" (forces replacement: Docker networks cannot be changed in place)',
    )
  })
})

describe('IPv6 attachments', () => {
  const m = model({
    networks: [dual],
    containers: [container('web', [{...attachment('web', 'front', '10.50.1.10'), ipv6Address: 'fd00:50:1::10'}])],
  })
  const withV6 = (static6: string | undefined, current6: string) => {
    const c = dockerContainer('web', [{network: 'front', ip: '10.50.1.10', static: true}])
    c.endpoints[0] = {
      ...c.endpoints[0]!,
      ipv6Address: current6,
      ...(static6 ? {staticIpv6Address: static6} : {}),
    }
    return c
  }

  it('keeps a container connected with its static IPv6 address', () => {
    const p = plan({
      model: m,
      actual: actual({networks: [dockerDual], containers: [withV6('fd00:50:1::10', 'fd00:50:1::10')]}),
      prior: null,
    })
    expect(change(p, 'container.web.network.front')).toMatchObject({
      action: 'no-op',
      after: {ipv4_address: '10.50.1.10', ipv6_address: 'fd00:50:1::10'},
    })
  })

  it('reconnects a container whose IPv6 address is not the declared static one', () => {
    const p = plan({
      model: m,
      actual: actual({networks: [dockerDual], containers: [withV6(undefined, 'fd00:50:1::2')]}),
      prior: null,
    })
    expect(change(p, 'container.web.network.front')).toMatchObject({
      action: 'replace',
      reasons: ['static IPv6 address: none → fd00:50:1::10 (forces reconnection)'],
    })
  })
})
