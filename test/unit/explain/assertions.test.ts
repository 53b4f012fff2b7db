// Assertions answered by the evaluator on a captured Docker 28.5 host: pass, fail,
// cannot be answered; as planned and now.
import {describe, expect, it} from 'vitest'

import {
  brokenByPlan,
  checkAssertions,
  EndpointResolver,
  Explainer,
  failingAssertions,
  plannedHost,
  type AssertionHost,
} from '../../../src/explain/index.js'
import type {AssertSpec} from '../../../src/model/types.js'
import {capturedTypical} from './build.js'

const {host, directory} = capturedTypical()
const now: AssertionHost = {explainer: new Explainer(host), resolver: new EndpointResolver(host, directory)}

function assertion(label: string, parts: Partial<AssertSpec>): AssertSpec {
  return {
    address: `assert.${label}`,
    label,
    from: {kind: 'container', container: 'db'},
    to: {kind: 'container', container: 'frontend_web'},
    proto: 'tcp',
    port: 80,
    expect: 'allow',
    at: {file: 'main.hcl', line: 3, column: 1},
    ...parts,
  }
}

const ASSERTS = [
  assertion('api_reaches_web', {from: {kind: 'container', container: 'api'}}),
  assertion('db_reaches_web', {}),
  assertion('db_isolated', {expect: 'deny'}),
  assertion('from_stopped', {from: {kind: 'container', container: 'stopped'}}),
  assertion('client_publish', {
    from: {kind: 'cidr', cidr: '198.18.0.0/24', family: 'ipv4'},
    to: {kind: 'host'},
    port: 8080,
  }),
]

describe('checkAssertions', () => {
  it('passes, fails, or cannot be answered, each with the question as written', () => {
    const r = checkAssertions(ASSERTS, now)
    expect(r.map((x) => [x.address, x.question, x.planned.kind, x.planned.pass])).toEqual([
      ['assert.api_reaches_web', 'container.api -> container.frontend_web tcp/80', 'answered', true],
      ['assert.db_reaches_web', 'container.db -> container.frontend_web tcp/80', 'answered', false],
      ['assert.db_isolated', 'container.db -> container.frontend_web tcp/80', 'answered', true],
      ['assert.from_stopped', 'container.stopped -> container.frontend_web tcp/80', 'error', false],
      ['assert.client_publish', '198.18.0.0/24 -> host tcp/8080', 'answered', true],
    ])
    expect(r[3]?.planned).toMatchObject({error: expect.stringContaining('container stopped is not running')})
    expect(failingAssertions(r).map((x) => x.address)).toEqual(['assert.db_reaches_web', 'assert.from_stopped'])
  })

  it('as planned and now: a plan that opens db -> web breaks db_isolated, which held', () => {
    const opened = plannedHost(host, [
      {
        namespace: 'host',
        family: 'ipv4',
        input: [
          '*raw',
          '-I PREROUTING 1 -s 10.31.2.30/32 -d 10.31.1.10/32 -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.db_web -j ACCEPT',
          'COMMIT',
          '*filter',
          '-I DOCKER-USER 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-I DOCKER-USER 2 -s 10.31.2.30/32 -d 10.31.1.10/32 -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.db_web -j ACCEPT',
          'COMMIT',
        ].join('\n'),
      },
    ]).host
    const planned: AssertionHost = {
      explainer: new Explainer(opened),
      resolver: new EndpointResolver(opened, directory),
    }
    const r = checkAssertions(ASSERTS.slice(0, 3), planned, now)
    expect(r.map((x) => [x.address, x.planned.pass, x.now?.pass])).toEqual([
      ['assert.api_reaches_web', true, true],
      ['assert.db_reaches_web', true, false],
      ['assert.db_isolated', false, true],
    ])
    expect(brokenByPlan(r).map((x) => x.address)).toEqual(['assert.db_isolated'])
    const decided = r[2]?.planned.kind === 'answered' ? r[2].planned.answer.flows[0]?.result.decidedBy : undefined
    expect(decided).toMatchObject({kind: 'rule', rule: {owner: {kind: 'dockwall', address: 'rule.db_web'}}})
  })
})
