// Generated configuration: what refresh found becomes HCL that loads, renders back to
// the same iptables lines, imports each object, and says what it left out and why.
import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {type GenerateResult, generateConfig} from '../../../src/import/generate.js'
import {importKindOf, locateRule, parseImportId, type RuleImportId} from '../../../src/import/id.js'
import type {DesiredModel} from '../../../src/model/types.js'
import {parseRuleset} from '../../../src/netfilter/index.js'
import {toActualTables} from '../../../src/refresh/namespace.js'
import {familyTables, type ActualModel} from '../../../src/refresh/types.js'
import {
  backend,
  ctr,
  dump,
  fixture,
  frontend,
  lb,
  model,
  namespaceFrom,
  net,
  sandboxModel,
  snapshot,
} from './helpers.js'
import {withoutComment} from './render-back.js'
import {renderModel} from './render-model.js'
import {loadHcl} from './tmp.js'

const OPTS = {
  scannedAt: new Date('2026-06-20T10:00:00Z'),
  command: 'dockwall import --all --generate-config-out imported.hcl',
}

async function loaded(r: GenerateResult): Promise<DesiredModel> {
  const l = await loadHcl(r.hcl)
  expect(l.diagnostics).toEqual([])
  return l.model!
}

/**
 * Every imported rule-like resource renders, through the planner's renderer, to the
 * line its import ID names (the lines the resource owns in dockwall's chain, comment
 * aside), apart from the port forward's own accept which has no original.
 */
function expectRendersBack(actual: ActualModel, r: GenerateResult, m: DesiredModel): void {
  const rendered = renderModel(m, actual.docker)
  const labelToKey = new Map(
    actual.namespaces.map((ns) => [
      ns.container ? m.containers.find((c) => c.name === ns.container!.name)?.label : undefined,
      ns.key,
    ]),
  )
  for (const imp of r.imports) {
    const kind = importKindOf(imp.to)!
    if (kind === 'network' || kind === 'attachment') continue
    const parsed = parseImportId(kind, imp.id)
    expect(parsed.ok, imp.id).toBe(true)
    const id = (parsed as {id: RuleImportId}).id
    // the ID names container namespaces by the generated labels; refresh keyed them by its own
    const nsKey = id.namespace === 'host' ? 'host' : labelToKey.get(id.namespace.slice('container.'.length))!
    const found = locateRule({...id, namespace: nsKey}, actual.namespaces)
    expect(found, imp.id).toMatchObject({ok: true})
    const ns = actual.namespaces.find((n) => n.key === nsKey)!
    const original = familyTables(ns, id.family)![id.table]!.chains.find((c) => c.name === id.chain)!.rules[
      (found as {index: number}).index
    ]!.spec
    // Only the family the rule came from: import must not have widened it to the other one.
    expect(rendered.byAddress.get(imp.to)!.every((l) => l.family === id.family)).toBe(true)
    const lines = rendered.byAddress.get(imp.to)!.filter((l) => l.table === id.table)
    expect([imp.to, lines.map((l) => withoutComment(l.spec))]).toEqual([imp.to, [withoutComment(original)]])
  }
}

