// The flows issue 12 names, with real traffic, on every engine of the matrix and both
// backends: a rule across two networks in each direction, a client routed straight to a
// container from an external namespace, a host-interface DNAT, a DNAT inside a container
// reached from another network, and replies to a network that does not masquerade. front
// and back are dual-stack: the rules between their containers, the DNAT on the host
// interface and the one inside api carry IPv6 traffic too, with ip6tables. On Docker 28 each
// accepted flow reaches filter only through dockwall's raw opening (in each family);
// everything undeclared stays dropped, by Docker. input_policy = "drop" closes a port of the
// host on both families while SSH and a published port stay reachable on both. A dockerd
// restart leaves every jump (raw and ip6tables included) on top after the next apply, and
// destroy leaves no dockwall line in any table of either family.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ExternalClient, Sandbox} from '../sandbox/index.js'
import {runCli, type CliResult} from '../helpers/cli.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {chainRules, containerSave, inContainer} from './dockwall-e2e.js'

/** The external client's IPv6 on the veth pair, next to its IPv4 (198.18.0.0/15, see ExternalClient). */
const EXT6 = {sandbox: 'fd61:ff::1', client: 'fd61:ff::2'}
/** A port of the host nobody allowed, SSH, and a port Docker publishes for container pub. */
const HOST_PORT = 7000
const SSH_PORT = 22
const PUBLISHED = 8090
/** Published for pub4, on the IPv4-only network: over IPv6 only Docker's userland proxy serves it. */
const PUBLISHED_V4_ONLY = 8091

const config = (ext: ExternalClient): string => `
network "front" {
  subnet       = "10.61.1.0/24"
  gateway      = "10.61.1.1"
  ipv6_subnet  = "fd61:1::/64"
  ipv6_gateway = "fd61:1::1"
}

network "back" {
  subnet       = "10.61.2.0/24"
  gateway      = "10.61.2.1"
  ipv6_subnet  = "fd61:2::/64"
  ipv6_gateway = "fd61:2::1"
}

# Its containers' traffic to other networks keeps its own source address.
network "plain" {
  subnet  = "10.61.3.0/24"
  gateway = "10.61.3.1"
  options = { "com.docker.network.bridge.enable_ip_masquerade" = "false" }
}

container "web" {
  network "front" {
    ipv4_address = "10.61.1.10"
    ipv6_address = "fd61:1::10"
  }
}

container "cli" {
  network "front" {
    ipv4_address = "10.61.1.20"
    ipv6_address = "fd61:1::20"
  }
}

container "api" {
  network "back" {
    ipv4_address = "10.61.2.10"
    ipv6_address = "fd61:2::10"
  }
}

container "job" {
  network "plain" {
    ipv4_address = "10.61.3.10"
  }
}

rule "cli_to_api" {
  from = container.cli
  to   = container.api
  port = 8080
}

rule "api_to_web" {
  from = container.api
  to   = container.web
  port = 8081
}

rule "ext_to_web" {
  from         = "${ext.ip}"
  to           = container.web
  in_interface = "${ext.ifname}"
  port         = 8082
}

rule "cli_to_api_inside" {
  from = container.cli
  to   = container.api
  port = 9090
}

rule "job_to_api" {
  from = container.job
  to   = container.api
  port = 8080
}

port_forward "ext_http" {
  in_interface = "${ext.ifname}"
  port         = 8000
  to           = container.web
  to_port      = 80
}

port_forward "api_inside" {
  in_container = container.api
  port         = 9090
  to_port      = 80
}

firewall {
  input_policy = "drop"
  ssh_port     = ${SSH_PORT}
}
`

/** Every table of both families, of the sandbox and of every container's namespace. */
async function allRules(sb: Sandbox): Promise<string> {
  const inside = await Promise.all(
    ['web', 'cli', 'api', 'job'].flatMap((c) => [
      containerSave(sb, c),
      inContainer(sb, c, `ip6tables-${sb.backend}-save`, []).then((r) => r.stdout),
    ]),
  )
  return [await sb.iptablesSave(), await sb.iptablesSave({family: 6}), ...inside].join('\n')
}

