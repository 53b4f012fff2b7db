// `dockwall plan` against a real Docker engine (issue 4), on both iptables backends,
// as one operator's story on one sandbox (the steps build on each other and run in
// order): a configuration with every block type planned on an empty host; the same
// content then made by hand with Docker and iptables, which must plan as no change;
// drift made by hand; the plan options (--out, show FILE, --target, --destroy,
// --refresh-only) and graph. Fixtures: fixtures/e2e/plan-every-block/ and
// fixtures/e2e/plan-deferred/. The interactive view is in plan-tui.test.ts. On Docker 28
// and later, rule.web_to_db also opens its flows in the raw table (RAW below).
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Backend, Sandbox} from '../sandbox/index.js'
import type {PlanJson} from '../../src/ui/index.js'
import {useSandbox} from '../helpers/sandbox.js'
import type {CliResult} from '../helpers/cli.js'
import {
  chainRules,
  containerRestore,
  containerSave,
  copyConfig,
  dockwall,
  expectExit,
  fixturePath,
  hostArgs,
  inContainer,
  parseJson,
  readFixture,
  stableSave,
  workdir,
} from './dockwall-e2e.js'

const CONFIG = fixturePath('plan-every-block', 'config')

type ChangeJson = PlanJson['resource_changes'][number]

const FORWARD = 'chain["host:DOCKWALL-FORWARD"]'
const RAW = 'chain["host:raw:DOCKWALL-PREROUTING"]'
/** input_policy = "drop" closes the host on IPv6 too: dockwall's ip6tables input chain. */
const INPUT6 = 'chain["host:ipv6:DOCKWALL-INPUT"]'
const CHAINS = [
  'chain["container.web:DOCKWALL-PREROUTING"]',
  FORWARD,
  'chain["host:DOCKWALL-INPUT"]',
  'chain["host:DOCKWALL-POSTROUTING"]',
  'chain["host:DOCKWALL-PREROUTING"]',
  INPUT6,
]
const DOCKER = [
  'container.db.network.back',
  'container.web.network.front',
  'container.web.route["10.8.0.0/24"]',
  'network.back',
  'network.front',
]
const FIREWALL = [
  'firewall',
  'masquerade.back_out',
  'port_forward.ext_http',
  'port_forward.web_inside',
  'rule.db_no_egress',
  'rule.ssh_from_lan',
  'rule.web_to_db',
]
/** Every resource the configuration declares (the owned chains come on top when they change). */
const RESOURCES = [...DOCKER, ...FIREWALL].sort()

