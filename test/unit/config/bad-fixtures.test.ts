// Every bad fixture (fixtures/config/validate-bad-<scenario>/) fails with exactly these
// diagnostics: file, line, column, resource address and message. All problems of a
// configuration are reported, not just the first.
import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'

type Expected = [
  file: string | undefined,
  line: number | undefined,
  column: number | undefined,
  address: string | null,
  summary: string,
]

const cases: Record<string, Expected[]> = {
  'docker-name': [
    [
      'main.hcl',
      2,
      12,
      'network.frontend',
      'network name "-frontend": a Docker network name must start with a letter or digit and contain only letters, digits, "_", "." and "-"',
    ],
    ['main.hcl', 7, 10, 'container.lb', 'container name "l": a Docker container name needs at least two characters'],
    [
      'main.hcl',
      11,
      10,
      'container.web',
      'container name "web/1": a Docker container name must start with a letter or digit and contain only letters, digits, "_", "." and "-"',
    ],
  ],
  'duplicate-ip': [
    [
      'main.hcl',
      13,
      20,
      'container.web.network.frontend',
      'ipv4_address 172.18.103.2 is already assigned to container.lb.network.frontend (at fixtures/config/validate-bad-duplicate-ip/main.hcl:7) on network.frontend',
    ],
  ],
  'duplicate-label': [
    [
      'b.hcl',
      1,
      1,
      'network.frontend',
      'network.frontend is declared twice; the first is at fixtures/config/validate-bad-duplicate-label/a.hcl:1',
    ],
    [
      'b.hcl',
      5,
      1,
      'firewall',
      'a second firewall block; the first is at fixtures/config/validate-bad-duplicate-label/a.hcl:5',
    ],
  ],
  expression: [
    [
      'main.hcl',
      7,
      17,
      'rule.web',
      'unsupported expression "var.base + 10": operators, conditionals and for expressions are not supported; dockwall evaluates only references (var.NAME, network.NAME, container.NAME) and string interpolation',
    ],
    [
      'main.hcl',
      8,
      17,
      'rule.web',
      'unsupported expression "upper("web")": function calls are not supported; dockwall evaluates only references (var.NAME, network.NAME, container.NAME) and string interpolation',
    ],
    [
      'main.hcl',
      13,
      10,
      'rule.ssh',
      'container.lb cannot be interpolated into a string: a container stands for addresses dockwall resolves later; use it as a whole value (container.lb)',
    ],
  ],
  'gateway-outside-subnet': [
    ['main.hcl', 3, 14, 'network.frontend', 'gateway 172.18.1.1 is outside the subnet 172.18.103.0/24'],
    ['main.hcl', 4, 14, 'network.frontend', 'ip_range 172.18.0.0/16 is not inside the subnet 172.18.103.0/24'],
  ],
  import: [
    ['main.hcl', 6, 8, 'import', 'to = network.frontnd: no such resource is declared; did you mean network.frontend?'],
    [
      'main.hcl',
      11,
      8,
      'import',
      'to = "frontend" is not a resource address (network.NAME, container.NAME, container.NAME.network.NAME, rule.NAME, port_forward.NAME, masquerade.NAME)',
    ],
  ],
  'interface-name': [
    [
      'main.hcl',
      2,
      19,
      'rule.wan',
      'in_interface "this-name-is-too-long0": an interface name can have at most 15 characters (Linux IFNAMSIZ; this one has 22)',
    ],
    [
      'main.hcl',
      3,
      19,
      'rule.wan',
      'out_interface "eth0:1": an interface name may contain only letters, digits, "_", ".", "@" and "-" (no "/", ":", spaces or quotes)',
    ],
    [
      'main.hcl',
      7,
      18,
      'port_forward.wg',
      'in_interface "wg 0": an interface name may contain only letters, digits, "_", ".", "@" and "-" (no "/", ":", spaces or quotes)',
    ],
    [
      'main.hcl',
      14,
      19,
      'masquerade.out',
      'out_interface "eth+0": "+" is allowed only at the end of an interface name (as a wildcard)',
    ],
  ],
  'invalid-cidr': [
    ['main.hcl', 2, 12, 'network.frontend', 'subnet: "10.0.0.1/8" has host bits set; did you mean "10.0.0.0/8"?'],
    [
      'main.hcl',
      6,
      12,
      'network.backend',
      'subnet: "172.18.300.0/24" is not a valid IPv4 CIDR (expected a.b.c.d/len with len 0-32)',
    ],
    [
      'main.hcl',
      10,
      10,
      'rule.office',
      'from: "192.168.1.0/33" is not a valid IPv4 CIDR (expected a.b.c.d/len with len 0-32)',
    ],
    ['main.hcl', 11, 10, 'rule.office', 'to: "10.8.0.1/24" has host bits set; did you mean "10.8.0.0/24"?'],
  ],
  'ip-outside-subnet': [
    [
      'main.hcl',
      7,
      20,
      'container.lb.network.frontend',
      'ipv4_address 172.18.104.2 is outside the subnet of network.frontend (172.18.103.0/24)',
    ],
  ],
  'json-semantic': [['main.hcl.json', 5, 7, 'network.frontend', 'unknown field "gatway"; did you mean "gateway"?']],
  'json-syntax': [
    ['main.hcl.json', 5, 5, null, 'Expected a property name in double quotes (JSON allows no trailing comma)'],
  ],
  label: [
    [
      'main.hcl',
      1,
      1,
      'rule.web.http',
      'invalid label "web.http": a label must start with a letter or "_" and contain only letters, digits, "_" and "-"',
    ],
    [
      'main.hcl',
      5,
      1,
      'network.this_label_is_much_too_long_for_a_dockwall_address_comment_because_it_goes_on',
      'invalid label "this_label_is_much_too_long_for_a_dockwall_address_comment_because_it_goes_on": a label can have at most 64 characters (this one has 77)',
    ],
  ],
  'overlapping-subnets': [
    [
      'b.hcl',
      2,
      12,
      'network.backend',
      'subnet 172.18.104.0/24 overlaps network.frontend (172.18.0.0/16, at fixtures/config/validate-bad-overlapping-subnets/a.hcl:1)',
    ],
  ],
  'port-forward': [
    ['main.hcl', 5, 18, 'port_forward.both', 'set only one of in_interface and in_container'],
    [
      'main.hcl',
      9,
      1,
      'port_forward.nowhere',
      'to is required with in_interface: the destination container (container.NAME) or IP',
    ],
    [
      'main.hcl',
      17,
      18,
      'port_forward.to_network',
      'to must be one container (container.NAME) or one IP address, got 10.0.0.0/24',
    ],
  ],
  'port-range': [
    ['main.hcl', 2, 16, 'rule.web', 'port 70000 is out of range (1-65535)'],
    ['main.hcl', 2, 23, 'rule.web', 'port range "9000-8000" is reversed; did you mean "8000-9000"?'],
    ['main.hcl', 7, 18, 'port_forward.wg', 'port 0 is out of range (1-65535)'],
  ],
  'ports-with-proto': [
    ['main.hcl', 3, 11, 'rule.ping', 'port can only be used with proto "tcp" or "udp"; proto is "icmp"'],
    ['main.hcl', 8, 11, 'rule.everything', 'ports can only be used with proto "tcp" or "udp"; proto is "all"'],
  ],
  'log-prefix': [
    ['main.hcl', 3, 16, 'rule.not_log', 'log_prefix is only used with action = "log"; action is "drop"'],
    ['main.hcl', 8, 16, 'rule.too_long', 'log_prefix is 30 characters; the kernel keeps at most 29'],
    ['main.hcl', 13, 16, 'rule.quoted', 'log_prefix may hold printable ASCII characters except quotes and backslashes'],
    ['main.hcl', 18, 16, 'rule.empty', 'log_prefix is empty; leave it out for log lines without a prefix'],
  ],
  priority: [
    ['main.hcl', 3, 14, 'rule.web', 'priority must be an integer, got 1.5'],
    ['main.hcl', 8, 14, 'rule.ssh', 'priority must be an integer, got "first"'],
  ],
  'reserved-ip': [
    [
      'main.hcl',
      8,
      20,
      'container.net_addr.network.frontend',
      'ipv4_address 172.18.103.0 is the network address of 172.18.103.0/24',
    ],
    [
      'main.hcl',
      14,
      20,
      'container.bcast.network.frontend',
      'ipv4_address 172.18.103.255 is the broadcast address of 172.18.103.0/24',
    ],
    [
      'main.hcl',
      20,
      20,
      'container.gw.network.frontend',
      'ipv4_address 172.18.103.1 is the gateway of network.frontend',
    ],
    ['main.hcl', 26, 13, 'network.backend', 'gateway 172.18.104.255 is the broadcast address of 172.18.104.0/24'],
  ],
  'route-via': [
    [
      'main.hcl',
      13,
      19,
      'container.lb.route["10.9.0.0/24"]',
      'via 192.168.7.1 is not inside a subnet container.lb is attached to (network.frontend 172.18.103.0/24)',
    ],
  ],
  'syntax-bad-escape': [['main.hcl', 2, 20, null, 'Invalid escape sequence']],
  // One error for one mistake: the string ends at the end of its line, and the block's
  // closing brace on the next line closes the block (HCL's own parser went on inside the
  // string and reported two more errors at the same mistake).
  'syntax-bad-string': [['main.hcl', 2, 28, null, 'Invalid multi-line string']],
  'syntax-missing-value': [['main.hcl', 3, 12, null, 'Invalid expression']],
  'syntax-unclosed-brace': [['main.hcl', 1, 20, null, 'Unclosed configuration block']],
  'undeclared-network': [
    [
      'main.hcl',
      6,
      3,
      'container.lb.network.frontnd',
      'attachment to undeclared network "frontnd"; did you mean "frontend"?',
    ],
  ],
  'unknown-field': [
    ['main.hcl', 1, 1, null, 'unknown block type "networks"; did you mean "network"?'],
    ['main.hcl', 6, 3, 'rule.web', 'unknown field "prot"; did you mean "proto"?'],
    [
      'main.hcl',
      8,
      12,
      'rule.web',
      'action: must be one of "accept", "drop", "reject", "log", got "acept"; did you mean "accept"?',
    ],
  ],
  'unknown-reference': [
    ['main.hcl', 14, 10, 'rule.lan_to_lb', 'reference to undeclared variable var.lann; did you mean var.lan?'],
    [
      'main.hcl',
      15,
      10,
      'rule.lan_to_lb',
      'reference to undeclared container container.lbb; did you mean container.lb?',
    ],
    [
      'main.hcl',
      19,
      12,
      'masquerade.out',
      'reference to undeclared network network.frontnd; did you mean network.frontend?',
    ],
  ],
  'ipv6-family': [
    [
      'main.hcl',
      2,
      17,
      'network.front',
      'subnet: "fd00:30::/64" is an IPv6 CIDR; an IPv4 CIDR is expected here; use ipv6_subnet',
    ],
    [
      'main.hcl',
      3,
      17,
      'network.front',
      'ipv6_subnet: "10.30.1.0/24" is an IPv4 CIDR; an IPv6 CIDR is expected here; use subnet',
    ],
    [
      'main.hcl',
      8,
      18,
      'network.back',
      'gateway: "fd00:31::1" is an IPv6 address; an IPv4 address is expected here; use ipv6_gateway',
    ],
    ['main.hcl', 10, 18, 'network.back', 'ipv6_gateway fd00:32::1 is outside the ipv6_subnet fd00:31::/64'],
    ['main.hcl', 15, 19, 'network.plain', 'ipv6 = false, but ipv6_ip_range is set'],
    [
      'main.hcl',
      30,
      20,
      'container.web.network.back',
      'ipv4_address: "fd00:31::10" is an IPv6 address; an IPv4 address is expected here; use ipv6_address',
    ],
    [
      'main.hcl',
      31,
      20,
      'container.web.network.back',
      'ipv6_address: "10.30.2.10" is an IPv4 address; an IPv6 address is expected here; use ipv4_address',
    ],
    [
      'main.hcl',
      35,
      19,
      'container.web.route[0]',
      "via 10.30.2.1 is IPv4 but the destination fd00:40::/64 is IPv6; a route's gateway has the destination's family",
    ],
    [
      'main.hcl',
      41,
      20,
      'container.api.network.v4only',
      'ipv6_address is set, but network.v4only has no IPv6 (set ipv6_subnet on it)',
    ],
    [
      'main.hcl',
      44,
      20,
      'container.api.network.auto6',
      'ipv6_address needs ipv6_subnet on network.auto6: Docker gives static addresses only in a subnet the configuration sets',
    ],
    [
      'main.hcl',
      54,
      10,
      'rule.mixed',
      'to is IPv6 only and from is IPv4 only: no packet matches both (write a rule per family)',
    ],
    [
      'main.hcl',
      61,
      18,
      'port_forward.v6_to_v4',
      'from is IPv4 only and to is IPv6 only: no packet matches both (write a rule per family)',
    ],
    [
      'main.hcl',
      71,
      17,
      'masquerade.literal',
      'destination is IPv6 only and source is IPv4 only: no packet matches both (write a rule per family)',
    ],
  ],
  variable: [
    [
      'main.hcl',
      1,
      1,
      'var.lan',
      'variable "lan" has no value: give it a default, set DOCKWALL_VAR_lan, or pass --var lan=VALUE',
    ],
    ['main.hcl', 5, 13, 'var.port', 'the default must be a number, got "http"'],
  ],
}

describe('bad configurations', () => {
  it('covers at least 18 scenarios', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(18)
  })

  for (const [scenario, expected] of Object.entries(cases)) {
    it(`validate-bad-${scenario}`, async () => {
      // Given a configuration with mistakes
      const dir = `fixtures/config/validate-bad-${scenario}`
      // When it is loaded
      const r = await loadConfig({path: dir, env: {}})
      // Then there is no model, and exactly these diagnostics, in file and line order
      expect(r.model).toBeUndefined()
      const got = r.diagnostics.map((d): Expected => [
        d.at ? d.at.file.slice(dir.length + 1) : undefined,
        d.at?.line,
        d.at?.column,
        d.address ?? null,
        d.summary,
      ])
      expect(got).toEqual(expected)
      expect(r.diagnostics.every((d) => d.severity === 'error')).toBe(true)
    })
  }

  it('keeps the detail of HCL syntax errors', async () => {
    const r = await loadConfig({path: 'fixtures/config/validate-bad-syntax-unclosed-brace', env: {}})
    expect(r.diagnostics[0]?.detail).toBe(
      'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
    )
  })
})
