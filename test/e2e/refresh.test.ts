// `dockwall show --actual` against a real Docker engine (issue 3), on both iptables
// backends: networks and containers made through the sandbox, rules written by hand
// in the sandbox's host chains and, through nsenter, inside a container, and
// dockwall's report of all of it. Plus the Docker socket errors, which must be one
// clear line and exit code 1. Fixtures: fixtures/e2e/refresh-hand-rules/.
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Backend} from '../sandbox/index.js'
import type {ActualJson} from '../../src/ui/index.js'
import {useSandbox} from '../helpers/sandbox.js'
import {
  chainRules,
  containerRestore,
  containerSave,
  dockwall,
  expectExit,
  fixturePath,
  hostArgs,
  parseJson,
  readFixture,
  workdir,
} from './dockwall-e2e.js'

const CONFIG = fixturePath('refresh-hand-rules', 'config')

type NamespaceJson = ActualJson['namespaces'][number]

const byPosition = <T extends {table: string; position: number}>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : a.position - b.position))

describe.each(['nft', 'legacy'] as const)('show --actual, %s backend', (backend: Backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`refresh-${backend}`)
  const ids: Record<string, string> = {}
  let two: {ips: Record<string, string>}
  let hostSave = ''

  beforeAll(async () => {
    const sb = sandbox()
    // Given Docker's networks and containers: rf-one on rf-a, rf-two on both (dynamic
    // address on rf-a), rf-sleeper on rf-b and stopped.
    ids['rf-a'] = await sb.createNetwork('rf-a', '10.78.1.0/24', '10.78.1.1', {labels: {team: 'web'}})
    ids['rf-b'] = await sb.createNetwork('rf-b', '10.78.2.0/24', undefined, {internal: true})
    ids['rf-one'] = (await sb.runContainer('rf-one', {network: 'rf-a', ip: '10.78.1.10', aliases: ['one-alias']})).id
    two = await sb.runContainer('rf-two', {network: 'rf-a', extraNetworks: [{network: 'rf-b', ip: '10.78.2.20'}]})
    ids['rf-sleeper'] = (await sb.runContainer('rf-sleeper', {network: 'rf-b', ip: '10.78.2.30'})).id
    await sb.docker.getContainer('rf-sleeper').stop({t: 0})
    // And rules written by hand: host chains, and inside rf-one's namespace.
    await sb.iptablesRestore(readFixture('refresh-hand-rules', 'host.rules'))
    await containerRestore(sb, 'rf-one', readFixture('refresh-hand-rules', 'container-one.rules'))
    hostSave = await sb.iptablesSave()
  })
  afterAll(() => dir.remove())

  async function showActual(): Promise<ActualJson> {
    const sb = sandbox()
    const result = expectExit(
      await dockwall(sb, dir.path, ['show', '--actual', '--json', ...hostArgs(sb), '-c', CONFIG]),
      0,
    )
    expect(result.stderr).toBe('')
    return parseJson<ActualJson>(result)
  }

  it('reports the engine, the networks and the containers with their addresses and status', async () => {
    const sb = sandbox()
    const actual = await showActual()
    expect(actual.format_version).toBe('1.2')
    expect(actual.docker.engine.version).toBe(sb.engine.version)
    // Read from /_ping's headers (and /info from Docker 28 on): the same as Docker's own /version and /info.
    const [version, info] = await Promise.all([
      sb.docker.version(),
      sb.docker.info() as Promise<{FirewallBackend?: {Driver?: string}}>,
    ])
    expect(actual.docker.engine).toEqual({
      version: version.Version,
      api_version: version.ApiVersion,
      firewall_backend: info.FirewallBackend?.Driver ?? null,
    })
    expect(actual.docker.networks.map((n) => n.name)).toEqual(['bridge', 'host', 'none', 'rf-a', 'rf-b'])
    expect(actual.docker.networks.filter((n) => n.name.startsWith('rf-'))).toEqual([
      {
        id: ids['rf-a'],
        name: 'rf-a',
        driver: 'bridge',
        subnets: [{subnet: '10.78.1.0/24', gateway: '10.78.1.1'}],
        ipv6: false,
        ipv6_subnets: [],
        internal: false,
        labels: {team: 'web'},
      },
      {
        id: ids['rf-b'],
        name: 'rf-b',
        driver: 'bridge',
        subnets: [{subnet: '10.78.2.0/24', gateway: null}],
        ipv6: false,
        ipv6_subnets: [],
        internal: true,
        labels: {},
      },
    ])

    const containers = Object.fromEntries(actual.docker.containers.map((c) => [c.name, c]))
    expect(Object.keys(containers)).toEqual(['rf-one', 'rf-sleeper', 'rf-two'])
    // rf-one is named in the configuration, so it is inspected: PID and the aliases it was given (the short
    // id that Docker 20.10 adds to them, and 26+ does not, is left out on every engine).
    expect(containers['rf-one']).toEqual({
      id: ids['rf-one'],
      name: 'rf-one',
      status: 'running',
      pid: await sb.containerPid('rf-one'),
      endpoints: [
        {
          network: 'rf-a',
          ipv4_address: '10.78.1.10',
          static: true,
          ipv6_address: null,
          static_ipv6: false,
          aliases: ['one-alias'],
        },
      ],
    })
    // A stopped container is reported as stopped: no PID, no current address, its static one remembered.
    expect(containers['rf-sleeper']).toMatchObject({
      id: ids['rf-sleeper'],
      status: 'exited',
      pid: null,
      endpoints: [{network: 'rf-b', ipv4_address: null, static: true, aliases: expect.any(Array)}],
    })
    // rf-two is not in the configuration: the list call alone gives its addresses on both networks.
    expect(containers['rf-two']).toMatchObject({
      status: 'running',
      endpoints: [
        {network: 'rf-a', ipv4_address: two.ips['rf-a'], static: false},
        {network: 'rf-b', ipv4_address: '10.78.2.20', static: true},
      ],
    })
    // Neither the stopped container nor the missing one (rf-vanished) is an error.
    expect(actual.unreadable).toEqual([])
    expect(actual.namespaces.map((n) => n.key)).toEqual(['host', 'container.one'])
  })

  it('reports the host namespace exactly: backend and why, dockwall rules by address, jumps, foreign rules with chain and position', async () => {
    const actual = await showActual()
    const host = actual.namespaces[0] as NamespaceJson
    expect(host.key).toBe('host')
    expect(host.container).toBeNull()
    expect(host.backend).toBe(backend)
    expect(host.backend_reason).toMatch(
      new RegExp(`^${backend}: Docker's chains \\(DOCKER-USER, DOCKER, .*\\) are in iptables-${backend}$`),
    )
    expect(host.routes).toBeNull()
    // The host's ip6tables are always read; nothing of dockwall's is there in this story.
    expect(host.ipv6_read).toBe(true)
    expect(host.owned_chains.filter((c) => c.family === 'ipv6')).toEqual([])
    expect(host.foreign_rules.filter((c) => c.family === 'ipv6')).toEqual([])

    expect(host.owned_chains.filter((c) => c.family === 'ipv4')).toEqual([
      {
        family: 'ipv4',
        table: 'filter',
        chain: 'DOCKWALL-FORWARD',
        rules: [
          {
            spec: '-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "dockwall:firewall" -j ACCEPT',
            address: 'firewall',
          },
          {
            spec: '-s 10.78.1.10/32 -d 10.78.2.20/32 -p tcp -m tcp --dport 5432 -m comment --comment "dockwall:rule.one_to_two" -j ACCEPT',
            address: 'rule.one_to_two',
          },
          // Inside dockwall's chain but not dockwall's: no comment, or someone else's comment.
          {spec: '-s 10.78.9.9/32 -j DROP', address: null},
          {spec: '-s 10.78.9.10/32 -m comment --comment "ops: temporary block" -j DROP', address: null},
        ],
      },
      {
        family: 'ipv4',
        table: 'nat',
        chain: 'DOCKWALL-PREROUTING',
        rules: [
          {
            spec: '-i dwext9 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:port_forward.ext_http" -j DNAT --to-destination 10.78.1.10:8080',
            address: 'port_forward.ext_http',
          },
        ],
      },
    ])
    // Both jumps were inserted at the top; the one without a comment counts as well.
    expect(byPosition(host.jumps)).toEqual([
      {family: 'ipv4', table: 'filter', from: 'DOCKER-USER', to: 'DOCKWALL-FORWARD', position: 0},
      {family: 'ipv4', table: 'nat', from: 'PREROUTING', to: 'DOCKWALL-PREROUTING', position: 0},
    ])

    // Foreign rules: exactly the hand-written ones, in normal form. Positions are read from
    // iptables-save here (Docker's own rules around them differ between engine versions).
    const at = (table: string, chain: string, spec: string) => ({
      family: 'ipv4' as const,
      table,
      chain,
      position: chainRules(hostSave, table, chain).indexOf(spec),
      spec,
    })
    const expected = [
      at('filter', 'INPUT', '-p tcp -m tcp --dport 2222 -j ACCEPT'),
      at('filter', 'INPUT', '-i lo -j ACCEPT'),
      at('filter', 'DOCKER-USER', '-s 10.78.1.0/24 -d 10.78.2.0/24 -j ACCEPT'),
      at('nat', 'PREROUTING', '-i dwext9 -p udp -m udp --dport 53 -j DNAT --to-destination 10.78.1.10'),
      at('nat', 'POSTROUTING', '-s 10.78.2.0/24 -o eth0 -j MASQUERADE'),
    ]
    for (const e of expected) expect(e.position, `${e.chain} ${e.spec} in iptables-save`).toBeGreaterThanOrEqual(0)
    expect(expected.find((e) => e.chain === 'DOCKER-USER')?.position).toBe(1)
    expect(expected.find((e) => e.chain === 'INPUT' && e.spec.startsWith('-p'))?.position).toBe(0)
    // Docker's own lines (its bridges' FORWARD and MASQUERADE rules, DOCKER-USER's RETURN) are not listed.
    expect(byPosition(host.foreign_rules)).toEqual(byPosition(expected))
    // They are attributed to Docker instead: every other line of the watched chains, as iptables-save has them.
    const watched: Array<[string, string]> = [
      ['filter', 'INPUT'],
      ['filter', 'FORWARD'],
      ['filter', 'OUTPUT'],
      ['filter', 'DOCKER-USER'],
      ['nat', 'PREROUTING'],
      ['nat', 'POSTROUTING'],
      ['raw', 'PREROUTING'],
    ]
    const others = new Set(
      [...expected, ...host.jumps.map((j) => ({...j, chain: j.from}))].map(
        (x) => `${x.table} ${x.chain} ${x.position}`,
      ),
    )
    const dockers = watched.flatMap(([table, chain]) =>
      chainRules(hostSave, table, chain)
        .map((spec, position) => ({family: 'ipv4' as const, table, chain, position, spec}))
        .filter((x) => !others.has(`${x.table} ${x.chain} ${x.position}`)),
    )
    expect(byPosition(host.docker_rules.filter((d) => d.family === 'ipv4'))).toEqual(byPosition(dockers))
    // Docker 28 and later: its drops of direct access to each running container, in raw PREROUTING.
    const rawDrops = host.docker_rules.filter((d) => d.table === 'raw').map((d) => d.spec)
    if (sandbox().engine.major >= 28)
      expect(rawDrops).toEqual(
        expect.arrayContaining([expect.stringMatching(/^-d 10\.78\.1\.10\/32 ! -i br-[0-9a-f]{12} -j DROP$/)]),
      )
    else expect(rawDrops).toEqual([])
  })

  it('reads a container namespace through nsenter: its own backend, dockwall chain, jump and foreign rules', async () => {
    const sb = sandbox()
    const actual = await showActual()
    const one = actual.namespaces[1] as NamespaceJson
    // Docker's embedded DNS rules (and ours) are in the sandbox's backend.
    const inside = await containerSave(sb, 'rf-one')
    expect(inside).toContain(':DOCKER_OUTPUT - [0:0]')
    const dns = chainRules(inside, 'nat', 'POSTROUTING')
    expect(dns).toHaveLength(1)
    expect(one).toEqual({
      key: 'container.one',
      container: {name: 'rf-one', id: ids['rf-one'], pid: await sb.containerPid('rf-one')},
      backend,
      backend_reason: `${backend}: Docker's chains (DOCKER_OUTPUT, DOCKER_POSTROUTING) are in iptables-${backend}`,
      owned_chains: [
        {
          family: 'ipv4',
          table: 'filter',
          chain: 'DOCKWALL-INPUT',
          rules: [
            {
              spec: '-p tcp -m tcp --dport 9000 -m comment --comment "dockwall:rule.inside_one" -j ACCEPT',
              address: 'rule.inside_one',
            },
          ],
        },
      ],
      jumps: [{family: 'ipv4', table: 'filter', from: 'INPUT', to: 'DOCKWALL-INPUT', position: 0}],
      foreign_rules: [
        {family: 'ipv4', table: 'filter', chain: 'INPUT', position: 1, spec: '-s 10.78.1.0/24 -j ACCEPT'},
        {
          family: 'ipv4',
          table: 'nat',
          chain: 'PREROUTING',
          position: 0,
          spec: '-p tcp -m tcp --dport 8081 -j REDIRECT --to-ports 8080',
        },
      ],
      // Docker's embedded DNS, attributed to Docker.
      docker_rules: [{family: 'ipv4', table: 'nat', chain: 'POSTROUTING', position: 0, spec: dns[0]}],
      // rf-one has no IPv6 address and the state holds no IPv6 line there: its ip6tables are not read.
      ipv6_read: false,
      routes: null,
    })
  })

  it('prints the same facts as text', async () => {
    const sb = sandbox()
    const result = expectExit(await dockwall(sb, dir.path, ['show', '--actual', ...hostArgs(sb), '-c', CONFIG]), 0)
    const out = result.stdout
    expect(out).toContain(`Docker Engine ${sb.engine.version}`)
    expect(out).toMatch(/^ {2}rf-sleeper +exited +rf-b=- \(static\)$/m)
    expect(out).toMatch(/^ {2}rf-one +running +rf-a=10\.78\.1\.10 \(static\)$/m)
    expect(out).toMatch(new RegExp(`^Namespace host: iptables ${backend}: Docker's chains`, 'm'))
    expect(out).toContain('  jump: filter DOCKER-USER #1 -> DOCKWALL-FORWARD\n')
    expect(out).toContain('    [rule.one_to_two] -s 10.78.1.10/32 -d 10.78.2.20/32 -p tcp -m tcp --dport 5432')
    expect(out).toContain("    [not dockwall's] -s 10.78.9.9/32 -j DROP\n")
    expect(out).toContain('    filter DOCKER-USER #2: -s 10.78.1.0/24 -d 10.78.2.0/24 -j ACCEPT\n')
    expect(out).toMatch(/^Namespace container\.one \(pid \d+\): iptables /m)
    // Docker's own lines are listed as Docker's, after the others' (its default bridge appears only there).
    const [others, dockers] = out.split("  Docker's own rules in those chains (left alone):\n")
    expect(dockers).toContain('    nat POSTROUTING #')
    expect(dockers).toContain('-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n')
    expect(others).not.toContain('docker0')
  })

  describe('Docker socket errors: one line, exit code 1', () => {
    const refusing = join(dir.path, 'refusing.sock')

    beforeAll(async () => {
      // A unix socket file nobody listens on: the listener is killed before it can remove it.
      await execa(
        process.execPath,
        [
          '-e',
          `require('net').createServer().listen(${JSON.stringify(refusing)}, () => process.kill(process.pid, 'SIGKILL'))`,
        ],
        {reject: false},
      )
      expect(existsSync(refusing)).toBe(true)
    })

    const cases = [
      {name: 'a missing socket', host: () => `unix://${join(dir.path, 'missing.sock')}`, message: 'no such socket'},
      {name: 'a socket that refuses', host: () => `unix://${refusing}`, message: 'connection refused'},
      {name: 'a TCP port that refuses', host: () => 'tcp://127.0.0.1:1', message: 'connection refused'},
    ]
    for (const c of cases) {
      for (const command of [
        ['show', '--actual'],
        ['plan', '--no-tty'],
      ]) {
        it(`${command.join(' ')} with ${c.name}`, async () => {
          const sb = sandbox()
          const result = await dockwall(sb, dir.path, [
            ...command,
            '--netns',
            sb.netnsPath,
            '--docker-host',
            c.host(),
            '-c',
            CONFIG,
            '--state',
            join(dir.path, 'errors.state.json'),
          ])
          expect(result.exitCode).toBe(1)
          expect(result.stdout).toBe('')
          const lines = result.stderr.trimEnd().split('\n')
          expect(lines).toHaveLength(1)
          expect(lines[0]).toMatch(
            new RegExp(
              `^Error: Cannot connect to the Docker Engine at ${c.host().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${c.message}\\.`,
            ),
          )
        })
      }
    }
  })
})