describe.each(BACKENDS)('declared flows and nothing else, %s backend', (backend) => {
  // Docker writes ip6tables for its IPv6 networks, as an operator who turns IPv6 on has it.
  const sandbox = useSandbox(backend, {ip6tables: true})
  let dir: string
  let ext: ExternalClient
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(
      [
        ...args,
        '-c',
        dir,
        '--state',
        path.join(dir, 'state.json'),
        '--netns',
        sandbox().netnsPath,
        '--docker-host',
        sandbox().dockerHost,
      ],
      {env: {DOCKWALL_CACHE_DIR: path.join(dir, 'cache')}, timeoutMs: 120_000},
    )
  const hasRawDrops = (): boolean => sandbox().engine.major >= 28
  /** `name: reply or blocked` for each flow, so a failure shows the whole matrix. */
  const flows = async (): Promise<Record<string, string>> => {
    const sb = sandbox()
    const out: Record<string, string> = {}
    const c = async (name: string, from: string, to: string, port: number): Promise<void> => {
      const r = from === 'ext' ? await ext.connect(to, port) : await sb.connect({from, to, port})
      out[name] = r.ok ? r.reply : 'blocked'
    }
    await sb.listen('web', 80)
    await sb.listen('api', 80)
    await c('cli→api:8080 across networks', 'cli', '10.61.2.10', 8080)
    await c('api→web:8081 across, the other way', 'api', '10.61.1.10', 8081)
    await c('ext→web:8082 routed straight to the container', 'ext', '10.61.1.10', 8082)
    await c('ext→host:8000 DNAT on the host interface', 'ext', ext.sandboxIp, 8000)
    await c('cli→api:9090 DNAT inside api, from another network', 'cli', '10.61.2.10', 9090)
    await c('job→api:8080 from a network without masquerading', 'job', '10.61.2.10', 8080)
    // Undeclared: Docker's protection holds.
    await c('cli→api:8083 undeclared port', 'cli', '10.61.2.10', 8083)
    await c('api→cli:8080 undeclared direction', 'api', '10.61.1.20', 8080)
    await c('web→api:8080 undeclared source', 'web', '10.61.2.10', 8080)
    await c('ext→api:8080 undeclared routed client', 'ext', '10.61.2.10', 8080)
    await c('ext→web:8083 undeclared port of a routed client', 'ext', '10.61.1.10', 8083)
    await c('api→job:8080 undeclared, towards the network without masquerading', 'api', '10.61.3.10', 8080)
    // IPv6, between the dual-stack networks: the same rules, written with ip6tables.
    await c('cli→api:8080 over IPv6', 'cli', 'fd61:2::10', 8080)
    await c('api→web:8081 over IPv6, the other way', 'api', 'fd61:1::10', 8081)
    await c('ext→host:8000 over IPv6, DNAT on the host interface', 'ext', EXT6.sandbox, 8000)
    await c('cli→api:9090 over IPv6, DNAT inside api', 'cli', 'fd61:2::10', 9090)
    await c('cli→api:8083 over IPv6, undeclared port', 'cli', 'fd61:2::10', 8083)
    await c('api→cli:8080 over IPv6, undeclared direction', 'api', 'fd61:1::20', 8080)
    await c('web→api:8080 over IPv6, undeclared source', 'web', 'fd61:2::10', 8080)
    // ext_to_web names the client's IPv4 address: its IPv6 one is not allowed.
    await c('ext→web:8082 over IPv6, a rule for the IPv4 client only', 'ext', 'fd61:1::10', 8082)
    return out
  }
  const declared = {
    'cli→api:8080 across networks': 'dockwall-ok api 8080',
    'api→web:8081 across, the other way': 'dockwall-ok web 8081',
    'ext→web:8082 routed straight to the container': 'dockwall-ok web 8082',
    'ext→host:8000 DNAT on the host interface': 'dockwall-ok web 80',
    'cli→api:9090 DNAT inside api, from another network': 'dockwall-ok api 80',
    'job→api:8080 from a network without masquerading': 'dockwall-ok api 8080',
    'cli→api:8083 undeclared port': 'blocked',
    'api→cli:8080 undeclared direction': 'blocked',
    'web→api:8080 undeclared source': 'blocked',
    'ext→api:8080 undeclared routed client': 'blocked',
    'ext→web:8083 undeclared port of a routed client': 'blocked',
    'api→job:8080 undeclared, towards the network without masquerading': 'blocked',
    'cli→api:8080 over IPv6': 'dockwall-ok api 8080',
    'api→web:8081 over IPv6, the other way': 'dockwall-ok web 8081',
    'ext→host:8000 over IPv6, DNAT on the host interface': 'dockwall-ok web 80',
    'cli→api:9090 over IPv6, DNAT inside api': 'dockwall-ok api 80',
    'cli→api:8083 over IPv6, undeclared port': 'blocked',
    'api→cli:8080 over IPv6, undeclared direction': 'blocked',
    'web→api:8080 over IPv6, undeclared source': 'blocked',
    'ext→web:8082 over IPv6, a rule for the IPv4 client only': 'blocked',
  }
  /** Listens on `port` of the sandbox namespace itself (the host dockwall manages), both families. */
  const listenOnHost = (port: number): Promise<void> =>
    sandbox().listenIn({kind: 'path', path: sandbox().netnsPath}, port, 'host')

  beforeAll(async () => {
    const sb = sandbox()
    dir = mkdtempSync(path.join(tmpdir(), `dockwall-engines-${backend}-`))
    // Containers that come back after a daemon restart; dockwall connects them to its networks.
    for (const name of ['web', 'cli', 'api', 'job']) await sb.runContainer(name, {restart: 'always'})
    ext = await sb.addExternalClient()
    // IPv6 on the same veth pair (no duplicate address detection: usable at once).
    await sb.netnsRun('ip', ['addr', 'add', `${EXT6.sandbox}/64`, 'dev', ext.ifname, 'nodad'])
    await ext.run('ip', ['addr', 'add', `${EXT6.client}/64`, 'dev', ext.clientIfname, 'nodad'])
    await ext.run('ip', ['-6', 'route', 'add', 'default', 'via', EXT6.sandbox])
    await listenOnHost(HOST_PORT)
    await listenOnHost(SSH_PORT)
    writeFileSync(path.join(dir, 'main.hcl'), config(ext))
    const r = await cli(['apply', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    // A container dockwall does not manage, with a published port, on front (both families).
    await sb.runContainer('pub', {network: 'front', publish: [{hostPort: PUBLISHED, containerPort: 80}]})
    await sb.listen('pub', 80)
    await sb.runContainer('pub4', {network: 'plain', publish: [{hostPort: PUBLISHED_V4_ONLY, containerPort: 80}]})
    await sb.listen('pub4', 80)
    // Only dockwall's networks: off Docker's default bridge, then apply again for the addresses that left.
    for (const name of ['web', 'cli', 'api', 'job']) await sb.docker.getNetwork('bridge').disconnect({Container: name})
    expect((await cli(['apply', '--auto-approve'])).exitCode).toBe(0)
  })

  afterAll(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('lets exactly the declared flows through, both directions and routed clients included', async () => {
    expect(await flows()).toEqual(declared)
    expect((await cli(['plan', '--detailed-exitcode', '--no-tty'])).exitCode).toBe(0)
  })

  it('input_policy = "drop" closes a host port on both families; SSH and a published port stay reachable on both', async () => {
    const sb = sandbox()
    const reach = async (ip: string, port: number): Promise<string> => {
      const r = await ext.connect(ip, port)
      return r.ok ? r.reply : 'blocked'
    }
    expect({
      v4: await reach(ext.sandboxIp, HOST_PORT),
      v6: await reach(EXT6.sandbox, HOST_PORT),
      ssh4: await reach(ext.sandboxIp, SSH_PORT),
      ssh6: await reach(EXT6.sandbox, SSH_PORT),
      published4: await reach(ext.sandboxIp, PUBLISHED),
      published6: await reach(EXT6.sandbox, PUBLISHED),
      proxied4: await reach(ext.sandboxIp, PUBLISHED_V4_ONLY),
      proxied6: await reach(EXT6.sandbox, PUBLISHED_V4_ONLY),
    }).toEqual({
      v4: 'blocked',
      v6: 'blocked',
      ssh4: `dockwall-ok host ${SSH_PORT}`,
      ssh6: `dockwall-ok host ${SSH_PORT}`,
      published4: `dockwall-ok pub 80`,
      published6: `dockwall-ok pub 80`,
      // Docker's DNAT carries it over IPv4; over IPv6 only its userland proxy serves it, through
      // the host's INPUT, which input_policy = "drop" closes (no input rule allows the port).
      proxied4: `dockwall-ok pub4 80`,
      proxied6: 'blocked',
    })
    // The closed port is there: the host itself reaches it over loopback, in each family.
    for (const lo of ['127.0.0.1', '::1']) {
      const r = await sb.netnsRun('busybox', ['nc', '-w', '2', lo, String(HOST_PORT)], {input: '', okExitCodes: [1]})
      expect(r.stdout.trim(), lo).toBe(`dockwall-ok host ${HOST_PORT}`)
    }
    // Closed by dockwall's chains, one per family, jumped to from the top of INPUT.
    for (const family of [4, 6] as const) {
      const save = await sb.iptablesSave({family, table: 'filter'})
      expect(chainRules(save, 'filter', 'INPUT')[0], `family ${family}`).toBe(
        '-m comment --comment "dockwall:jump" -j DOCKWALL-INPUT',
      )
      expect(chainRules(save, 'filter', 'DOCKWALL-INPUT').at(-1)).toBe(
        '-m comment --comment "dockwall:firewall" -j DROP',
      )
    }
  })

  it('plan and show --actual name the published port served over IPv6 by the proxy, and the container it leads to', async () => {
    const sb = sandbox()
    const pub4 = (await sb.docker.getContainer('pub4').inspect()).NetworkSettings.Networks.plain?.IPAddress
    expect(pub4).toMatch(/^10\.61\.3\./)
    const line = `tcp [::]:${PUBLISHED_V4_ONLY} -> container pub4 (${pub4}:80)`
    const plan = await cli(['plan', '--no-tty'])
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toContain(
      "reachable over IPv6 through Docker's userland proxy, where forward rules do not apply",
    )
    expect(plan.stdout).toContain(`${line}: closed by input_policy = "drop"`)
    const json = await cli(['show', '--actual', '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    expect((JSON.parse(json.stdout) as {published_over_ipv6: unknown[]}).published_over_ipv6).toContainEqual({
      proto: 'tcp',
      address: '::',
      port: PUBLISHED_V4_ONLY,
      container: 'pub4',
      to_address: pub4,
      to_port: 80,
    })
    expect((await cli(['show', '--actual'])).stdout).toContain(`\n  ${line}\n`)
  })

  it('on Docker 28, opens exactly those flows in raw PREROUTING, replies only where nothing masquerades', async () => {
    const raw = await sandbox().iptablesSave({table: 'raw'})
    const opening = chainRules(raw, 'raw', 'DOCKWALL-PREROUTING')
    if (!hasRawDrops()) {
      // 20.10 and 26 drop nothing in raw: no chain, no jump, in either family.
      expect(raw).not.toContain('DOCKWALL')
      expect(await sandbox().iptablesSave({family: 6, table: 'raw'})).not.toContain('DOCKWALL')
      return
    }
    expect(chainRules(raw, 'raw', 'PREROUTING')[0]).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING')
    const c = (address: string): string => `-m comment --comment "dockwall:${address}" -j ACCEPT`
    expect(opening.sort()).toEqual(
      [
        `-s 10.61.1.20/32 -d 10.61.2.10/32 -p tcp -m tcp --dport 8080 ${c('rule.cli_to_api')}`,
        `-s 10.61.1.20/32 -d 10.61.2.10/32 -p tcp -m tcp --dport 9090 ${c('rule.cli_to_api_inside')}`,
        `-s 10.61.2.10/32 -d 10.61.1.10/32 -p tcp -m tcp --dport 8081 ${c('rule.api_to_web')}`,
        `-s ${ext.ip}/32 -d 10.61.1.10/32 -i ${ext.ifname} -p tcp -m tcp --dport 8082 ${c('rule.ext_to_web')}`,
        `-s 10.61.3.10/32 -d 10.61.2.10/32 -p tcp -m tcp --dport 8080 ${c('rule.job_to_api')}`,
        // job's network does not masquerade: api's replies are addressed to job itself.
        `-s 10.61.2.10/32 -d 10.61.3.10/32 -p tcp -m tcp --sport 8080 ${c('rule.job_to_api')}`,
      ].sort(),
    )
    // The same in ip6tables for the flows between the dual-stack networks (Docker 28 drops
    // direct access there too); the IPv4-only rules have no IPv6 opening.
    const raw6 = await sandbox().iptablesSave({family: 6, table: 'raw'})
    expect(chainRules(raw6, 'raw', 'PREROUTING')[0]).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING')
    expect(chainRules(raw6, 'raw', 'DOCKWALL-PREROUTING').sort()).toEqual(
      [
        `-s fd61:1::20/128 -d fd61:2::10/128 -p tcp -m tcp --dport 8080 ${c('rule.cli_to_api')}`,
        `-s fd61:1::20/128 -d fd61:2::10/128 -p tcp -m tcp --dport 9090 ${c('rule.cli_to_api_inside')}`,
        `-s fd61:2::10/128 -d fd61:1::10/128 -p tcp -m tcp --dport 8081 ${c('rule.api_to_web')}`,
      ].sort(),
    )
  })

  it("show --actual lists both families and the raw table, Docker's lines attributed to Docker", async () => {
    const sb = sandbox()
    const json = await cli(['show', '--actual', '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    type Line = {family: 'ipv4' | 'ipv6'; table: string; chain: string; position: number; spec: string}
    const host = (
      JSON.parse(json.stdout) as {
        namespaces: Array<{
          key: string
          ipv6_read: boolean
          owned_chains: Array<{family: string; table: string; chain: string; rules: Array<{address: string | null}>}>
          jumps: Array<{family: string; table: string; from: string; position: number}>
          foreign_rules: Line[]
          docker_rules: Line[]
        }>
      }
    ).namespaces.find((n) => n.key === 'host')!
    expect(host.ipv6_read).toBe(true)
    const raw = hasRawDrops() ? ['ipv4 raw DOCKWALL-PREROUTING', 'ipv6 raw DOCKWALL-PREROUTING'] : []
    expect(host.owned_chains.map((c) => `${c.family} ${c.table} ${c.chain}`).sort()).toEqual(
      [
        'ipv4 filter DOCKWALL-FORWARD',
        'ipv4 filter DOCKWALL-INPUT',
        'ipv4 nat DOCKWALL-PREROUTING',
        'ipv6 filter DOCKWALL-FORWARD',
        'ipv6 filter DOCKWALL-INPUT',
        'ipv6 nat DOCKWALL-PREROUTING',
        ...raw,
      ].sort(),
    )
    // Every line of dockwall's chains is attributed to its resource.
    for (const c of host.owned_chains)
      for (const r of c.rules) expect(r.address, `${c.family} ${c.table} ${c.chain}`).not.toBeNull()
    // Every other line of the chains dockwall watches, in both families, is Docker's: nobody else wrote any.
    expect(host.foreign_rules).toEqual([])
    const watched: Array<[string, string]> = [
      ['filter', 'INPUT'],
      ['filter', 'FORWARD'],
      ['filter', 'OUTPUT'],
      ['filter', 'DOCKER-USER'],
      ['nat', 'PREROUTING'],
      ['nat', 'POSTROUTING'],
      ['raw', 'PREROUTING'],
    ]
    const key = (x: {family: string; table: string; chain: string; position: number}): string =>
      `${x.family} ${x.table} ${x.chain} #${x.position}`
    const jumps = new Set(host.jumps.map((j) => key({...j, chain: j.from})))
    const expected: Line[] = []
    for (const family of ['ipv4', 'ipv6'] as const) {
      const save = await sb.iptablesSave({family: family === 'ipv4' ? 4 : 6})
      for (const [table, chain] of watched)
        chainRules(save, table, chain).forEach((spec, position) => {
          const line = {family, table, chain, position, spec}
          if (!jumps.has(key(line))) expected.push(line)
        })
    }
    const sorted = (l: Line[]): string[] => l.map((x) => `${key(x)} ${x.spec}`).sort()
    expect(sorted(host.docker_rules)).toEqual(sorted(expected))
    // Docker's IPv6 lines are there (its FORWARD jumps at least), and on 28 its raw drops of both families.
    expect(host.docker_rules.some((d) => d.family === 'ipv6' && d.table === 'filter')).toBe(true)
    if (hasRawDrops())
      for (const [family, ip] of [
        ['ipv4', '10.61.2.10/32'],
        ['ipv6', 'fd61:2::10/128'],
      ] as const)
        expect(host.docker_rules.filter((d) => d.family === family && d.table === 'raw').map((d) => d.spec)).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^-d ${ip.replaceAll('.', '\\.')} ! -i br-[0-9a-f]{12} -j DROP$`)),
          ]),
        )
    // The text view says the same: ip6tables chains and Docker's lines under their family.
    const text = await cli(['show', '--actual'])
    expect(text.exitCode, text.stderr).toBe(0)
    const t = (d: Line): string =>
      `${d.family === 'ipv4' ? d.table : `ip6tables ${d.table}`} ${d.chain} #${d.position + 1}: ${d.spec}`
    for (const d of host.docker_rules) expect(text.stdout).toContain(t(d))
    expect(text.stdout).toContain('  ip6tables filter DOCKWALL-INPUT:\n')
    if (hasRawDrops()) expect(text.stdout).toContain('  ip6tables raw DOCKWALL-PREROUTING:\n')
  })

  it('the reply opening is what carries replies to the network without masquerading', async () => {
    if (!hasRawDrops())
      return expect(await sandbox().canConnect({from: 'job', to: '10.61.2.10', port: 8080})).toBe(true)
    // Without it (removed by hand), job's connection gets no answer; the next apply puts it back.
    const reply =
      '-s 10.61.2.10/32 -d 10.61.3.10/32 -p tcp -m tcp --sport 8080 -m comment --comment "dockwall:rule.job_to_api" -j ACCEPT'
    await sandbox().iptables([
      '-t',
      'raw',
      '-D',
      'DOCKWALL-PREROUTING',
      ...reply.split(' ').map((t) => t.replaceAll('"', '')),
    ])
    expect(await sandbox().canConnect({from: 'job', to: '10.61.2.10', port: 8080})).toBe(false)
    const plan = await cli(['plan', '--detailed-exitcode', '--no-tty'])
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain('rule.job_to_api')
    expect((await cli(['apply', '--auto-approve'])).exitCode).toBe(0)
    expect(await sandbox().canConnect({from: 'job', to: '10.61.2.10', port: 8080})).toBe(true)
  })

  it('after a dockerd restart, the next apply puts every jump back on top and the flows hold', async () => {
    const sb = sandbox()
    await sb.restartDaemon()
    expect((await cli(['apply', '--auto-approve'])).exitCode).toBe(0)
    const save = await sb.iptablesSave()
    const dockerUser = chainRules(save, 'filter', 'DOCKER-USER')
    expect(dockerUser[0]).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
    expect(chainRules(save, 'nat', 'PREROUTING')[0]).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING')
    if (hasRawDrops())
      expect(chainRules(save, 'raw', 'PREROUTING')[0]).toBe(
        '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
      )
    // ip6tables: the same jumps, on top again. Docker writes an ip6tables DOCKER-USER from 23.0; on
    // 20.10 the forward chain is jumped to from the top of FORWARD, where Docker re-inserts its own lines.
    const save6 = await sb.iptablesSave({family: 6})
    const forward6 = sb.engine.major >= 23 ? 'DOCKER-USER' : 'FORWARD'
    expect(save6.includes(':DOCKER-USER - '), 'ip6tables DOCKER-USER').toBe(sb.engine.major >= 23)
    expect(chainRules(save6, 'filter', forward6)[0]).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
    expect(chainRules(save6, 'filter', 'INPUT')[0]).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-INPUT')
    expect(chainRules(save6, 'nat', 'PREROUTING')[0]).toBe(
      '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
    )
    if (hasRawDrops())
      expect(chainRules(save6, 'raw', 'PREROUTING')[0]).toBe(
        '-m comment --comment "dockwall:jump" -j DOCKWALL-PREROUTING',
      )
    expect(await flows()).toEqual(declared)
    expect((await cli(['plan', '--detailed-exitcode', '--no-tty'])).exitCode).toBe(0)
  })

  it('destroy leaves no dockwall line in any table of either family, on the host or in a container', async () => {
    const r = await cli(['destroy', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const rules = await allRules(sandbox())
    // The raw table was read too, where Docker writes one, and ip6tables, where Docker has its chains.
    if (hasRawDrops()) expect(rules).toContain('*raw')
    expect(await sandbox().iptablesSave({family: 6})).toContain(':DOCKER - [0:0]')
    expect(rules).not.toContain('DOCKWALL')
    expect(rules).not.toContain('dockwall:')
  })
})