describe('generateConfig on a sandbox-like host', () => {
  const actual = sandboxModel()
  const r = generateConfig(actual, OPTS)

  it('writes the expected file', () => {
    expect(r.hcl).toBe(
      readFileSync(new URL('../../../fixtures/import/generate-sandbox/expected.hcl', import.meta.url), 'utf8'),
    )
  })

  it('writes configuration the loader accepts, with an import for every resource', async () => {
    const m = await loaded(r)
    const addresses = [...m.networks, ...m.rules, ...m.portForwards, ...m.masquerades].map((x) => x.address)
    const attachments = m.containers.flatMap((c) => c.attachments.map((a) => a.address))
    expect(m.imports.map((i) => i.to).sort()).toEqual([...addresses, ...attachments].sort())
    expect(r.imports.map((i) => i.to)).toEqual(m.imports.map((i) => i.to))
  })

  it('renders every imported rule back to the line it came from', async () => {
    expectRendersBack(actual, r, await loaded(r))
  })

  it("keeps the order: priorities follow evaluation order, and dockwall's chain keeps the verdicts", async () => {
    const m = await loaded(r)
    expect(m.rules.filter((x) => x.chain === 'forward').map((x) => [x.label, x.priority])).toEqual([
      ['forward_1_backend-1_to_smarthost_loadbalancer_tcp80', 10],
      ['forward_2_10-0-0-0_8_to_frontend_tcp80_443', 20],
      ['forward_3_web_to_smarthost_backend-1_drop', 30],
    ])
    const forward = renderModel(m, actual.docker)
      .chain('host', 'DOCKWALL-FORWARD')
      .map((l) => withoutComment(l.spec))
    expect(forward).toEqual([
      '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m tcp --dport 80 -j ACCEPT',
      '-s 10.0.0.0/8 -d 172.18.103.0/24 -p tcp -m multiport --dports 80,443 -j ACCEPT',
      '-s 172.18.103.5/32 -d 172.18.104.0/24 -j DROP',
      '-d 172.18.103.2/32 -i wg0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT',
    ])
  })

  it('lists what it left in place, with the reasons, and what dockwall covers', () => {
    expect(r.unsupported.map((u) => [u.chain, u.line.replace(/^-A \S+ /, ''), u.reason.split(':')[0]])).toEqual([
      [
        'DOCKER-USER',
        '-s 192.168.7.0/24 -p tcp -m tcp --dport 22 -m recent --set --name ssh --mask 255.255.255.255 --rsource -j DROP',
        'match extension `recent` is not modelled',
      ],
      [
        'DOCKER-USER',
        '-s 192.168.7.0/24 -p tcp -m tcp --dport 22 -j ACCEPT',
        "moving it into dockwall's chain would change the order it is evaluated in",
      ],
      [
        'INPUT',
        '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        'a RELATED,ESTABLISHED accept in INPUT is provided by the firewall block only with input_policy = "drop"; it stays where it is',
      ],
      [
        'INPUT',
        '-p tcp -m tcp --dport 1234 -m state --state NEW -j ACCEPT',
        'a conntrack state match other than the ones dockwall writes (--ctstate NEW; dockwall writes RELATED,ESTABLISHED in the firewall block and DNAT with port forwards)',
      ],
      ['INPUT', '-j DROP', "moving it into dockwall's chain would change the order it is evaluated in"],
    ])
    expect(r.covered).toEqual([
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKER-USER',
        line: '-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        by: 'firewall',
      },
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKER-USER',
        line: '-A DOCKER-USER -d 172.18.103.2/32 -i wg0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT',
        by: 'port_forward.wg0_tcp80_to_smarthost_loadbalancer',
      },
    ])
    // This host already accepted replies first and accepted its DNAT: nothing changes.
    expect(r.warnings).toEqual([])
  })

  it('explains each choice', () => {
    expect(r.explanations).toContain(
      'host filter DOCKER-USER #2: -s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m tcp --dport 80 -j ACCEPT → rule.forward_1_backend-1_to_smarthost_loadbalancer_tcp80 (priority 10)',
    )
    expect(r.explanations).toContain('Docker container web → container.web (a rule refers to it)')
    expect(r.hcl).toContain("# from: 172.18.103.5 is container.web's dynamic address")
  })

  it('is reproducible', () => {
    expect(generateConfig(sandboxModel(), OPTS).hcl).toBe(r.hcl)
    expect(generateConfig(sandboxModel()).hcl).toMatch(/^# Generated by `dockwall import --all`\.\n/)
  })
})

