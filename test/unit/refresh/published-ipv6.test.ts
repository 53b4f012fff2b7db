// Published ports Docker's userland proxy serves over IPv6 to a container's IPv4 address
// (src/refresh/published.ts): shown by `show --actual` and noted by the plan with the
// container they lead to and what decides them (the host's input rules, not forward rules).
import {describe, expect, it} from 'vitest'

import type {DockerProxy} from '../../../src/docker/proxies.js'
import {makePlan, type PlanInputs} from '../../../src/plan/planner.js'
import {publishedOverIpv6} from '../../../src/refresh/published.js'
import type {ActualModel} from '../../../src/refresh/types.js'
import {actualToJson, renderActualText} from '../../../src/ui/index.js'
import {actual, ANY, dockerContainer, dockerNetwork, model, rule} from '../plan/builders.js'

const proxy = (address: string, port: number, to: string, toPort = 80): DockerProxy => ({
  namespace: 'host',
  proto: 'tcp',
  address,
  port,
  to: {address: to, port: toPort},
})

/** A host with an IPv4-only container published on 8080 (both families) and a dual-stack one on 8443. */
function host(): ActualModel {
  return {
    ...actual({
      networks: [dockerNetwork('plain', '10.9.0.0/24')],
      containers: [
        dockerContainer('web', [{network: 'plain', ip: '10.9.0.2'}]),
        dockerContainer('api', [{network: 'dual', ip: '10.9.1.2', ip6: 'fd00:9:1::2'}]),
      ],
    }),
    proxies: [
      proxy('0.0.0.0', 8080, '10.9.0.2'),
      proxy('::', 8080, '10.9.0.2'),
      // Relayed to an IPv6 address: Docker's ip6tables DNAT carries outside clients through FORWARD.
      proxy('::', 8443, 'fd00:9:1::2', 443),
      proxy('0.0.0.0', 8443, '10.9.1.2', 443),
      // A proxy to an address no container has (it went away mid-refresh).
      proxy('fd00:1::5', 9000, '10.9.0.99', 9000),
    ],
  }
}

describe('published ports reachable over IPv6', () => {
  it('are the IPv6 listeners that relay to an IPv4 address, with the container they lead to', () => {
    expect(publishedOverIpv6(host())).toEqual([
      {proto: 'tcp', address: '::', port: 8080, container: 'web', to: {address: '10.9.0.2', port: 80}},
      {proto: 'tcp', address: 'fd00:1::5', port: 9000, container: null, to: {address: '10.9.0.99', port: 9000}},
    ])
  })

  it('none without proxies (dockerd with --userland-proxy=false, or a refresh that did not read them)', () => {
    expect(publishedOverIpv6({...host(), proxies: []})).toEqual([])
    const {proxies: _, ...without} = host()
    expect(publishedOverIpv6(without)).toEqual([])
  })

  it('show --actual lists them, in JSON and as text', () => {
    expect(actualToJson(host()).published_over_ipv6).toEqual([
      {proto: 'tcp', address: '::', port: 8080, container: 'web', to_address: '10.9.0.2', to_port: 80},
      {proto: 'tcp', address: 'fd00:1::5', port: 9000, container: null, to_address: '10.9.0.99', to_port: 9000},
    ])
    const text = renderActualText(host())
    expect(text).toContain(
      "\nPublished ports reachable over IPv6 (Docker's userland proxy: the host's INPUT decides, not FORWARD or DOCKER-USER):\n" +
        '  tcp [::]:8080 -> container web (10.9.0.2:80)\n' +
        '  tcp [fd00:1::5]:9000 -> 10.9.0.99:9000\n',
    )
    expect(renderActualText({...host(), proxies: []})).not.toContain('over IPv6')
  })
})

describe('the plan notes them', () => {
  const warningOf = (inputs: Partial<PlanInputs>) => {
    const {plan} = makePlan(
      {model: model(), actual: host(), prior: null, ...inputs},
      {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'},
    )
    return plan.warnings.find((w) => w.summary.includes('over IPv6'))
  }

  it('as open when nothing on the host input side decides', () => {
    const w = warningOf({})
    expect(w?.severity).toBe('warning')
    expect(w?.summary).toBe(
      "2 published ports are reachable over IPv6 through Docker's userland proxy, where forward rules do not apply",
    )
    expect(w?.detail?.split('\n').slice(0, 2)).toEqual([
      'tcp [::]:8080 -> container web (10.9.0.2:80): open',
      'tcp [fd00:1::5]:9000 -> 10.9.0.99:9000: open',
    ])
    expect(w?.detail).toContain("through the host's INPUT chain,\nnever FORWARD or DOCKER-USER")
  })

  it('as closed by input_policy = "drop", or decided by the first input rule that covers the port', () => {
    const w = warningOf({
      model: model({
        firewall: {forwardPolicy: 'docker', inputPolicy: 'drop', sshPort: 22},
        rules: [
          // A forward rule never decides it; an IPv4-only input rule does not either.
          rule('fwd', {ports: [{from: 8080, to: 8080}], proto: 'tcp'}),
          rule('v4', {chain: 'input', family: 'ipv4', ports: [{from: 9000, to: 9000}], proto: 'tcp'}),
          rule('web', {chain: 'input', from: [ANY], ports: [{from: 8000, to: 8100}], proto: 'tcp', priority: 20}),
          rule('block', {chain: 'input', ports: [{from: 8080, to: 8080}], proto: 'tcp', action: 'drop', priority: 10}),
        ],
      }),
    })
    expect(w?.detail?.split('\n').slice(0, 2)).toEqual([
      'tcp [::]:8080 -> container web (10.9.0.2:80): closed by rule.block',
      'tcp [fd00:1::5]:9000 -> 10.9.0.99:9000: closed by input_policy = "drop"',
    ])
  })

  it('not at all when there are none', () => {
    expect(warningOf({actual: {...host(), proxies: []}})).toBeUndefined()
  })
})
