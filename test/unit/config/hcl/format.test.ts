// dockwall fmt's layout: the same spacing and alignment as terraform fmt, blank lines
// normalised; idempotent and meaning-preserving on generated configurations.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {formatHcl} from '../../../../src/config/hcl/format.js'
import {parseHcl} from '../../../../src/config/hcl/parser.js'
import {bodyToJson} from '../../../../src/config/hcl/to-json.js'
import {hclFile} from './gen.js'

/** The JSON form, with expressions kept as text compared without their spaces (all fmt may change there). */
function meaning(src: string): string {
  const r = parseHcl(src)
  const errors = [...r.errors]
  const json = bodyToJson(src, r.body, errors)
  expect(errors).toEqual([])
  return JSON.stringify(json, (_, v: unknown) =>
    typeof v === 'string' && v.startsWith('${') ? v.replace(/\s+(?=(?:[^"]*"[^"]*")*[^"]*$)/g, '') : v,
  )
}

describe('formatHcl', () => {
  it('indents, spaces and aligns as terraform fmt does, and keeps comments where they are', () => {
    const src = [
      '# top comment',
      'network "frontend"   {',
      'subnet="172.18.103.0/24"',
      '  gateway = "172.18.103.1" # gw',
      '',
      '',
      '',
      '  labels={ team="web", b = [1,2 , 3] }',
      '  x = f( 1 , -2 )',
      '  y = a[0].b',
      '  v = [for x in y: x*2]',
      '}',
      'container "lb" {',
      '',
      '  network "frontend" {',
      '    aliases      = ["lb"]',
      '  }',
      '  text = <<EOT',
      '  keep   this',
      ' EOT',
      '}',
      '// c',
      'rule "a" { port = 1 }',
      'rule "b" {}',
      '',
      '',
    ].join('\n')
    expect(formatHcl(src)).toBe(
      [
        '# top comment',
        'network "frontend" {',
        '  subnet  = "172.18.103.0/24"',
        '  gateway = "172.18.103.1" # gw',
        '',
        '  labels = { team = "web", b = [1, 2, 3] }',
        '  x      = f(1, -2)',
        '  y      = a[0].b',
        '  v      = [for x in y : x * 2]',
        '}',
        '',
        'container "lb" {',
        '  network "frontend" {',
        '    aliases = ["lb"]',
        '  }',
        '  text = <<EOT',
        '  keep   this',
        ' EOT',
        '}',
        '',
        '// c',
        'rule "a" { port = 1 }',
        '',
        'rule "b" {}',
        '',
      ].join('\n'),
    )
  })

  it('aligns a multi-line value with the attributes before it, and starts a new group after it', () => {
    const src =
      'network "n" {\n  subnet = "10.0.0.0/24"\n  labels = {\n    team = "web"\n    env = "prod"\n  }\n  internal = false\n}\n'
    expect(formatHcl(src)).toBe(
      'network "n" {\n  subnet = "10.0.0.0/24"\n  labels = {\n    team = "web"\n    env  = "prod"\n  }\n  internal = false\n}\n',
    )
  })

  it('is idempotent and never changes the meaning (generated configurations)', () => {
    fc.assert(
      fc.property(hclFile({heredocs: true}), (src) => {
        const once = formatHcl(src)
        expect(formatHcl(once), once).toBe(once)
        expect(meaning(once), once).toBe(meaning(src))
      }),
      {numRuns: 300},
    )
  })
})
