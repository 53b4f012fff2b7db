// Positions of blocks, attributes, list items and map keys, in both formats: names for
// messages about a name, values (with their end, for the caret line) for messages about
// a value. The HCL and JSON files here hold the same configuration.
import {describe, expect, it} from 'vitest'

import {parseHclFile} from '../../../src/config/hcl-file.js'
import {parseJsonFile} from '../../../src/config/json-file.js'
import type {Path, PositionIndex} from '../../../src/config/source.js'

function hcl(src: string): PositionIndex {
  const r = parseHclFile('a.hcl', src)
  if (!r.parsed) throw new Error(JSON.stringify(r.diagnostics))
  return r.parsed.positions
}

function json(src: string): PositionIndex {
  const r = parseJsonFile('a.hcl.json', src)
  if (!r.parsed) throw new Error(JSON.stringify(r.diagnostics))
  return r.parsed.positions
}

const at = (p: PositionIndex, path: Path, name = false): string => {
  const pos = name ? p.locateName(path) : p.locate(path)
  return `${pos.line}:${pos.column}${pos.end ? `-${pos.end.line}:${pos.end.column}` : ''}`
}

describe('HCL positions', () => {
  const src = [
    'container "lb" {', //              1
    '  name = "smarthost_lb"', //       2
    '  network "frontend" {', //        3
    '    ipv4_address = "172.18.103.2"', // 4
    '    aliases      = ["lb", "proxy"]', // 5
    '  }', //                           6
    '  route {', //                     7
    '    destination = "10.8.0.0/24"', // 8
    '  }', //                           9
    '  route { via = "172.18.103.1" }', // 10
    '}',
  ].join('\n')

  it('finds nested labeled and unlabeled blocks and their attributes', () => {
    const p = hcl(src)
    expect(at(p, ['container'])).toBe('1:1')
    expect(at(p, ['container', 'lb'])).toBe('1:1')
    expect(at(p, ['container', 'lb', 'name'], true)).toBe('2:3-2:7')
    expect(at(p, ['container', 'lb', 'name'])).toBe('2:10-2:24')
    expect(at(p, ['container', 'lb', 'network', 'frontend'])).toBe('3:3')
    expect(at(p, ['container', 'lb', 'network', 'frontend', 'ipv4_address'], true)).toBe('4:5-4:17')
    expect(at(p, ['container', 'lb', 'network', 'frontend', 'aliases', 0])).toBe('5:21-5:25')
    expect(at(p, ['container', 'lb', 'network', 'frontend', 'aliases', 1])).toBe('5:27-5:34')
    expect(at(p, ['container', 'lb', 'route', 0])).toBe('7:3')
    expect(at(p, ['container', 'lb', 'route', 0, 'destination'], true)).toBe('8:5-8:16')
    expect(at(p, ['container', 'lb', 'route', 1])).toBe('10:3')
    expect(at(p, ['container', 'lb', 'route', 1, 'via'], true)).toBe('10:11-10:14')
    expect(at(p, ['container', 'lb', 'route', 1, 'via'])).toBe('10:17-10:31')
  })

  it('falls back to the nearest ancestor for what is not written', () => {
    const p = hcl(src)
    expect(at(p, ['container', 'lb', 'network', 'frontend', 'missing'])).toBe('3:3')
    expect(p.has(['container', 'lb', 'network', 'frontend', 'missing'])).toBe(false)
    expect(p.has(['container', 'lb', 'route', 1, 'via'])).toBe(true)
    expect(at(p, ['nothing', 'here'])).toBe('1:1')
  })

  it('is not fooled by comments, strings with braces and interpolations, and heredocs', () => {
    const p = hcl(
      [
        '# rule "fake" {', //                               1
        '// x = 1', //                                      2
        '/* network "nope" {', //                           3
        '   } */ rule "a" {', //                            4
        '  description = "}{ ${upper("}")} \\" {"', //      5
        '  text = <<-EOT', //                               6
        '    not_an_attr = 1', //                           7
        '    rule "x" {', //                                8
        '    EOT', //                                       9
        '  port = 80', //                                   10
        '}',
      ].join('\n'),
    )
    expect(at(p, ['rule', 'a'])).toBe('4:9')
    expect(at(p, ['rule', 'a', 'description'], true)).toBe('5:3-5:14')
    expect(at(p, ['rule', 'a', 'text'], true)).toBe('6:3-6:7')
    expect(at(p, ['rule', 'a', 'port'])).toBe('10:10-10:12')
    expect(p.has(['rule', 'x'])).toBe(false)
    expect(p.has(['network', 'nope'])).toBe(false)
  })

  it('finds object keys (quoted ones too) and list items spread over lines', () => {
    const p = hcl(
      [
        'network "n" {',
        '  labels = { team = "web", "a.b" = 1 }',
        '  options = {',
        '    "com.docker.network.bridge.name" = "br0"',
        '  }',
        '  ports = [',
        '    80,',
        '    "8000-8100",',
        '  ]',
        '}',
      ].join('\n'),
    )
    expect(at(p, ['network', 'n', 'labels', 'team'], true)).toBe('2:14-2:18')
    expect(at(p, ['network', 'n', 'labels', 'team'])).toBe('2:21-2:26')
    expect(at(p, ['network', 'n', 'labels', 'a.b'], true)).toBe('2:28-2:33')
    expect(at(p, ['network', 'n', 'options', 'com.docker.network.bridge.name'], true)).toBe('4:5-4:37')
    expect(at(p, ['network', 'n', 'ports', 0])).toBe('7:5-7:7')
    expect(at(p, ['network', 'n', 'ports', 1])).toBe('8:5-8:16')
  })

  it('tells repeated labels apart by occurrence, and follows extra labels', () => {
    const p = hcl('rule "x" {}\nrule "x" {}\nrule "a" "b" {}\nfirewall {}\nfirewall {}\n')
    expect(at(p, ['rule'])).toBe('1:1')
    expect(at(p, ['rule', 'x'])).toBe('1:1')
    expect(at(p, ['rule', 'x', 1])).toBe('2:1')
    expect(at(p, ['rule', 'a'])).toBe('3:1')
    expect(at(p, ['rule', 'a', 'b'])).toBe('3:1')
    expect(at(p, ['firewall'])).toBe('4:1')
    expect(at(p, ['firewall', 0])).toBe('4:1')
    expect(at(p, ['firewall', 1])).toBe('5:1')
  })
})

