// The text and JSON forms of an answer, on a captured Docker 20.10 host (nft).
import {describe, expect, it} from 'vitest'

import {Explainer, type Answer, type Query} from '../../../src/explain/index.js'
import {explainJson, renderExplainText, type ExplainView} from '../../../src/ui/index.js'
import {loadCapture} from '../explain/build.js'

const {host} = loadCapture('docker-20.10-nft')
const explainer = new Explainer(host)

function view(query: Query, labels: [string, string], extra: Partial<ExplainView> = {}): ExplainView {
  const result = explainer.explain(query)
  const answer: Answer = {verdict: result.verdict, flows: [{fromLabel: labels[0], toLabel: labels[1], query, result}]}
  return {
    from: labels[0],
    to: labels[1],
    proto: query.proto,
    port: query.port!,
    planned: false,
    answer,
    warnings: [],
    ...extra,
  }
}

describe('renderExplainText', () => {
  it('a denied flow: the verdict, the deciding rule with its owner, the path namespace by namespace', () => {
    const text = renderExplainText(
      view({from: {kind: 'namespace', namespace: 'container.db'}, to: '10.31.1.10', proto: 'tcp', port: 80}, [
        'container.db',
        'container.web',
      ]),
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe('deny: container.db -> container.web, tcp port 80')
    expect(text).toMatch(
      /^decided by host filter DOCKER-ISOLATION-STAGE-2 rule \d+ \(Docker\): DROP\n {2}-A DOCKER-ISOLATION-STAGE-2 -o br-\S+ -j DROP$/m,
    )
    expect(text).toContain('first packet: 10.31.2.30:40000 -> 10.31.1.10:80 tcp [SYN]')
    // In order: the source's namespace, then the host's chains, the jump nested under its rule.
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l))
    expect(at(/^ {2}container\.db: sent$/)).toBeGreaterThan(0)
    expect(at(/^ {2}host: received on br-/)).toBeGreaterThan(at(/^ {2}container\.db: sent$/))
    expect(at(/^ {4}filter FORWARD$/)).toBeGreaterThan(at(/^ {2}host: received on br-/))
    expect(lines).toContain('      #1 -A FORWARD -j DOCKER-USER  -> jump DOCKER-USER  [Docker]')
    expect(lines).toContain('        #1 -A DOCKER-USER -j RETURN  -> RETURN  [Docker]')
    expect(lines.at(-2)).toMatch(/^ {2}=> dropped: host filter DOCKER-ISOLATION-STAGE-2 rule \d+ \(Docker\): DROP$/)
  })

  it('an allowed flow shows the reply and the next packet; --planned says what was played', () => {
    const text = renderExplainText(
      view(
        {from: {kind: 'namespace', namespace: 'container.api'}, to: '10.31.1.10', proto: 'tcp', port: 80},
        ['api', 'web'],
        {planned: true, plannedNote: {transactions: 2, skipped: ['container.gone'], dockerChanges: 1}},
      ),
    )
    expect(text.split('\n').slice(0, 4)).toEqual([
      'allow: api -> web, tcp port 80 (as planned)',
      'as planned: 2 iptables transactions of the plan played onto the rules read',
      '  1 Docker change (networks, attachments) not applied: Docker is evaluated as it is',
      '  not running, their planned rules left out: container.gone',
    ])
    expect(text).toContain('reply: 10.31.1.10:80 -> 10.31.1.20:40000 tcp [SYN,ACK]')
    expect(text).toContain("client's next packet: 10.31.1.20:40000 -> 10.31.1.10:80 tcp [ACK]")
    expect(text).toContain('  => delivered in container.web')
  })
})

describe('explainJson', () => {
  it('the question, the verdict and each flow with snake_case keys', () => {
    const json = explainJson(
      view({from: {kind: 'namespace', namespace: 'container.db'}, to: '10.31.1.10', proto: 'tcp', port: 80}, [
        'container.db',
        'container.web',
      ]),
    ) as {format_version: string; question: object; verdict: string; flows: Array<Record<string, unknown>>}
    expect(json.format_version).toBe('1.0')
    expect(json.question).toEqual({from: 'container.db', to: 'container.web', proto: 'tcp', port: 80, planned: false})
    expect(json.verdict).toBe('deny')
    expect(Object.keys(json.flows[0]!)).toEqual(
      expect.arrayContaining(['from', 'to', 'query', 'verdict', 'decided_by', 'traces', 'unmodelled']),
    )
    expect(JSON.stringify(json)).not.toMatch(/"[a-z]+[A-Z]\w*":/)
  })
})
