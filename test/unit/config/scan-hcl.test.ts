import {describe, expect, it} from 'vitest'

import {scanHcl} from '../../../src/config/scan-hcl.js'

const pos = (src: string): Record<string, string> =>
  Object.fromEntries([...scanHcl(src)].map(([k, p]) => [k, `${p.line}:${p.column}`]))

describe('scanHcl', () => {
  it('records nested labeled and unlabeled blocks and their attributes', () => {
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
    expect(pos(src)).toEqual({
      container: '1:1',
      'container.lb': '1:1',
      'container.lb.name': '2:3',
      'container.lb.network': '3:3',
      'container.lb.network.frontend': '3:3',
      'container.lb.network.frontend.ipv4_address': '4:5',
      'container.lb.network.frontend.aliases': '5:5',
      'container.lb.network.frontend.aliases[0]': '5:21',
      'container.lb.network.frontend.aliases[1]': '5:27',
      'container.lb.route': '7:3',
      'container.lb.route[0]': '7:3',
      'container.lb.route[0].destination': '8:5',
      'container.lb.route[1]': '10:3',
      'container.lb.route[1].via': '10:11',
    })
  })

  it('skips comments, strings with braces and interpolations, and heredocs', () => {
    const src = [
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
    ].join('\n')
    expect(pos(src)).toEqual({
      rule: '4:9',
      'rule.a': '4:9',
      'rule.a.description': '5:3',
      'rule.a.text': '6:3',
      'rule.a.port': '10:3',
    })
  })

  it('records object keys (quoted ones in brackets) and list items spread over lines', () => {
    const src = [
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
    ].join('\n')
    expect(pos(src)).toMatchObject({
      'network.n.labels.team': '2:14',
      'network.n.labels["a.b"]': '2:28',
      'network.n.options["com.docker.network.bridge.name"]': '4:5',
      'network.n.ports[0]': '7:5',
      'network.n.ports[1]': '8:5',
    })
  })

  it('gives a repeated label its occurrence index and extra labels their own segment', () => {
    expect(pos('rule "x" {}\nrule "x" {}\nrule "a" "b" {}\nfirewall {}\nfirewall {}\n')).toEqual({
      rule: '1:1',
      'rule.x': '1:1',
      'rule.x[1]': '2:1',
      'rule.a': '3:1',
      'rule.a.b': '3:1',
      firewall: '4:1',
      'firewall[0]': '4:1',
      'firewall[1]': '5:1',
    })
  })
})
