import {describe, expect, it} from 'vitest'

import {type EvalContext, Ref, evaluate, parseReference, parseTemplate} from '../../../src/config/expressions.js'

const ctx: EvalContext = {
  vars: new Map<string, string | number | boolean | Array<string | number | boolean> | undefined>([
    ['lan', '192.168.1.0/24'],
    ['port', 8080],
    ['debug', true],
    ['web_ports', [80, 443]],
    ['unset', undefined],
  ]),
  networks: new Set(['frontend', 'backend']),
  containers: new Set(['lb', 'backend']),
}

describe('parseTemplate', () => {
  it('splits literal text and interpolations; $${ is a literal', () => {
    expect(parseTemplate('a-${var.x}-b')).toEqual([{lit: 'a-'}, {expr: 'var.x'}, {lit: '-b'}])
    expect(parseTemplate('$${not} ${var.x}')).toEqual([{lit: '${not} '}, {expr: 'var.x'}])
    expect(parseTemplate('${f("}")}')).toEqual([{expr: 'f("}")'}])
    expect(parseTemplate('plain')).toEqual([{lit: 'plain'}])
  })

  it('rejects directives and unclosed interpolations', () => {
    expect(parseTemplate('%{if x}y%{endif}')).toHaveProperty('error')
    expect(parseTemplate('a ${var.x')).toEqual({error: 'unclosed "${" in string'})
  })
})

describe('parseReference', () => {
  it('accepts exactly var.X, network.X and container.X', () => {
    expect(parseReference(' var.lan ')).toEqual({kind: 'var', name: 'lan'})
    expect(parseReference('network.front-end')).toEqual({kind: 'network', name: 'front-end'})
    expect(parseReference('container.lb')).toEqual({kind: 'container', name: 'lb'})
  })

  it('explains what is not supported', () => {
    expect(parseReference('upper("x")')).toEqual({error: expect.stringContaining('function calls are not supported')})
    expect(parseReference('var.a + 1')).toEqual({
      error: expect.stringContaining('operators, conditionals and for expressions are not supported'),
    })
    expect(parseReference('container.lb.name')).toEqual({
      error: 'attribute access is not supported: "container.lb.name"; refer to the whole container (container.lb)',
    })
    expect(parseReference('var.list[0]')).toEqual({
      error: 'unsupported expression "var.list[0]": indexing is not supported',
    })
    expect(parseReference('local.x')).toEqual({error: expect.stringContaining('unsupported reference "local.x"')})
    expect(parseReference('contaner.lb')).toEqual({
      error:
        'unsupported reference "contaner.lb": dockwall knows only var.NAME, network.NAME and container.NAME; did you mean container.lb?',
    })
  })
})

describe('evaluate', () => {
  it('keeps the type of a whole-value variable and keeps references symbolic', () => {
    const r = evaluate(
      {port: '${var.port}', debug: '${var.debug}', to: '${container.lb}', from: '${network.backend}'},
      ctx,
    )
    expect(r.problems).toEqual([])
    expect(r.value).toEqual({
      port: 8080,
      debug: true,
      to: new Ref('container', 'lb'),
      from: new Ref('network', 'backend'),
    })
  })

  it('interpolates variables into strings', () => {
    expect(evaluate('host-${var.port}-${var.debug} on ${var.lan}', ctx).value).toBe('host-8080-true on 192.168.1.0/24')
  })

  it('mixes references and literals in lists and splices list variables', () => {
    const r = evaluate(['${container.lb}', '10.0.0.0/8', '${var.lan}', '${var.web_ports}', 22], ctx)
    expect(r.value).toEqual([new Ref('container', 'lb'), '10.0.0.0/8', '192.168.1.0/24', 80, 443, 22])
  })

  it('reports unknown references with a did-you-mean, at the path of the value', () => {
    const r = evaluate({to: ['10.0.0.1', '${container.lbb}'], from: '${var.lann}', via: '${network.nope}'}, ctx)
    expect(r.problems).toEqual([
      {path: ['to', 1], message: 'reference to undeclared container container.lbb; did you mean container.lb?'},
      {path: ['from'], message: 'reference to undeclared variable var.lann; did you mean var.lan?'},
      {path: ['via'], message: 'reference to undeclared network network.nope (no network block has the label "nope")'},
    ])
    expect(r.failed).toEqual([['to', 1], ['from'], ['via']])
  })

  it('refuses references and lists inside strings', () => {
    expect(evaluate('x-${container.lb}', ctx).problems[0]?.message).toMatch(
      /^container.lb cannot be interpolated into a string/,
    )
    expect(evaluate('x-${var.web_ports}', ctx).problems[0]?.message).toBe(
      'var.web_ports is a list and cannot be interpolated into a string',
    )
  })

  it('marks a variable without a value as failed without a second message', () => {
    const r = evaluate({from: '${var.unset}'}, ctx)
    expect(r.problems).toEqual([])
    expect(r.failed).toEqual([['from']])
    expect(r.value).toEqual({})
  })
})
