// The flows issue 12 names, with real traffic, on every engine of the matrix and both
// backends: a rule across two networks in each direction, a client routed straight to a
// container from an external namespace, a host-interface DNAT, a DNAT inside a container
// reached from another network, and replies to a network that does not masquerade. On
// Docker 28 each accepted flow reaches filter only through dockwall's raw opening;
// everything undeclared stays dropped, by Docker. A dockerd restart leaves every jump (raw
// included) on top after the next apply, and destroy leaves no dockwall line anywhere.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ExternalClient, Sandbox} from '../sandbox/index.js'
import {runCli, type CliResult} from '../helpers/cli.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {chainRules, containerSave} from './dockwall-e2e.js'

const config = (ext: ExternalClient): string => `
network "front" {
  subnet  = "10.61.1.0/24"
  gateway = "10.61.1.1"
}

network "back" {
  subnet  = "10.61.2.0/24"
  gateway = "10.61.2.1"
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
  }
}

container "cli" {
  network "front" {
    ipv4_address = "10.61.1.20"
  }
}

container "api" {
  network "back" {
    ipv4_address = "10.61.2.10"
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
`

/** Every table of the sandbox and of every container's namespace. */
async function allRules(sb: Sandbox): Promise<string> {
  const inside = await Promise.all(['web', 'cli', 'api', 'job'].map((c) => containerSave(sb, c)))
  return [await sb.iptablesSave(), ...inside].join('\n')
}

describe.each(BACKENDS)('declared flows and nothing else, %s backend', (backend) => {
  const sandbox = useSandbox(backend)
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
  }

  beforeAll(async () => {
    const sb = sandbox()
    dir = mkdtempSync(path.join(tmpdir(), `dockwall-engines-${backend}-`))
    // Containers that come back after a daemon restart; dockwall connects them to its networks.
    for (const name of ['web', 'cli', 'api', 'job']) await sb.runContainer(name, {restart: 'always'})
    ext = await sb.addExternalClient()
    writeFileSync(path.join(dir, 'main.hcl'), config(ext))
    const r = await cli(['apply', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
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

  it('on Docker 28, opens exactly those flows in raw PREROUTING, replies only where nothing masquerades', async () => {
    const raw = await sandbox().iptablesSave({table: 'raw'})
    const opening = chainRules(raw, 'raw', 'DOCKWALL-PREROUTING')
    if (!hasRawDrops()) {
      // 20.10 and 26 drop nothing in raw: no chain, no jump.
      expect(raw).not.toContain('DOCKWALL')
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
    expect(await flows()).toEqual(declared)
    expect((await cli(['plan', '--detailed-exitcode', '--no-tty'])).exitCode).toBe(0)
  })

  it('destroy leaves no dockwall line in any table, on the host or in a container', async () => {
    const r = await cli(['destroy', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const rules = await allRules(sandbox())
    // The raw table was read too, where Docker writes one.
    if (hasRawDrops()) expect(rules).toContain('*raw')
    expect(rules).not.toContain('DOCKWALL')
    expect(rules).not.toContain('dockwall:')
  })
})
