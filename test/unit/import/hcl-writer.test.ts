// The HCL writer: escaping, terraform-fmt-like layout, and text the config loader reads back.
import {describe, expect, it} from 'vitest'

import {attribute, block, quoteHcl, ref, writeHcl} from '../../../src/import/hcl-writer.js'
import {loadHcl} from './tmp.js'

describe('quoteHcl', () => {
  it.each([
    ['plain', '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\dir', '"C:\\\\dir"'],
    ['two\nlines', '"two\\nlines"'],
    ['tab\there', '"tab\\there"'],
    ['cr\r', '"cr\\r"'],
    ['bell\u0007', '"bell\\u0007"'],
    ['a ${var.x} b', '"a $${var.x} b"'],
    ['a %{if} b', '"a %%{if} b"'],
    ['cost $5 and 100%', '"cost $5 and 100%"'],
    ['$${', '"$$${"'],
  ])('%j → %s', (input, expected) => {
    expect(quoteHcl(input)).toBe(expected)
  })
})

describe('writeHcl', () => {
  it('aligns the = of consecutive attributes, like terraform fmt', () => {
    // Given a block whose attributes have names of different lengths, a map, a nested block
    const text = writeHcl({
      items: [
        block(
          'network',
          ['frontend'],
          [
            attribute('subnet', '172.18.103.0/24'),
            attribute('gateway', '172.18.103.1'),
            attribute('internal', false),
            attribute('labels', {team: 'web', 'com.example.owner': 'ops'}),
            attribute('options', {}),
          ],
        ),
        block(
          'container',
          ['lb'],
          [
            attribute('name', 'smarthost_loadbalancer'),
            block(
              'network',
              ['frontend'],
              [attribute('ipv4_address', '172.18.103.2'), attribute('aliases', ['lb', 'proxy'])],
            ),
            block('network', ['backend'], []),
          ],
          ['the load balancer'],
        ),
      ],
    })
    // Then: two-space indent, aligned runs, quoted map keys only where needed, a blank line between top-level blocks
    expect(text).toBe(`network "frontend" {
  subnet   = "172.18.103.0/24"
  gateway  = "172.18.103.1"
  internal = false
  labels   = {
    team                = "web"
    "com.example.owner" = "ops"
  }
  options = {}
}

# the load balancer
container "lb" {
  name = "smarthost_loadbalancer"
  network "frontend" {
    ipv4_address = "172.18.103.2"
    aliases      = ["lb", "proxy"]
  }
  network "backend" {}
}
`)
  })

  it('writes references bare, comments above, a header, and long lists one item a line', () => {
    const ports = Array.from({length: 30}, (_, i) => 8000 + i)
    const text = writeHcl({
      header: ['Generated.', '', 'Second paragraph\nsplit'],
      items: [
        block(
          'rule',
          ['r'],
          [
            attribute('from', [ref('container.a'), ref('network.b'), '10.0.0.0/8']),
            attribute('to', ref('container.lb'), ['where it goes']),
            attribute('ports', ports),
            attribute('priority', 10),
          ],
        ),
        block('firewall', [], [attribute('forward_policy', 'docker')]),
      ],
    })
    expect(text).toBe(`# Generated.
#
# Second paragraph
# split

rule "r" {
  from = [container.a, network.b, "10.0.0.0/8"]
  # where it goes
  to    = container.lb
  ports = [
${ports.map((p) => `    ${p},`).join('\n')}
  ]
  priority = 10
}

firewall {
  forward_policy = "docker"
}
`)
  })

  it('refuses names that are not identifiers instead of mangling them', () => {
    expect(() => writeHcl({items: [attribute('bad name', 1)]})).toThrow(/identifier/)
    expect(() => writeHcl({items: [block('a.b', [], [])]})).toThrow(/identifier/)
    expect(() => ref('container."x"')).toThrow(/reference/)
    expect(() => writeHcl({items: [attribute('n', Number.NaN)]})).toThrow(/number/)
  })

  it('is loaded by the config loader into the expected model', async () => {
    // Given every block type, references in lists, and strings that need escaping
    const text = writeHcl({
      header: ['round trip'],
      items: [
        block(
          'network',
          ['front-end'],
          [
            attribute('name', 'front.end'),
            attribute('subnet', '172.18.103.0/24'),
            attribute('gateway', '172.18.103.1'),
            attribute('labels', {'com.example/quote': 'say "hi" \\ bye', multi: 'a\nb\tc'}),
            attribute('options', {'com.docker.network.bridge.name': 'br-front'}),
          ],
        ),
        block(
          'container',
          ['lb'],
          [
            attribute('name', 'smarthost_loadbalancer'),
            block('network', ['front-end'], [attribute('ipv4_address', '172.18.103.2'), attribute('aliases', ['lb'])]),
          ],
        ),
        block('container', ['web'], []),
        block(
          'rule',
          ['web_to_lb'],
          [
            attribute('from', [ref('container.web'), '10.0.0.0/8']),
            attribute('to', ref('container.lb')),
            attribute('proto', 'tcp'),
            attribute('ports', [80, '8000-8100']),
            attribute('action', 'drop'),
            attribute('priority', 20),
            attribute('in_interface', 'veth+'),
            attribute('description', 'quotes " and \\ and 100% of $5'),
          ],
        ),
        block(
          'port_forward',
          ['wg0_http'],
          [
            attribute('in_interface', 'wg0'),
            attribute('proto', 'tcp'),
            attribute('port', 80),
            attribute('to', ref('container.lb')),
            attribute('to_port', 8080),
          ],
        ),
        block(
          'masquerade',
          ['out'],
          [attribute('source', ref('network.front-end')), attribute('out_interface', 'eth0')],
        ),
        block(
          'import',
          [],
          [
            attribute('to', ref('rule.web_to_lb')),
            attribute('id', 'DOCKER-USER:-s 10.0.0.0/8 -m comment --comment "a b" -j DROP'),
          ],
        ),
        block(
          'import',
          [],
          [attribute('to', ref('container.lb.network.front-end')), attribute('id', 'smarthost_loadbalancer/front.end')],
        ),
      ],
    })
    // When the loader reads it
    const r = await loadHcl(text)
    // Then there are no diagnostics and the model says what the tree said
    expect(r.diagnostics).toEqual([])
    const m = r.model!
    expect(m.networks[0]).toMatchObject({
      label: 'front-end',
      name: 'front.end',
      labels: {'com.example/quote': 'say "hi" \\ bye', multi: 'a\nb\tc'},
      options: {'com.docker.network.bridge.name': 'br-front'},
    })
    expect(
      m.containers.map((c) => [c.label, c.name, c.attachments.map((a) => [a.network, a.ipv4Address, a.aliases])]),
    ).toEqual([
      ['lb', 'smarthost_loadbalancer', [['front-end', '172.18.103.2', ['lb']]]],
      ['web', 'web', []],
    ])
    expect(m.rules[0]).toMatchObject({
      from: [
        {kind: 'container', container: 'web'},
        {kind: 'cidr', cidr: '10.0.0.0/8', family: 'ipv4'},
      ],
      to: [{kind: 'container', container: 'lb'}],
      proto: 'tcp',
      ports: [
        {from: 80, to: 80},
        {from: 8000, to: 8100},
      ],
      action: 'drop',
      priority: 20,
      inInterface: 'veth+',
      description: 'quotes " and \\ and 100% of $5',
    })
    expect(m.portForwards[0]).toMatchObject({
      inInterface: 'wg0',
      port: 80,
      toPort: 8080,
      to: {kind: 'container', container: 'lb'},
    })
    expect(m.masquerades[0]).toMatchObject({source: {kind: 'network', network: 'front-end'}, outInterface: 'eth0'})
    expect(m.imports.map((i) => [i.to, i.id])).toEqual([
      ['rule.web_to_lb', 'DOCKER-USER:-s 10.0.0.0/8 -m comment --comment "a b" -j DROP'],
      ['container.lb.network.front-end', 'smarthost_loadbalancer/front.end'],
    ])
  })

  // The writer escapes it as `$${` (HCL's spec), and the parser keeps the escape in the
  // JSON form, so the loader does not evaluate it.
  it('keeps a literal ${ through the loader', async () => {
    const r = await loadHcl(writeHcl({items: [block('rule', ['r'], [attribute('description', 'costs ${HOME}')])]}))
    expect(r.diagnostics).toEqual([])
    expect(r.model?.rules[0]?.description).toBe('costs ${HOME}')
  })
})
