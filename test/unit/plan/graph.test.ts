import {describe, expect, it} from 'vitest'

import {makePlan} from '../../../src/plan/planner.js'
import {toDot, toMermaid} from '../../../src/plan/graph.js'
import {actual, model, rule, namespace} from './builders.js'

const planFor = (m: ReturnType<typeof model>) =>
  makePlan(
    {model: m, actual: actual({namespaces: [namespace('host', {})]}), prior: null},
    {mode: 'normal', targets: [], dockwallVersion: 't'},
  ).plan

describe('graph', () => {
  const p = planFor(model({rules: [rule('a')]}))
  it('renders DOT with execution-order edges', () => {
    const dot = toDot(p)
    expect(dot).toContain('digraph dockwall {')
    expect(dot).toContain('"rule.a" [label="+ rule.a", color=darkgreen, fontcolor=darkgreen];')
    expect(dot).toContain('"firewall" -> "rule.a";')
  })
  it('renders Mermaid', () => {
    expect(toMermaid(p)).toMatch(/^flowchart LR\n/)
    expect(toMermaid(p)).toContain('-->')
  })
})
