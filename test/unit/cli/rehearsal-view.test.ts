// How `dockwall test --rehearse` reports (src/cli/test-flow.ts): each assertion by the real
// packets beside explain's prediction, its flows, what was not reproduced, and a summary;
// the JSON form carries the same data.
import {describe, expect, it} from 'vitest'

import {rehearsalJson, renderRehearsal} from '../../../src/cli/test-flow.js'
import type {AssertionOutcome} from '../../../src/explain/index.js'
import type {RehearsalReport} from '../../../src/services/rehearse.js'

const predictedAllow: AssertionOutcome = {
  kind: 'answered',
  verdict: 'allow',
  pass: true,
  answer: {verdict: 'allow', flows: []},
}

function report(): RehearsalReport {
  return {
    engine: 'Docker 20.10.24, nft',
    hostEngine: 'Docker 20.10.24',
    networks: 2,
    containers: 3,
    notReproduced: ["1 rule in the host's iptables filter DOCKER-USER that neither Docker nor dockwall wrote"],
    pass: false,
    assertions: [
      {
        address: 'assert.db_reaches_web',
        question: 'container.db -> container.web tcp/80',
        expect: 'allow',
        predicted: predictedAllow,
        verdict: 'allow',
        flows: [
          {
            from: 'container.rh-db',
            to: 'container.rh-web (10.44.1.10 on rh-front)',
            connected: true,
            answeredBy: 'container.rh-web:80',
          },
        ],
        pass: true,
        agrees: true,
      },
      {
        address: 'assert.db_isolated',
        question: 'container.db -> container.web tcp/80',
        expect: 'deny',
        predicted: {...predictedAllow, pass: false},
        verdict: 'deny',
        flows: [{from: 'container.rh-db', to: 'container.rh-web (10.44.1.10 on rh-front)', connected: false}],
        pass: true,
        agrees: false,
      },
      {
        address: 'assert.udp',
        question: 'container.db -> container.web udp/53',
        expect: 'allow',
        predicted: predictedAllow,
        flows: [
          {
            from: 'container.rh-db',
            to: 'container.rh-web (10.44.1.10 on rh-front)',
            connected: false,
            notTried: 'udp: the stand-ins answer tcp and icmp only',
          },
        ],
        pass: false,
        agrees: false,
      },
    ],
  }
}

describe('renderRehearsal', () => {
  it('shows each assertion by the real packets beside the prediction, its flows, and what was not reproduced', () => {
    expect(renderRehearsal(report())).toBe(
      [
        '',
        'Assertions rehearsed with real packets (Docker 20.10.24, nft; 2 networks, 3 stand-in containers, the plan applied):',
        '  pass assert.db_reaches_web: container.db -> container.web tcp/80: predicted allow, rehearsed allow',
        '       container.rh-db -> container.rh-web (10.44.1.10 on rh-front): connected (container.rh-web:80 answered)',
        '  pass assert.db_isolated: container.db -> container.web tcp/80: predicted allow, rehearsed deny (the prediction was wrong)',
        '       container.rh-db -> container.rh-web (10.44.1.10 on rh-front): no connection',
        '  FAIL assert.udp: container.db -> container.web udp/53: predicted allow, rehearsed not rehearsed, expected allow',
        '       container.rh-db -> container.rh-web (10.44.1.10 on rh-front): not tried: udp: the stand-ins answer tcp and icmp only',
        '',
        'Not reproduced in the rehearsal:',
        "  - 1 rule in the host's iptables filter DOCKER-USER that neither Docker nor dockwall wrote",
        '',
        '3 assertions rehearsed: 2 pass, 1 fails; the prediction differs on 1.',
        '',
      ].join('\n'),
    )
  })

  it('JSON: the same data, snake_case', () => {
    const json = rehearsalJson(report()) as {pass: boolean; assertions: object[]; not_reproduced: string[]}
    expect(json.pass).toBe(false)
    expect(json.assertions[1]).toEqual({
      address: 'assert.db_isolated',
      question: 'container.db -> container.web tcp/80',
      expect: 'deny',
      pass: true,
      predicted: 'allow',
      rehearsed: 'deny',
      agrees: false,
      flows: [{from: 'container.rh-db', to: 'container.rh-web (10.44.1.10 on rh-front)', connected: false}],
    })
    expect(json.assertions[2]).toMatchObject({rehearsed: null, flows: [{not_tried: expect.stringContaining('udp')}]})
  })
})