function host(
  tables: Record<string, Record<string, string[]>>,
  policies: Record<string, string> = {},
  containers = [lb],
): ActualModel {
  return model(snapshot([frontend, backend], containers), [namespaceFrom('host', dump(tables, policies))])
}

describe('behaviour that changes, reported', () => {
  it('a drop that came before the RELATED,ESTABLISHED accept', async () => {
    // network-go inserts its accepts at the top, so a hand-written drop can end up first
    const actual = host({
      filter: {
        FORWARD: ['-j DOCKER-USER'],
        'DOCKER-USER': [
          '-s 10.0.0.0/8 -d 172.18.103.2/32 -j DROP',
          '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-s 172.18.104.0/24 -d 172.18.103.2/32 -j ACCEPT',
          '-j RETURN',
        ],
      },
    })
    const r = generateConfig(actual)
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^DOCKER-USER #1: -s 10.0.0.0\/8 -d 172.18.103.2\/32 -j DROP: replies and related packets it used to drop are accepted first/,
      ),
    ])
    expect(r.hcl).toContain('# After apply, traffic changes here (review before applying):')
    expectRendersBack(actual, r, await loaded(r))
  })

  it("cross-network accepts without any RELATED,ESTABLISHED accept: Docker's isolation dropped the replies", () => {
    const actual = host(
      {
        filter: {
          FORWARD: [
            '-j DOCKER-USER',
            '-j DOCKER-ISOLATION-STAGE-1',
            '-o br-aaaaaaaaaaaa -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            '-i br-aaaaaaaaaaaa ! -o br-aaaaaaaaaaaa -j ACCEPT',
          ],
          'DOCKER-USER': ['-s 172.18.104.2/32 -d 172.18.103.2/32 -p tcp -m tcp --dport 80 -j ACCEPT', '-j RETURN'],
          'DOCKER-ISOLATION-STAGE-1': [
            '-i br-bbbbbbbbbbbb ! -o br-bbbbbbbbbbbb -j DOCKER-ISOLATION-STAGE-2',
            '-j RETURN',
          ],
          'DOCKER-ISOLATION-STAGE-2': ['-o br-aaaaaaaaaaaa -j DROP', '-j RETURN'],
        },
      },
      {FORWARD: 'DROP'},
    )
    const r = generateConfig(actual)
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^Docker's own rules \(1, e.g. DOCKER-ISOLATION-STAGE-2 #1: -o br-aaaaaaaaaaaa -j DROP\) used to drop replies/,
      ),
      expect.stringMatching(/^FORWARD's policy is DROP and no rule accepted every reply/),
    ])
  })

  it('a port forward whose traffic nothing accepted before', () => {
    const actual = host(
      {
        nat: {PREROUTING: ['-i wg0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.103.2:80']},
        filter: {FORWARD: ['-j DOCKER-USER'], 'DOCKER-USER': ['-j RETURN']},
      },
      {FORWARD: 'DROP'},
    )
    // (DOCKER-USER has nothing to import, so only the port forward changes anything)
    const r = generateConfig(actual)
    expect(r.warnings).toContain(
      "port_forward.wg0_tcp8080_to_smarthost_loadbalancer: dockwall accepts the forwarded traffic (to 172.18.103.2:80) in its forward chain; before import no rule accepted it, FORWARD's policy (DROP) decided",
    )
  })
})

