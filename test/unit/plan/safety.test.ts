import {describe, expect, it} from 'vitest'

import {makePlan} from '../../../src/plan/planner.js'
import {checkSshLockout, parseSshConnection} from '../../../src/plan/safety.js'
import {toDot, toMermaid} from '../../../src/plan/graph.js'
import {actual, cidr, model, rule, namespace} from './builders.js'

const ssh = parseSshConnection('203.0.113.7 51234 198.51.100.1 22')!
const planFor = (m: ReturnType<typeof model>) =>
  makePlan(
    {model: m, actual: actual({namespaces: [namespace('host', {})]}), prior: null},
    {mode: 'normal', targets: [], dockwallVersion: 't'},
  ).plan

describe('SSH lockout guard', () => {
  it('parses SSH_CONNECTION and ignores garbage', () => {
    expect(ssh).toEqual({clientIp: '203.0.113.7', serverIp: '198.51.100.1', serverPort: 22})
    expect(parseSshConnection('nonsense')).toBeUndefined()
    expect(parseSshConnection(undefined)).toBeUndefined()
  })

  it('accepts input_policy = drop with SSH kept open', () => {
    expect(
      checkSshLockout(planFor(model({firewall: {forwardPolicy: 'docker', inputPolicy: 'drop', sshPort: 22}})), ssh),
    ).toEqual([])
  })

  it('finds that new SSH connections are refused when allow_ssh = false, while the current one survives', () => {
    const findings = checkSshLockout(
      planFor(model({firewall: {forwardPolicy: 'docker', inputPolicy: 'drop', sshPort: null}})),
      ssh,
    )
    expect(findings.map((f) => f.state)).toEqual(['NEW'])
  })

  it("finds an explicit input drop of the operator's address that cuts the current session", () => {
    const m = model({rules: [rule('block', {chain: 'input', from: [cidr('203.0.113.0/24')], action: 'drop'})]})
    expect(checkSshLockout(planFor(m), ssh).map((f) => f.state)).toEqual(['ESTABLISHED', 'NEW'])
  })

  it('ignores drops that do not match the session', () => {
    const m = model({
      rules: [
        rule('block', {chain: 'input', from: [cidr('10.0.0.0/8')], action: 'drop'}),
        rule('web', {chain: 'input', proto: 'tcp', ports: [{from: 80, to: 80}], action: 'drop'}),
      ],
    })
    expect(checkSshLockout(planFor(m), ssh)).toEqual([])
  })
})

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
