import {describe, expect, it} from 'vitest'

import {checkAssertions, EndpointResolver, Explainer} from '../../../src/explain/index.js'
import type {AssertSpec} from '../../../src/model/types.js'
import {assertionsJson, renderAssertionsText, renderPlan} from '../../../src/ui/index.js'
import {capturedTypical} from '../explain/build.js'
import {fixturePlan} from './fixtures.js'

const {host, directory} = capturedTypical()
const results = checkAssertions(
  [
    {
      address: 'assert.api_reaches_web',
      label: 'api_reaches_web',
      from: {kind: 'container', container: 'api'},
      to: {kind: 'container', container: 'web'},
      proto: 'tcp',
      port: 80,
      expect: 'allow',
      at: {file: 'main.hcl', line: 3, column: 1},
    },
    {
      address: 'assert.db_reaches_web',
      label: 'db_reaches_web',
      from: {kind: 'container', container: 'db'},
      to: {kind: 'container', container: 'web'},
      proto: 'tcp',
      port: 80,
      expect: 'allow',
      description: 'the app reads the cache',
      at: {file: 'main.hcl', line: 11, column: 1},
    },
  ] satisfies AssertSpec[],
  {explainer: new Explainer(host), resolver: new EndpointResolver(host, directory)},
)

describe('renderAssertionsText', () => {
  it('one line each; under a failing one, where it is, why, and the rule that decided', () => {
    const lines = renderAssertionsText(results).split('\n')
    expect(lines.slice(0, 6)).toEqual([
      'Assertions (on the host as planned): 1 pass, 1 fails',
      '  pass assert.api_reaches_web: container.api -> container.web tcp/80: allow, as expected',
      '  FAIL assert.db_reaches_web: container.db -> container.web tcp/80: deny, expected allow (main.hcl:11)',
      '       the app reads the cache',
      '       decided by host raw PREROUTING rule 1 (Docker): DROP',
      '         -A PREROUTING -d 10.31.1.10/32 ! -i br-32e6122eb1f5 -j DROP',
    ])
  })

  it("with paths (dockwall test): the failing one's packets, namespace by namespace", () => {
    const text = renderAssertionsText(results, {paths: true})
    expect(text).toContain('       container.db -> container.web (10.31.1.10 on front)')
    expect(text).toContain('       first packet: 10.31.2.30:40000 -> 10.31.1.10:80 tcp [SYN]')
    expect(text).toContain('         container.db: sent')
    expect(text.match(/decided by/g)).toHaveLength(1)
  })
})

describe('assertionsJson', () => {
  it('the result of each, with where it is written', () => {
    const [pass, fail] = assertionsJson(results) as Array<Record<string, unknown>>
    expect(pass).toMatchObject({address: 'assert.api_reaches_web', expect: 'allow', pass: true, verdict: 'allow'})
    expect(fail).toMatchObject({
      address: 'assert.db_reaches_web',
      file: 'main.hcl',
      line: 11,
      pass: false,
      verdict: 'deny',
      flows: [{from: 'container.db', verdict: 'deny', decided_by: {kind: 'rule'}}],
    })
  })
})

describe('renderPlan with assertions', () => {
  it('text: the results under the changes; JSON: `assertions`; without any, the plan as it was', () => {
    const plan = fixturePlan()
    const bare = renderPlan(plan)
    const text = renderPlan(plan, {assertions: results})
    expect(text.startsWith(bare)).toBe(true)
    expect(text.slice(bare.length)).toBe(`\n${renderAssertionsText(results)}`)
    expect(renderPlan(plan, {assertions: []})).toBe(bare)

    const json = JSON.parse(renderPlan(plan, {format: 'json', assertions: results})) as Record<string, unknown>
    expect(json.format_version).toBe('1.4')
    expect(json.assertions).toEqual(JSON.parse(JSON.stringify(assertionsJson(results))))
    expect(JSON.parse(renderPlan(plan, {format: 'json'}))).not.toHaveProperty('assertions')
  })
})