describe('JSON positions', () => {
  const src = `{
  "container": {
    "lb": {
      "name": "smarthost_lb",
      "network": {"frontend": {"ipv4_address": "172.18.103.2", "aliases": ["lb", "proxy"]}},
      "route": [{"destination": "10.8.0.0/24"}, {"via": "172.18.103.1"}]
    }
  },
  "rule": {"x": [{}, {"port": 80}]},
  "firewall": {"forward_policy": "drop"}
}
`

  it('finds the same paths as in HCL', () => {
    const p = json(src)
    expect(at(p, ['container', 'lb'])).toBe('3:5')
    expect(at(p, ['container', 'lb', 'name'], true)).toBe('4:7-4:13')
    expect(at(p, ['container', 'lb', 'name'])).toBe('4:15-4:29')
    expect(at(p, ['container', 'lb', 'network', 'frontend'])).toBe('5:19')
    expect(at(p, ['container', 'lb', 'network', 'frontend', 'aliases', 1])).toBe('5:82-5:89')
    expect(at(p, ['container', 'lb', 'route', 0])).toBe('6:17')
    expect(at(p, ['container', 'lb', 'route', 1, 'via'], true)).toBe('6:50-6:55')
    expect(at(p, ['rule', 'x'])).toBe('9:12')
    expect(at(p, ['rule', 'x', 1])).toBe('9:22')
    expect(at(p, ['rule', 'x', 1, 'port'])).toBe('9:31-9:33')
    expect(at(p, ['firewall', 0, 'forward_policy'])).toBe('10:34-10:40')
    expect(p.has(['rule', 'x', 2])).toBe(false)
  })

  it('finds a labeled block written as a list at its label, and knows an empty list holds none', () => {
    const p = json('{"rule": {"a": [ ], "b": [\n {"port": 1}], "c": {"port": 2}}}')
    expect(at(p, ['rule', 'a'])).toBe('1:11')
    expect(p.has(['rule', 'a'])).toBe(false)
    expect(at(p, ['rule', 'b'])).toBe('1:21')
    expect(p.has(['rule', 'b'])).toBe(true)
    expect(at(p, ['rule', 'b', 'port'])).toBe('2:11-2:12')
    expect(p.has(['rule', 'c'])).toBe(true)
    expect(p.has(['rule', 'c', 'port'])).toBe(true)
    expect(p.has(['rule', 'c', 'ports'])).toBe(false)
  })
})