// The iptables lines dockwall writes, in iptables-save's normal form.
const c = (address: string) => `-m comment --comment "dockwall:${address}"`
const LINES = {
  webToDb: [
    `-s 10.77.1.10/32 -d 10.77.2.20/32 -p tcp -m tcp --dport 5432 ${c('rule.web_to_db')} -j ACCEPT`,
    // web and db also have their dw-lan addresses: a rule about a container covers all of them.
    `-s 10.77.1.10/32 -d 10.77.9.20/32 -p tcp -m tcp --dport 5432 ${c('rule.web_to_db')} -j ACCEPT`,
    `-s 10.77.9.10/32 -d 10.77.2.20/32 -p tcp -m tcp --dport 5432 ${c('rule.web_to_db')} -j ACCEPT`,
    `-s 10.77.9.10/32 -d 10.77.9.20/32 -p tcp -m tcp --dport 5432 ${c('rule.web_to_db')} -j ACCEPT`,
  ],
  dbNoEgress: [
    `-s 10.77.2.20/32 ${c('rule.db_no_egress')} -j DROP`,
    `-s 10.77.9.20/32 ${c('rule.db_no_egress')} -j DROP`,
  ],
  sshFromLan: `-s 198.18.0.0/24 -p tcp -m tcp --dport 2222 ${c('rule.ssh_from_lan')} -j ACCEPT`,
  extHttpAccept: `-d 10.77.1.10/32 -i dwext0 -p tcp -m tcp --dport 8080 -m conntrack --ctstate DNAT ${c('port_forward.ext_http')} -j ACCEPT`,
  extHttpDnat: `-i dwext0 -p tcp -m tcp --dport 80 ${c('port_forward.ext_http')} -j DNAT --to-destination 10.77.1.10:8080`,
  webInside: `-p tcp -m tcp --dport 8081 ${c('port_forward.web_inside')} -j REDIRECT --to-ports 8080`,
  backOut: `-s 10.77.2.0/24 -o eth0 ${c('masquerade.back_out')} -j MASQUERADE`,
  established: `-m conntrack --ctstate RELATED,ESTABLISHED ${c('firewall')} -j ACCEPT`,
  inputHead: [
    `-i lo ${c('firewall')} -j ACCEPT`,
    `-m conntrack --ctstate RELATED,ESTABLISHED ${c('firewall')} -j ACCEPT`,
    `-p tcp -m tcp --dport 22 ${c('firewall')} -j ACCEPT`,
  ],
  inputDrop: `${c('firewall')} -j DROP`,
  /** ip6tables: the same head, then the ICMPv6 of RFC 4890 and DHCPv6 replies, then the drop. */
  inputHead6: [
    `-i lo ${c('firewall')} -j ACCEPT`,
    `-m conntrack --ctstate RELATED,ESTABLISHED ${c('firewall')} -j ACCEPT`,
    `-p tcp -m tcp --dport 22 ${c('firewall')} -j ACCEPT`,
    ...['1', '2', '3', '4/0', '4/1', '4/2', '128', '129'].map(
      (t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} ${c('firewall')} -j ACCEPT`,
    ),
    ...['133', '134', '135', '136', '141', '142'].map(
      (t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 255 ${c('firewall')} -j ACCEPT`,
    ),
    ...['130', '131', '132', '143'].map(
      (t) => `-s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type ${t} ${c('firewall')} -j ACCEPT`,
    ),
    ...['148', '149'].map(
      (t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 255 ${c('firewall')} -j ACCEPT`,
    ),
    ...['151', '152', '153'].map(
      (t) => `-s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 1 ${c('firewall')} -j ACCEPT`,
    ),
    `-d fe80::/10 -p udp -m udp --sport 547 --dport 546 ${c('firewall')} -j ACCEPT`,
  ],
}
const JUMP = '-m comment --comment "dockwall:jump"'

const host = (table: 'filter' | 'nat' | 'raw', chain: string, spec: string) => ({
  namespace: 'host',
  family: 'ipv4',
  table,
  chain,
  spec,
})
const host6 = (table: 'filter' | 'nat' | 'raw', chain: string, spec: string) => ({
  namespace: 'host',
  family: 'ipv6',
  table,
  chain,
  spec,
})
const inWeb = (table: 'filter' | 'nat', chain: string, spec: string) => ({
  namespace: 'container.web',
  family: 'ipv4',
  table,
  chain,
  spec,
})

function actions(plan: PlanJson): Record<string, string> {
  return Object.fromEntries(plan.resource_changes.map((r) => [r.address, r.action]))
}

function change(plan: PlanJson, address: string): ChangeJson {
  const found = plan.resource_changes.find((r) => r.address === address)
  if (!found)
    throw new Error(`no change for ${address} in the plan: ${plan.resource_changes.map((r) => r.address).join(', ')}`)
  return found
}

describe.each(['nft', 'legacy'] as const)('plan, %s backend', (backend: Backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`plan-${backend}`)
  const statePath = join(dir.path, 'dockwall.state.json')
  /** Docker 28+: Docker drops direct access to containers in raw PREROUTING, and dockwall opens its flows there. */
  const hasRaw = (): boolean => sandbox().engine.major >= 28
  /** The owned chains, the raw one included where the engine needs it. */
  const chains = (): string[] => [...CHAINS, ...(hasRaw() ? [RAW] : [])]
  /** web_to_db's lines: its filter accepts and, on Docker 28+, the same flows opened in raw. */
  const webToDbLines = (): ReturnType<typeof host>[] => [
    ...LINES.webToDb.map((s) => host('filter', 'DOCKWALL-FORWARD', s)),
    ...(hasRaw() ? LINES.webToDb.map((s) => host('raw', 'DOCKWALL-PREROUTING', s)) : []),
  ]
  // The plan counts what the configuration declares; dockwall's chains are counted on their own line (issue 14).
  const toAdd = (): number => RESOURCES.length
  const impliedLine = (): string =>
    `Implied, not declared: ${chains().length} to add, 0 to change, 0 to destroy (${chains().length} dockwall chains).\n`

  const run = (args: readonly string[], config = CONFIG): Promise<CliResult> =>
    dockwall(sandbox(), dir.path, [...args, ...hostArgs(sandbox()), '-c', config, '--state', statePath])
  /** `plan --json --detailed-exitcode`: 0 without changes, 2 with. */
  const planJson = async (exitCode: 0 | 2, extra: readonly string[] = [], config = CONFIG): Promise<PlanJson> =>
    parseJson<PlanJson>(expectExit(await run(['plan', '--json', '--detailed-exitcode', ...extra], config), exitCode))
  /** Both namespaces dockwall writes to, as iptables-save prints them (counters and dates left out). */
  const snapshot = async (sb: Sandbox) => ({
    host: stableSave(await sb.iptablesSave()),
    host6: stableSave(await sb.iptablesSave({family: 6})),
    web: stableSave(await containerSave(sb, 'dw-web')),
  })

  beforeAll(async () => {
    // The empty host: Docker runs, web and db run on a network dockwall does not manage.
    const sb = sandbox()
    await sb.createNetwork('dw-lan', '10.77.9.0/24')
    await sb.runContainer('dw-web', {network: 'dw-lan', ip: '10.77.9.10'})
    await sb.runContainer('dw-db', {network: 'dw-lan', ip: '10.77.9.20'})
  })
  afterAll(() => dir.remove())

  describe('on an empty host', () => {
    let emptyPlan: PlanJson

    it('plans every block type: creates in dependency order, with the exact iptables lines', async () => {
      const plan = (emptyPlan = await planJson(2))
      expect(plan).toMatchObject({
        format_version: '1.4',
        mode: 'normal',
        applyable: true,
        targets: [],
        warnings: [],
        resource_drift: [],
        prior_state: {serial: 0, lineage: null},
      })
      expect(plan.summary).toMatchObject({
        add: toAdd(),
        change: 0,
        destroy: 0,
        replace: 0,
        deferred: 0,
        drift: 0,
        implied: {add: chains().length, change: 0, destroy: 0},
      })
      expect(actions(plan)).toEqual(Object.fromEntries([...chains(), ...RESOURCES].sort().map((a) => [a, 'create'])))
      // The chains stay in resource_changes (apply makes them), marked as implied.
      expect(plan.resource_changes.filter((r) => r.implied === true).map((r) => r.address)).toEqual(chains().sort())
      for (const r of plan.resource_changes) expect(r.change.actions, r.address).toEqual(['create'])

      // Dependencies: attachments on their networks, routes and rules on the attachments that give the addresses.
      const deps = Object.fromEntries(plan.resource_changes.map((r) => [r.address, r.depends_on]))
      expect(deps).toMatchObject({
        'container.web.network.front': ['network.front'],
        'container.db.network.back': ['network.back'],
        'container.web.route["10.8.0.0/24"]': ['container.web.network.front'],
        'rule.web_to_db': ['container.db.network.back', 'container.web.network.front', 'firewall'],
        'port_forward.web_inside': ['container.web.network.front'],
        'masquerade.back_out': ['network.back'],
      })

      expect(change(plan, 'network.front').after).toEqual({
        name: 'dw-front',
        driver: 'bridge',
        subnet: '10.77.1.0/24',
        gateway: '10.77.1.1',
        ip_range: null,
        ipv6: false,
        ipv6_subnet: null,
        ipv6_gateway: null,
        ipv6_ip_range: null,
        internal: false,
        labels: {},
        options: {},
      })
      expect(change(plan, 'container.web.network.front').after).toEqual({
        container: 'dw-web',
        network: 'dw-front',
        ipv4_address: '10.77.1.10',
        ipv6_address: null,
        aliases: [],
      })
      expect(change(plan, 'container.web.route["10.8.0.0/24"]').after).toEqual({
        container: 'dw-web',
        destination: '10.8.0.0/24',
        via: '10.77.1.1',
      })

      expect(change(plan, 'rule.web_to_db').lines).toEqual({before: [], after: webToDbLines()})
      expect(change(plan, 'rule.db_no_egress').lines?.after).toEqual(
        LINES.dbNoEgress.map((s) => host('filter', 'DOCKWALL-FORWARD', s)),
      )
      expect(change(plan, 'rule.ssh_from_lan').lines?.after).toEqual([
        host('filter', 'DOCKWALL-INPUT', LINES.sshFromLan),
      ])
      // A port forward on a host interface: the DNAT and the accept that lets it through FORWARD.
      expect(change(plan, 'port_forward.ext_http').lines?.after).toEqual([
        host('filter', 'DOCKWALL-FORWARD', LINES.extHttpAccept),
        host('nat', 'DOCKWALL-PREROUTING', LINES.extHttpDnat),
      ])
      // A port forward inside the container's namespace.
      expect(change(plan, 'port_forward.web_inside').lines?.after).toEqual([
        inWeb('nat', 'DOCKWALL-PREROUTING', LINES.webInside),
      ])
      expect(change(plan, 'masquerade.back_out').lines?.after).toEqual([
        host('nat', 'DOCKWALL-POSTROUTING', LINES.backOut),
      ])
      expect(change(plan, 'firewall').lines?.after).toEqual([
        host('filter', 'DOCKWALL-FORWARD', LINES.established),
        ...LINES.inputHead.map((s) => host('filter', 'DOCKWALL-INPUT', s)),
        host('filter', 'DOCKWALL-INPUT', LINES.inputDrop),
        ...LINES.inputHead6.map((s) => host6('filter', 'DOCKWALL-INPUT', s)),
        host6('filter', 'DOCKWALL-INPUT', LINES.inputDrop),
      ])
      expect(change(plan, INPUT6)).toMatchObject({
        after: {namespace: 'host', family: 'ipv6', table: 'filter', chain: 'DOCKWALL-INPUT', jump_from: 'INPUT'},
        lines: {before: [], after: [host6('filter', 'INPUT', `${JUMP} -j DOCKWALL-INPUT`)]},
      })
      expect(change(plan, 'chain["host:DOCKWALL-FORWARD"]')).toMatchObject({
        after: {
          namespace: 'host',
          family: 'ipv4',
          table: 'filter',
          chain: 'DOCKWALL-FORWARD',
          jump_from: 'DOCKER-USER',
        },
        lines: {before: [], after: [host('filter', 'DOCKER-USER', `${JUMP} -j DOCKWALL-FORWARD`)]},
      })

      // One restore per (namespace, family, table): IPv4 before IPv6, filter before nat before raw, on the namespace's backend.
      expect(plan.firewall_transactions.map((t) => [t.namespace, t.family, t.table, t.backend])).toEqual([
        ['host', 'ipv4', 'filter', backend],
        ['host', 'ipv4', 'nat', backend],
        ...(hasRaw() ? [['host', 'ipv4', 'raw', backend]] : []),
        ['host', 'ipv6', 'filter', backend],
        ['container.web', 'ipv4', 'nat', backend],
      ])
      if (hasRaw())
        expect(change(plan, RAW)).toMatchObject({
          after: {
            namespace: 'host',
            family: 'ipv4',
            table: 'raw',
            chain: 'DOCKWALL-PREROUTING',
            jump_from: 'PREROUTING',
          },
        })
      expect(plan.firewall_transactions.at(-1)?.input).toBe(
        [
          '*nat',
          ':DOCKWALL-PREROUTING - [0:0]',
          `-A DOCKWALL-PREROUTING ${LINES.webInside}`,
          `-I PREROUTING 1 ${JUMP} -j DOCKWALL-PREROUTING`,
          'COMMIT',
          '',
        ].join('\n'),
      )
      // The forward chain's order: replies first, then by priority and address, drops last.
      expect(
        plan.firewall_transactions[0]?.input
          .split('\n')
          .filter((l) => l.startsWith('-A DOCKWALL-FORWARD '))
          .map((l) => l.slice('-A DOCKWALL-FORWARD '.length)),
      ).toEqual([LINES.established, LINES.extHttpAccept, ...LINES.webToDb, ...LINES.dbNoEgress])
    })

    it('prints the plan as text and exits 2 with --detailed-exitcode', async () => {
      const result = expectExit(await run(['plan', '--no-tty', '--detailed-exitcode']), 2)
      expect(result.stderr).toBe('')
      expect(result.stdout).toContain(`Plan: ${toAdd()} to add, 0 to change, 0 to destroy.\n${impliedLine()}`)
      expect(result.stdout).toContain('        # ip6tables: host, filter table\n')
      expect(result.stdout).toContain('  # port_forward.web_inside will be created\n')
      expect(result.stdout).toContain(`      + -A DOCKWALL-PREROUTING ${LINES.webInside}\n`)
      expect(result.stdout).not.toContain('\u001B[')
    })

    it('saves the plan with --out; show FILE prints the same plan without Docker', async () => {
      const file = join(dir.path, 'empty.plan')
      const saved = expectExit(await run(['plan', '--no-tty', '--out', file]), 0)
      const message = `\nSaved the plan to ${file}. To perform exactly these actions, run:\n  dockwall apply ${file}\n`
      expect(saved.stdout.endsWith(message)).toBe(true)
      const text = saved.stdout.slice(0, -message.length)
      expect(text).toContain(`Plan: ${toAdd()} to add, 0 to change, 0 to destroy.\n${impliedLine()}`)
      expect(statSync(file).mode & 0o777).toBe(0o600)

      // show FILE needs neither the sandbox nor the configuration; it shows the plan as it was made.
      const shown = expectExit(await dockwall(sandbox(), dir.path, ['show', file]), 0)
      expect(shown.stdout).toBe(text)
      const shownJson = parseJson<PlanJson>(
        expectExit(await dockwall(sandbox(), dir.path, ['show', '--json', file]), 0),
      )
      expect(shownJson).toEqual(emptyPlan)
    })

    it('limits the plan with --target to the resource and what it depends on', async () => {
      const plan = await planJson(2, ['--target', 'rule.web_to_db'])
      expect(plan.targets).toEqual(['rule.web_to_db'])
      expect(Object.keys(actions(plan))).toEqual(
        [
          FORWARD,
          'chain["host:DOCKWALL-INPUT"]',
          INPUT6,
          'container.db.network.back',
          'container.web.network.front',
          'firewall',
          'network.back',
          'network.front',
          'rule.web_to_db',
          ...(hasRaw() ? [RAW] : []),
        ].sort(),
      )
      // The firewall block (a dependency) comes with its IPv6 lines.
      expect(plan.firewall_transactions.map((t) => [t.namespace, t.family, t.table])).toEqual([
        ['host', 'ipv4', 'filter'],
        ...(hasRaw() ? [['host', 'ipv4', 'raw']] : []),
        ['host', 'ipv6', 'filter'],
      ])
      expect(plan.firewall_transactions[0]?.input).not.toContain('rule.ssh_from_lan')

      const unknown = await run(['plan', '--no-tty', '--target', 'rule.web_to_dbb'])
      expect(unknown.exitCode).toBe(1)
      expect(unknown.stderr).toContain(
        '--target rule.web_to_dbb: no such resource in the configuration or the state (did you mean rule.web_to_db?)',
      )
    })

    it('prints the dependency graph as DOT (and Mermaid)', async () => {
      const plan = emptyPlan
      const dot = expectExit(await run(['graph']), 0).stdout
      expect(dot.startsWith('digraph dockwall {\n')).toBe(true)
      expect(dot.endsWith('}\n')).toBe(true)
      // Balanced braces outside quoted strings.
      const bare = dot.replaceAll(/"(?:[^"\\]|\\.)*"/g, '""')
      expect(bare.split('{').length).toBe(bare.split('}').length)
      // One declaration per node, every edge between declared nodes, one edge per dependency.
      const id = String.raw`"((?:[^"\\]|\\.)*)"`
      const unquote = (s: string) => s.replaceAll(/\\(.)/g, '$1')
      const nodes = [...dot.matchAll(new RegExp(`^  ${id} \\[label=.*\\];$`, 'gm'))].map((m) => unquote(m[1] as string))
      const edges = [...dot.matchAll(new RegExp(`^  ${id} -> ${id};$`, 'gm'))].map((m) => [
        unquote(m[1] as string),
        unquote(m[2] as string),
      ])
      expect(dot.trim().split('\n')).toHaveLength(3 + nodes.length + edges.length + 1)
      expect(nodes).toEqual(plan.resource_changes.map((r) => r.address))
      for (const [from, to] of edges) expect(nodes, `${from} -> ${to}`).toEqual(expect.arrayContaining([from, to]))
      expect(edges.sort()).toEqual(plan.resource_changes.flatMap((r) => r.depends_on.map((d) => [d, r.address])).sort())

      const mermaid = expectExit(await run(['graph', '--format', 'mermaid']), 0).stdout
      expect(mermaid.startsWith('flowchart LR\n')).toBe(true)
      expect(mermaid.match(/ --> /g)).toHaveLength(edges.length)
    })
  })

  describe('after the same content was made by hand', () => {
    let handMade: {host: string; web: string}

    beforeAll(async () => {
      // As an operator would have: docker network create / connect --ip, iptables-restore of
      // the same lines with dockwall's comments, ip route inside the container.
      const sb = sandbox()
      await sb.createNetwork('dw-front', '10.77.1.0/24', '10.77.1.1')
      await sb.createNetwork('dw-back', '10.77.2.0/24', '10.77.2.1')
      await sb.docker
        .getNetwork('dw-front')
        .connect({Container: 'dw-web', EndpointConfig: {IPAMConfig: {IPv4Address: '10.77.1.10'}}})
      await sb.docker
        .getNetwork('dw-back')
        .connect({Container: 'dw-db', EndpointConfig: {IPAMConfig: {IPv4Address: '10.77.2.20'}}})
      await sb.iptablesRestore(readFixture('plan-every-block', 'by-hand', 'host.rules'))
      if (hasRaw()) await sb.iptablesRestore(readFixture('plan-every-block', 'by-hand', 'host-raw.rules'))
      await sb.iptablesRestore(readFixture('plan-every-block', 'by-hand', 'host6.rules'), {family: 6})
      await containerRestore(sb, 'dw-web', readFixture('plan-every-block', 'by-hand', 'container-web.rules'))
      await inContainer(sb, 'dw-web', 'ip', ['route', 'add', '10.8.0.0/24', 'via', '10.77.1.1'])
      handMade = await snapshot(sb)
    })

    it('plans no changes (--detailed-exitcode exits 0), though the lines were written in loose form', async () => {
      // The hand-written lines were loose; iptables printed them in its normal form, which is dockwall's.
      expect(readFixture('plan-every-block', 'by-hand', 'host.rules')).toContain(
        '-s 10.77.1.10 -d 10.77.2.20 -p tcp --dport 5432',
      )
      expect(chainRules(handMade.host, 'filter', 'DOCKWALL-FORWARD')).toEqual([
        LINES.established,
        LINES.extHttpAccept,
        ...LINES.webToDb,
        ...LINES.dbNoEgress,
      ])

      const plan = await planJson(0)
      expect(plan.summary).toMatchObject({add: 0, change: 0, destroy: 0, replace: 0, deferred: 0, drift: 0})
      expect(plan.applyable).toBe(false)
      // Every declared resource is found as it should be (the owned chains need nothing either).
      expect(actions(plan)).toEqual(Object.fromEntries(RESOURCES.map((a) => [a, 'no-op'])))
      expect(plan.firewall_transactions).toEqual([])
      expect(plan.resource_drift).toEqual([])
    })

    it('defers what needs a container that does not exist yet, and plans the rest', async () => {
      const config = copyConfig(join(dir.path, 'deferred'), 'plan-every-block/config', 'plan-deferred')
      const plan = await planJson(2, [], config)
      expect(plan.summary).toMatchObject({add: 1, change: 0, destroy: 0, replace: 0, deferred: 4, drift: 0})
      const deferred = plan.resource_changes.filter((r) => r.action === 'deferred').map((r) => [r.address, r.reasons])
      expect(deferred).toEqual([
        ['container.ghost.network.front', ['container "dw-ghost" does not exist yet; it is connected when it appears']],
        ['container.ghost.route["10.9.0.0/24"]', ['container "dw-ghost" does not exist yet']],
        ['port_forward.ghost_inside', ['container.ghost does not exist yet']],
        ['rule.phantom_to_web', ['container.phantom has no address yet']],
      ])
      // dw-ghost's declared address is enough for a rule about it.
      const ghostToDb = [
        `-s 10.77.1.30/32 -d 10.77.2.20/32 -p tcp -m tcp --dport 5432 ${c('rule.ghost_to_db')} -j ACCEPT`,
        `-s 10.77.1.30/32 -d 10.77.9.20/32 -p tcp -m tcp --dport 5432 ${c('rule.ghost_to_db')} -j ACCEPT`,
      ]
      expect(change(plan, 'rule.ghost_to_db')).toMatchObject({
        action: 'create',
        lines: {
          before: [],
          after: [
            ...ghostToDb.map((s) => host('filter', 'DOCKWALL-FORWARD', s)),
            ...(hasRaw() ? ghostToDb.map((s) => host('raw', 'DOCKWALL-PREROUTING', s)) : []),
          ],
        },
      })
      // The rest plans as before.
      for (const address of RESOURCES) expect(change(plan, address).action, address).toBe('no-op')
      // ghost_to_db is IPv4 only (dw-ghost has no IPv6 address): ip6tables are left alone.
      expect(plan.firewall_transactions.map((t) => [t.namespace, t.family, t.table])).toEqual([
        ['host', 'ipv4', 'filter'],
        ...(hasRaw() ? [['host', 'ipv4', 'raw']] : []),
      ])
      expect(plan.firewall_transactions[0]?.input).not.toMatch(/ghost_inside|phantom/)
    })

    it('apply adopts it into the state without touching iptables', async () => {
      const result = expectExit(await run(['apply', '--auto-approve', '--no-tty']), 0)
      expect(result.stdout).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.')
      expect(await snapshot(sandbox())).toEqual(handMade)
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as {
        resources: Array<{address: string; lines?: unknown[]}>
      }
      expect(state.resources.map((r) => r.address).sort()).toEqual(RESOURCES)
      // The state now knows each resource's lines: removing one by hand is drift from here on.
      // The state says family only on IPv6 lines, so an IPv4-only state keeps its earlier bytes.
      const {family: _v4, ...v4Line} = host('filter', 'DOCKWALL-INPUT', LINES.sshFromLan)
      expect(state.resources.find((r) => r.address === 'rule.ssh_from_lan')?.lines).toEqual([v4Line])
      expect(state.resources.find((r) => r.address === 'firewall')?.lines).toContainEqual(
        host6('filter', 'DOCKWALL-INPUT', LINES.inputDrop),
      )
      expect((await planJson(0)).summary).toMatchObject({add: 0, change: 0, destroy: 0, drift: 0})
    })

    it('shows a rule deleted by hand as drift plus a create', async () => {
      const sb = sandbox()
      await sb.iptables([
        '-D',
        'DOCKWALL-INPUT',
        '-s',
        '198.18.0.0/24',
        '-p',
        'tcp',
        '--dport',
        '2222',
        '-m',
        'comment',
        '--comment',
        'dockwall:rule.ssh_from_lan',
        '-j',
        'ACCEPT',
      ])

      const plan = await planJson(2)
      expect(plan.resource_drift).toEqual([
        {
          address: 'rule.ssh_from_lan',
          kind: 'deleted',
          summary: 'its 1 iptables line was removed outside dockwall (a firewall reload?)',
        },
      ])
      expect(plan.summary).toMatchObject({add: 1, change: 0, destroy: 0, replace: 0, deferred: 0, drift: 1})
      expect(Object.entries(actions(plan)).filter(([, a]) => a !== 'no-op')).toEqual([['rule.ssh_from_lan', 'create']])
      expect(change(plan, 'rule.ssh_from_lan').lines).toEqual({
        before: [],
        after: [host('filter', 'DOCKWALL-INPUT', LINES.sshFromLan)],
      })
      // The whole chain is rewritten in one transaction, the line back in its place.
      expect(plan.firewall_transactions).toHaveLength(1)
      expect(plan.firewall_transactions[0]).toMatchObject({
        namespace: 'host',
        table: 'filter',
        backend,
        addresses: ['rule.ssh_from_lan'],
      })
      expect(plan.firewall_transactions[0]?.input).toContain(
        [...LINES.inputHead, LINES.sshFromLan, LINES.inputDrop].map((s) => `-A DOCKWALL-INPUT ${s}`).join('\n'),
      )

      const text = expectExit(await run(['plan', '--no-tty', '--detailed-exitcode']), 2).stdout
      expect(text).toContain('  # rule.ssh_from_lan has been deleted\n')
      expect(text).toContain('  # rule.ssh_from_lan will be created\n')
    })

    it('shows a foreign rule inserted into DOCKWALL-FORWARD as drift plus a chain update', async () => {
      await sandbox().iptables(['-I', 'DOCKWALL-FORWARD', '2', '-s', '10.99.0.1', '-j', 'ACCEPT'])

      const plan = await planJson(2)
      const foreign = host('filter', 'DOCKWALL-FORWARD', '-s 10.99.0.1/32 -j ACCEPT')
      expect(plan.resource_drift).toEqual([
        {
          address: FORWARD,
          kind: 'foreign-rule',
          summary: 'a rule dockwall did not write was inserted in DOCKWALL-FORWARD: -s 10.99.0.1/32 -j ACCEPT',
          line: foreign,
        },
        {
          address: 'rule.ssh_from_lan',
          kind: 'deleted',
          summary: 'its 1 iptables line was removed outside dockwall (a firewall reload?)',
        },
      ])
      expect(Object.entries(actions(plan)).filter(([, a]) => a !== 'no-op')).toEqual([
        [FORWARD, 'update'],
        ['rule.ssh_from_lan', 'create'],
      ])
      const update = change(plan, FORWARD)
      expect(update.reasons).toEqual(['remove 1 rule not written by dockwall'])
      // The foreign line goes; the jump (written by hand, without a comment) stays where it is.
      const jump = host('filter', 'DOCKER-USER', '-j DOCKWALL-FORWARD')
      expect(update.lines).toEqual({before: [foreign, jump], after: [jump]})
      const input = plan.firewall_transactions[0]?.input ?? ''
      expect(input).toContain(':DOCKWALL-FORWARD - [0:0]\n')
      expect(input).not.toContain('10.99.0.1')
      expect(input).not.toContain('DOCKER-USER')
    })

    it('--refresh-only reports the drift and plans no change', async () => {
      // Exit code 2 with --detailed-exitcode: the drift would change the state (as Terraform's -refresh-only).
      const plan = await planJson(2, ['--refresh-only'])
      expect(plan).toMatchObject({
        mode: 'refresh-only',
        applyable: false,
        resource_changes: [],
        firewall_transactions: [],
      })
      expect(plan.resource_drift.map((d) => [d.address, d.kind])).toEqual([
        [FORWARD, 'foreign-rule'],
        ['rule.ssh_from_lan', 'deleted'],
      ])
      expect(plan.summary).toMatchObject({add: 0, change: 0, destroy: 0, replace: 0, deferred: 0, drift: 2})
    })

    it('apply repairs the drift in one transaction; the plan is empty again', async () => {
      const result = expectExit(await run(['apply', '--auto-approve', '--no-tty']), 0)
      // The rule is declared; the forward chain, rid of the foreign rule, is dockwall's own.
      expect(result.stdout).toContain(
        'Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\nImplied, not declared: 0 added, 1 changed, 0 destroyed.\n',
      )
      expect(await snapshot(sandbox())).toEqual(handMade)
      expect((await planJson(0)).resource_drift).toEqual([])
    })

    it('plan --destroy removes every line and route, and releases the networks and attachments it adopted', async () => {
      const plan = await planJson(2, ['--destroy'])
      expect(plan.mode).toBe('destroy')
      expect(actions(plan)).toEqual(Object.fromEntries([...chains(), ...RESOURCES].sort().map((a) => [a, 'delete'])))
      expect(change(plan, 'network.front')).toMatchObject({after: null, ids: {origin: 'adopted', forget: 'true'}})
      expect(change(plan, 'container.web.network.front')).toMatchObject({ids: {origin: 'adopted', forget: 'true'}})
      expect(change(plan, 'rule.web_to_db').lines).toEqual({before: webToDbLines(), after: []})
      expect(plan.firewall_transactions.map((t) => [t.namespace, t.family, t.table])).toEqual([
        ['host', 'ipv4', 'filter'],
        ['host', 'ipv4', 'nat'],
        ...(hasRaw() ? [['host', 'ipv4', 'raw']] : []),
        ['host', 'ipv6', 'filter'],
        ['container.web', 'ipv4', 'nat'],
      ])
      expect(plan.firewall_transactions[0]?.input).toBe(
        [
          '*filter',
          ':DOCKWALL-FORWARD - [0:0]',
          ':DOCKWALL-INPUT - [0:0]',
          '-D DOCKER-USER -j DOCKWALL-FORWARD',
          `-D INPUT ${JUMP} -j DOCKWALL-INPUT`,
          '-X DOCKWALL-FORWARD',
          '-X DOCKWALL-INPUT',
          'COMMIT',
          '',
        ].join('\n'),
      )
    })

    it('destroy, then apply from scratch, leaves a host the plan finds unchanged', async () => {
      const sb = sandbox()
      expectExit(await run(['destroy', '--auto-approve', '--no-tty']), 0)
      const after = await snapshot(sb)
      expect(after.host).not.toContain('DOCKWALL')
      expect(after.host6).not.toContain('DOCKWALL')
      expect(after.web).not.toContain('DOCKWALL')
      // Adopted networks were released, not removed.
      expect((await sb.docker.listNetworks()).map((n) => n.Name)).toEqual(
        expect.arrayContaining(['dw-front', 'dw-back']),
      )

      expectExit(await run(['apply', '--auto-approve', '--no-tty']), 0)
      expect((await planJson(0)).summary).toMatchObject({add: 0, change: 0, destroy: 0, drift: 0})
      expect(chainRules(stableSave(await sb.iptablesSave()), 'filter', 'DOCKWALL-FORWARD')).toEqual([
        LINES.established,
        LINES.extHttpAccept,
        ...LINES.webToDb,
        ...LINES.dbNoEgress,
      ])
    })
  })
})
