// The log line formats: logfmt text and JSON, and the one-line reconciliation record.
import {describe, expect, it} from 'vitest'

import {createLogger, formatRecord, groupTriggers, reconcileRecord, triggerText} from '../../../src/watch/log.js'
import type {ReconcileReport, Trigger} from '../../../src/watch/types.js'

const T0 = Date.UTC(2026, 10, 23, 17, 50, 13, 404)

const triggers: Trigger[] = [
  {kind: 'docker', detail: 'container die web', at: T0 - 500},
  {kind: 'docker', detail: 'network connect front', at: T0 - 450},
  {kind: 'docker', detail: 'container die web', at: T0 - 400},
  {kind: 'config', detail: 'main.hcl', at: T0 - 300},
]

function report(over: Partial<ReconcileReport> = {}): ReconcileReport {
  return {
    seq: 7,
    triggers,
    startedAt: T0 - 63,
    finishedAt: T0,
    durationMs: 63,
    result: 'applied',
    counts: {add: 2, change: 0, destroy: 0, deferred: 1, drift: 1, failed: 0},
    addresses: ['chain["container.web:DOCKWALL-PREROUTING"]', 'port_forward.web_inside'],
    config: {state: 'ok'},
    ...over,
  }
}

describe('watch log', () => {
  it('groups triggers by kind in arrival order with distinct details', () => {
    expect(groupTriggers(triggers)).toEqual([
      {kind: 'docker', count: 3, details: ['container die web', 'network connect front']},
      {kind: 'config', count: 1, details: ['main.hcl']},
    ])
    expect(triggerText(triggers)).toBe('docker(container die web; network connect front),config(main.hcl)')
    expect(triggerText([{kind: 'interval', at: 0}])).toBe('interval')
  })

  it('prints a reconciliation as ONE logfmt line', () => {
    const line = formatRecord(reconcileRecord(report()), 'text')
    expect(line).toBe(
      'time=2026-11-23T17:50:13.404Z level=info msg=reconcile seq=7 ' +
        'trigger="docker(container die web; network connect front),config(main.hcl)" result=applied ' +
        'add=2 change=0 destroy=0 deferred=1 drift=1 failed=0 duration_ms=63 ' +
        'addresses="chain[\\"container.web:DOCKWALL-PREROUTING\\"],port_forward.web_inside"',
    )
    expect(line).not.toContain('\n')
  })

  it('an assertion that turned false makes the line a warning and names it', () => {
    const line = formatRecord(
      reconcileRecord(
        report({
          result: 'unchanged',
          assertions: {failing: ['assert.a', 'assert.b'], turnedFalse: ['assert.b'], turnedTrue: []},
        }),
      ),
      'text',
    )
    expect(line).toMatch(/^time=\S+ level=warn msg=reconcile /)
    expect(line).toContain(' assertions_failing=assert.a,assert.b assertions_turned_false=assert.b')
    expect(line).not.toContain('assertions_turned_true')
    // Without assert blocks the line is as it was.
    expect(formatRecord(reconcileRecord(report()), 'text')).not.toContain('assertions')
  })

  it('prints the same reconciliation as one JSON object with structured triggers', () => {
    const line = formatRecord(reconcileRecord(report(), 'json'), 'json')
    expect(JSON.parse(line)).toEqual({
      time: '2026-11-23T17:50:13.404Z',
      level: 'info',
      msg: 'reconcile',
      seq: 7,
      triggers: [
        {kind: 'docker', count: 3, details: ['container die web', 'network connect front']},
        {kind: 'config', count: 1, details: ['main.hcl']},
      ],
      result: 'applied',
      add: 2,
      change: 0,
      destroy: 0,
      deferred: 1,
      drift: 1,
      failed: 0,
      duration_ms: 63,
      addresses: ['chain["container.web:DOCKWALL-PREROUTING"]', 'port_forward.web_inside'],
    })
  })

  it('marks a failure as an error with its message, and an invalid configuration with its position', () => {
    const failed = formatRecord(
      reconcileRecord(report({result: 'failed', error: 'Cannot connect to the Docker Engine', addresses: []})),
      'text',
    )
    expect(failed).toMatch(
      /^time=\S+ level=error msg=reconcile seq=7 .* result=failed .* addresses="" error="Cannot connect to the Docker Engine"$/,
    )
    const invalid = reconcileRecord(
      report({result: 'unchanged', config: {state: 'invalid', error: 'cfg/main.hcl:3:12: Invalid expression'}}),
      'json',
    )
    expect(invalid).toMatchObject({
      level: 'warn',
      config: 'invalid',
      config_error: 'cfg/main.hcl:3:12: Invalid expression',
    })
  })

  it('shows at most 20 addresses in text, all of them in JSON', () => {
    const addresses = Array.from({length: 25}, (_, i) => `rule.r${String(i).padStart(2, '0')}`)
    const text = reconcileRecord(report({addresses}))
    expect(text.addresses).toHaveLength(21)
    expect((text.addresses as string[]).at(-1)).toBe('(+5 more)')
    expect(reconcileRecord(report({addresses}), 'json').addresses).toHaveLength(25)
  })

  it('quotes logfmt values only when needed', () => {
    const rec = {
      time: 't',
      level: 'info' as const,
      msg: 'x',
      a: 'plain',
      b: 'with space',
      c: 'a=b',
      d: '',
      e: 3,
      f: true,
      g: null,
      h: undefined,
      i: ['x', 'y'],
    }
    expect(formatRecord(rec, 'text')).toBe(
      'time=t level=info msg=x a=plain b="with space" c="a=b" d="" e=3 f=true g="" i=x,y',
    )
    expect(JSON.parse(formatRecord(rec, 'json'))).not.toHaveProperty('h')
  })

  it("writes whole lines through the logger, with the clock's time", () => {
    const out: string[] = []
    const logger = createLogger(
      'text',
      (l) => void out.push(l),
      () => T0,
    )
    logger.log('warn', 'docker-events', {state: 'disconnected', error: 'ECONNREFUSED', retry_in_ms: 250})
    logger.reconcile(report())
    expect(out[0]).toBe(
      'time=2026-11-23T17:50:13.404Z level=warn msg=docker-events state=disconnected error=ECONNREFUSED retry_in_ms=250\n',
    )
    expect(out[1]).toMatch(/^time=.* msg=reconcile seq=7 .*\n$/)
  })
})