describe('order in foreign chains', () => {
  it("keeps rules after DOCKER-USER's RETURN (never reached) and rules appended after Docker's in FORWARD", () => {
    const r = generateConfig(
      host({
        filter: {
          FORWARD: [
            '-j DOCKER-USER',
            '-o br-aaaaaaaaaaaa -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            '-o br-aaaaaaaaaaaa -j DOCKER',
            '-i br-aaaaaaaaaaaa ! -o br-aaaaaaaaaaaa -j ACCEPT',
            '-j DROP',
            '-i wg0 -o eth0 -j ACCEPT',
          ],
          'DOCKER-USER': ['-s 10.1.0.0/16 -j DROP', '-j RETURN', '-s 10.2.0.0/16 -j DROP'],
          DOCKER: ['-d 172.18.103.2/32 ! -i br-aaaaaaaaaaaa -o br-aaaaaaaaaaaa -p tcp -m tcp --dport 80 -j ACCEPT'],
        },
      }),
    )
    expect(r.imports.filter((i) => i.to.startsWith('rule.')).map((i) => i.id)).toEqual([
      'DOCKER-USER:-s 10.1.0.0/16 -j DROP',
    ])
    expect(r.unsupported.map((u) => [u.line, u.reason.replace(/ \(kept because.*$/, '')])).toEqual([
      [
        '-A FORWARD -j DROP',
        "moving it into dockwall's chain would change the order it is evaluated in: the two can match the same packets with different outcomes",
      ],
      [
        '-A FORWARD -i wg0 -o eth0 -j ACCEPT',
        "moving it into dockwall's chain would change the order it is evaluated in: it is never reached (an earlier rule that stays decides every packet it matches); moving it ahead would make it take effect",
      ],
      [
        '-A DOCKER-USER -s 10.2.0.0/16 -j DROP',
        "moving it into dockwall's chain would change the order it is evaluated in: it is never reached (an earlier RETURN takes every packet it matches); moving it would make it take effect",
      ],
    ])
  })

  it('a host without Docker: FORWARD rules move when nothing that stays decides them differently (diekmann topos4.1)', async () => {
    const actual = model(snapshot([], []), [
      namespaceFrom('host', fixture('iptables-dumps/diekmann-docker-topos4.1-iptables-save.txt')),
    ])
    const r = generateConfig(actual)
    // the 17 plain accepts between the containers of br-b74b417b331f move; rules with negations stay
    expect(r.imports.filter((i) => i.to.startsWith('rule.')).length).toBe(17)
    const neg = expect.stringMatching(/^negation \(! -[sdio]\) is not modelled$/)
    expect(r.unsupported.map((u) => u.reason)).toEqual([
      neg,
      'a jump to chain CUSTOM is not modelled (import does not flatten user chains)',
      neg,
      neg,
      neg,
      neg,
      neg,
      neg,
    ])
    expect(r.hcl).toContain('in_interface  = "br-b74b417b331f"')
    expectRendersBack(actual, r, await loaded(r))
  })

  it("Docker 28 chains (moby golden file): the operator's FORWARD rule after DOCKER-FORWARD moves only if Docker's rules cannot decide its packets", () => {
    const golden = fixture('iptables-dumps/moby-iptables-icc-false-masq-gwm-nat.txt').replace(
      '-A FORWARD -j DOCKER-FORWARD\n',
      '-A FORWARD -j DOCKER-FORWARD\n-A FORWARD -i wg0 -o eth0 -j ACCEPT\n-A FORWARD -i wg0 -o br-dummy -j DROP\n',
    )
    const dummy = net('dummy', `dummy${'0'.repeat(59)}`, '192.168.0.0/24', {
      options: {'com.docker.network.bridge.name': 'br-dummy'},
    })
    const r = generateConfig(model(snapshot([dummy], []), [namespaceFrom('host', golden)]))
    expect(r.imports.filter((i) => i.to.startsWith('rule.')).map((i) => i.id)).toEqual([
      'FORWARD:-i wg0 -o eth0 -j ACCEPT',
    ])
    expect(r.unsupported.map((u) => u.line)).toEqual(['-A FORWARD -i wg0 -o br-dummy -j DROP'])
  })
})

describe('Docker 28: raw PREROUTING', () => {
  it("pairs an operator's raw ACCEPT with the forward rule it opens, leaves an unpaired one, and Docker's drops alone", () => {
    const front = net('front', `${'f'.repeat(12)}${'0'.repeat(52)}`, '10.0.1.0/24')
    const back = net('back', `${'e'.repeat(12)}${'0'.repeat(52)}`, '10.0.2.0/24')
    const dumpText = [
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -s 10.0.1.20/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT',
      '-A PREROUTING -s 10.0.1.20/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 9999 -j ACCEPT',
      '-A PREROUTING -d 10.0.2.10/32 ! -i br-eeeeeeeeeeee -j DROP',
      'COMMIT',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD DROP [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':DOCKER-USER - [0:0]',
      ':DOCKER-FORWARD - [0:0]',
      '-A FORWARD -j DOCKER-USER',
      '-A FORWARD -j DOCKER-FORWARD',
      '-A DOCKER-USER -s 10.0.1.20/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n')
    const r = generateConfig(model(snapshot([front, back], []), [namespaceFrom('host', dumpText)]))
    const rules = r.imports.filter((i) => i.to.startsWith('rule.'))
    expect(rules.map((i) => i.id)).toEqual([
      'DOCKER-USER:-s 10.0.1.20/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT',
    ])
    expect(r.covered).toEqual([
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'raw',
        chain: 'PREROUTING',
        line: '-A PREROUTING -s 10.0.1.20/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT',
        by: rules[0]!.to,
      },
    ])
    expect(r.unsupported).toEqual([
      {
        namespace: 'host',
        family: 'ipv4',
        table: 'raw',
        chain: 'PREROUTING',
        line: '-A PREROUTING -s 10.0.1.20/32 -d 10.0.2.10/32 -p tcp -m tcp --dport 9999 -j ACCEPT',
        reason: expect.stringContaining('no imported forward accept'),
      },
    ])
    expect(r.hcl).toContain(`#     covered by the raw opening ${rules[0]!.to} brings`)
  })
})

describe('nothing is dropped silently', () => {
  it.each([
    'diekmann-medium-sized-company-iptables-save.txt',
    'netfilter-ipt-save-filter.txt',
    'netfilter-fedora27-iptables.txt',
    'netfilter-wireless.txt',
  ])('every rule of the scanned chains of %s is imported, covered or listed with a reason', (file) => {
    const text = fixture(`iptables-dumps/${file}`)
    const r = generateConfig(model(snapshot([], []), [namespaceFrom('host', text)]))
    const scanned = new Set([
      'filter FORWARD',
      'filter DOCKER-USER',
      'filter INPUT',
      'filter OUTPUT',
      'nat PREROUTING',
      'nat POSTROUTING',
      'raw PREROUTING',
    ])
    let table = ''
    const expected: string[] = []
    for (const l of text.split('\n')) {
      if (l.startsWith('*')) table = l.slice(1)
      const m = /^(?:\[\d+:\d+\] )?(-A (\S+).*)$/.exec(l)
      if (m && scanned.has(`${table} ${m[2]}`)) expected.push(`${table} ${m[1]}`)
    }
    const accounted = [
      ...r.unsupported.map((u) => `${u.table} ${u.line}`),
      ...r.covered.map((c) => `${c.table} ${c.line}`),
      ...r.imports.flatMap((i) => {
        const m = /^(?:(filter|nat):)?([^:]+):(.*)$/.exec(i.id)
        if (!m || i.to.startsWith('network.') || i.to.startsWith('container.')) return []
        return [`${m[1] ?? (['PREROUTING', 'POSTROUTING'].includes(m[2]!) ? 'nat' : 'filter')} -A ${m[2]} ${m[3]}`]
      }),
    ]
    // iptables-save's text is already the normal form refresh compares in, apart from a rule without arguments
    expect(accounted.sort()).toEqual(expected.map((e) => e.trimEnd()).sort())
    expect(r.unsupported.every((u) => u.reason.length > 0)).toBe(true)
  })
})

describe('references, labels and IDs', () => {
  it("puts rules inserted at the top of FORWARD before DOCKER-USER's, as they were evaluated", () => {
    const r = generateConfig(
      host({
        filter: {
          FORWARD: ['-s 10.9.0.0/16 -j DROP', '-j DOCKER-USER'],
          'DOCKER-USER': ['-s 10.0.0.0/8 -j ACCEPT', '-j RETURN'],
        },
      }),
    )
    expect(r.imports.filter((i) => i.to.startsWith('rule.'))).toEqual([
      {to: 'rule.forward_1_10-9-0-0_16_drop', id: 'FORWARD:-s 10.9.0.0/16 -j DROP'},
      {to: 'rule.forward_2_10-0-0-0_8', id: 'DOCKER-USER:-s 10.0.0.0/8 -j ACCEPT'},
    ])
    expect(r.hcl).toMatch(/rule "forward_2_10-0-0-0_8" \{[^}]*priority = 20/)
  })

  it('keeps an address literal when the container has several, with the reason', async () => {
    const proxy = ctr('proxy', [
      {network: frontend, ip: '172.18.103.7', static: true},
      {network: backend, ip: '172.18.104.7', static: true},
    ])
    const r = generateConfig(
      host({filter: {FORWARD: ['-j DOCKER-USER'], 'DOCKER-USER': ['-s 10.0.0.0/8 -d 172.18.103.7/32 -j ACCEPT']}}, {}, [
        proxy,
      ]),
    )
    expect(r.hcl).toContain('to       = "172.18.103.7"')
    expect(r.hcl).toContain('# to: 172.18.103.7 is an address of container.proxy (proxy), which also has 172.18.104.7')
    await loaded(r)
  })

  it('uses the position for a rule whose text repeats in its chain', () => {
    const r = generateConfig(
      host({
        filter: {FORWARD: ['-j DOCKER-USER'], 'DOCKER-USER': ['-s 10.0.0.0/8 -j ACCEPT', '-s 10.0.0.0/8 -j ACCEPT']},
      }),
    )
    expect(r.imports.filter((i) => i.to.startsWith('rule.')).map((i) => [i.to, i.id])).toEqual([
      ['rule.forward_1_10-0-0-0_8', 'DOCKER-USER:#1'],
      ['rule.forward_2_10-0-0-0_8', 'DOCKER-USER:#2'],
    ])
  })

  it('leaves out default and non-bridge networks, and says so', () => {
    const overlay = net('swarm', 'o'.repeat(64), '10.0.9.0/24', {driver: 'overlay'})
    const v6 = net('v6only', '6'.repeat(64), 'fd00::/64')
    const r = generateConfig(model(snapshot([overlay, v6, frontend], []), [namespaceFrom('host', dump({filter: {}}))]))
    expect(r.imports).toEqual([{to: 'network.frontend', id: 'frontend'}])
    expect(r.explanations).toEqual(
      expect.arrayContaining([
        'network swarm: left out, its driver is overlay (dockwall manages bridge networks)',
        'network v6only: left out, it has no IPv4 subnet',
      ]),
    )
  })

  it("keeps DOCKER-USER's rules when FORWARD does not jump to it: dockwall's chain would never run", () => {
    const r = generateConfig(host({filter: {'DOCKER-USER': ['-s 10.0.0.0/8 -j ACCEPT']}}))
    expect(r.unsupported).toEqual([
      expect.objectContaining({
        line: '-A DOCKER-USER -s 10.0.0.0/8 -j ACCEPT',
        reason: 'it is never evaluated: DOCKER-USER is not reached from FORWARD',
      }),
    ])
  })

  it('reports namespaces refresh could not read', () => {
    const actual: ActualModel = {
      ...host({filter: {}}),
      unreadable: [{key: 'container.gone', reason: 'container stopped'}],
    }
    expect(generateConfig(actual).explanations).toContain(
      'container.gone: not scanned, its namespace could not be read (container stopped)',
    )
  })

  it('leaves a RELATED,ESTABLISHED accept in place when no forward rule is imported', () => {
    const r = generateConfig(
      host({
        filter: {
          FORWARD: ['-j DOCKER-USER'],
          'DOCKER-USER': ['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-j RETURN'],
        },
      }),
    )
    expect(r.covered).toEqual([])
    expect(r.unsupported).toEqual([
      expect.objectContaining({
        line: '-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        reason: expect.stringMatching(/only when its forward chain has rules/),
      }),
    ])
  })
})

describe('generateConfig on a dual-stack host', () => {
  const dual = net('dual', `${'d'.repeat(12)}${'4'.repeat(52)}`, '172.20.0.0/24', {
    enableIPv6: true,
    subnets6: [{subnet: 'fd00:20::/64', gateway: 'fd00:20::1'}],
  })
  const web6 = ctr('web', [{network: dual, ip: '172.20.0.10', static: true}])
  web6.endpoints[0] = {...web6.endpoints[0]!, ipv6Address: 'fd00:20::10', staticIpv6Address: 'fd00:20::10'}
  const v4 = dump({
    filter: {
      FORWARD: ['-j DOCKER-USER'],
      'DOCKER-USER': ['-s 10.0.0.0/8 -d 172.20.0.10/32 -p tcp -m tcp --dport 80 -j ACCEPT', '-j RETURN'],
      INPUT: ['-p tcp -m tcp --dport 22 -j ACCEPT'],
    },
  })
  const v6 = dump({
    filter: {
      FORWARD: ['-j DOCKER-USER'],
      'DOCKER-USER': ['-s 2001:db8::/32 -d fd00:20::10/128 -p tcp -m tcp --dport 80 -j ACCEPT', '-j RETURN'],
      INPUT: ['-p tcp -m tcp --dport 2222 -j ACCEPT', '-p ipv6-icmp -j ACCEPT'],
    },
    nat: {PREROUTING: ['-i eth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:20::10]:80']},
  })
  const host = {...namespaceFrom('host', v4), tables6: toActualTables(parseRuleset(v6, {family: 'ipv6'}))}
  const actual = model(snapshot([dual], [web6]), [host])
  const r = generateConfig(actual, OPTS)

  it('reads ip6tables too: IPv6 rules become IPv6 resources, pinned where they would widen', () => {
    expect(r.unsupported).toEqual([])
    expect(r.imports.map((i) => `${i.to} ${i.id}`)).toEqual([
      'network.dual dual',
      'container.web.network.dual web/dual',
      'rule.forward_1_10-0-0-0_8_to_web_tcp80 DOCKER-USER:-s 10.0.0.0/8 -d 172.20.0.10/32 -p tcp -m tcp --dport 80 -j ACCEPT',
      'rule.input_1_tcp22 INPUT:-p tcp -m tcp --dport 22 -j ACCEPT',
      'rule.ipv6_forward_1_2001-db8--_32_to_web_tcp80 DOCKER-USER:-s 2001:db8::/32 -d fd00:20::10/128 -p tcp -m tcp --dport 80 -j ACCEPT',
      'rule.ipv6_input_1_tcp2222 ipv6:INPUT:-p tcp -m tcp --dport 2222 -j ACCEPT',
      'rule.ipv6_input_2_icmp ipv6:INPUT:-p ipv6-icmp -j ACCEPT',
      'port_forward.eth0_ipv6_tcp8080_to_web ipv6:PREROUTING:-i eth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:20::10]:80',
    ])
    expect(r.hcl).toContain('  ipv6_subnet  = "fd00:20::/64"\n  ipv6_gateway = "fd00:20::1"\n')
    expect(r.hcl).toContain('    ipv6_address = "fd00:20::10"\n')
  })

  it('renders every imported rule back to the line it came from, in its own family only', async () => {
    expectRendersBack(actual, r, await loaded(r))
  })
})
