// apply and destroy against a real Docker Engine and real iptables, on both backends,
// with traffic checked by nc before and after (issue 5): every resource type is
// created, changed and destroyed; a second plan is empty; destroy restores iptables
// and Docker's networks exactly.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa, type ResultPromise} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ExternalClient} from '../sandbox/index.js'
import {run} from '../../src/util/exec.js'
import {runCli, type CliResult} from '../helpers/cli.js'
import {useSandbox, type Backend} from '../helpers/sandbox.js'

/** iptables-save of the sandbox without comments and counters: what must be identical after destroy. */
function normalizeSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replaceAll(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n')
}

/**
 * Without Docker 28's raw drops for endpoints on its default bridge: the test takes its
 * containers off that bridge (or removes one) itself, and Docker removes their drops with them.
 */
function withoutDefaultBridgeDrops(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^-A PREROUTING -d \S+ ! -i docker0 -j DROP$/.test(l))
    .join('\n')
}

function configV1(ext: ExternalClient): string {
  return `
network "front" {
  subnet  = "10.30.1.0/24"
  gateway = "10.30.1.1"
}

network "back" {
  subnet  = "10.30.2.0/24"
  gateway = "10.30.2.1"
}

container "web" {
  network "front" {
    ipv4_address = "10.30.1.10"
    # Its own name among its aliases, as Compose users write them: the plan must still settle (issue 14).
    aliases      = ["www", "web"]
  }
}

container "api" {
  network "back" {
    ipv4_address = "10.30.2.10"
  }
  # Traffic to the outside world leaves through the back network (and its masquerade).
  route {
    destination = "${ext.ip.replace(/\d+$/, '0')}/24"
    via         = "10.30.2.1"
  }
}

container "cli" {
  name = "client1"
  network "front" {
    ipv4_address = "10.30.1.20"
  }
}

# Across networks Docker drops everything; these open exactly 8080-8081, then close 8081 again.
rule "cli_to_api" {
  from  = container.cli
  to    = container.api
  ports = ["8080-8081"]
}

rule "cli_to_api_no_8081" {
  from     = container.cli
  to       = container.api
  port     = 8081
  action   = "drop"
  priority = 50
}

rule "ext_no_7000" {
  chain  = "input"
  from   = "${ext.ip.replace(/\d+$/, '0')}/24"
  port   = 7000
  action = "drop"
}

port_forward "ext_http" {
  in_interface = "${ext.ifname}"
  port         = 8000
  to           = container.web
  to_port      = 80
}

port_forward "web_alt" {
  in_container = container.web
  port         = 8081
  to_port      = 80
}

masquerade "back_out" {
  source        = network.back
  out_interface = "${ext.ifname}"
}
`
}

/** v2 changes something of every kind: a rule's port, web's address, back's subnet (replace), the route's gateway, a forward's port; the input rule goes. */
function configV2(ext: ExternalClient): string {
  return configV1(ext)
    .replace('ports = ["8080-8081"]', 'ports = ["8080-8081", 9000]')
    .replace('ipv4_address = "10.30.1.10"', 'ipv4_address = "10.30.1.11"')
    .replaceAll('10.30.2.', '10.30.3.')
    .replace(/rule "ext_no_7000" \{[^}]*\}/, '')
    .replace('port         = 8081\n  to_port      = 80', 'port         = 8082\n  to_port      = 80')
}

describe.each(['nft', 'legacy'] as Backend[])('apply and destroy on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let dir: string
  let ext: ExternalClient
  let hostListener: ResultPromise | undefined
  let baseline: {iptables: string; networks: string[]}
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
  const networks = async (): Promise<string[]> => (await sandbox().docker.listNetworks()).map((n) => n.Name).sort()
  const save = async (): Promise<string> => normalizeSave(await sandbox().iptablesSave())
  const reply = async (from: string, ip: string, port: number): Promise<string> =>
    (await sandbox().exec(from, ['nc', '-w', '2', ip, String(port)], {timeoutMs: 15_000})).stdout.trim()
  const masqueradePackets = async (): Promise<number> => {
    const {stdout} = await sandbox().netnsRun(`iptables-${backend}-save`, ['-c', '-t', 'nat'])
    const line = stdout.split('\n').find((l) => l.includes('dockwall:masquerade.back_out'))
    return Number(/^\[(\d+):/.exec(line ?? '')?.[1] ?? -1)
  }

  beforeAll(async () => {
    const sb = sandbox()
    dir = mkdtempSync(path.join(tmpdir(), `dockwall-apply-${backend}-`))
    for (const name of ['web', 'api', 'client1']) await sb.runContainer(name, {restart: 'always'})
    ext = await sb.addExternalClient()
    // A service of the "host" itself (the sandbox namespace), for the input rule.
    hostListener = execa(
      'nsenter',
      [
        `--net=${sb.netnsPath}`,
        '--',
        'busybox',
        'nc',
        '-ll',
        '-p',
        '7000',
        '-e',
        'echo',
        'dockwall-ok',
        'host',
        '7000',
      ],
      {reject: false},
    )
    await new Promise((r) => setTimeout(r, 300))
    baseline = {iptables: await save(), networks: await networks()}
  })

  afterAll(() => {
    hostListener?.kill('SIGKILL')
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('before the first apply: the host port is open and nothing is forwarded', async () => {
    expect((await ext.connect(ext.sandboxIp, 7000)).reply).toBe('dockwall-ok host 7000')
    await sandbox().listen('web', 80)
    expect((await ext.connect(ext.sandboxIp, 8000)).ok).toBe(false)
  })

  it('creates every resource type', async () => {
    writeFileSync(path.join(dir, 'main.hcl'), configV1(ext))
    const r = await cli(['apply', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    // The twelve declared objects, then what they imply on its own line (issue 14): dockwall's chains
    // and the firewall base (no firewall block); Docker 28+ adds dockwall's raw chain (the opening for
    // cli_to_api past Docker's raw drops).
    const implied = sandbox().engine.major >= 28 ? 7 : 6
    expect(r.stdout).toContain(
      `Apply complete! Resources: 12 added, 0 changed, 0 destroyed.\nImplied, not declared: ${implied} added, 0 changed, 0 destroyed.\n`,
    )
    // These containers should live only on dockwall's networks: take them off Docker's default bridge.
    for (const name of ['web', 'api', 'client1'])
      await sandbox().docker.getNetwork('bridge').disconnect({Container: name})
    // Their addresses changed (the bridge ones are gone): a second apply updates the rules that name them.
    const again = await cli(['apply', '--auto-approve'])
    expect(again.exitCode).toBe(0)
    expect(again.stdout, again.stdout).toMatch(/Resources: 0 added, [1-9]\d* changed, 0 destroyed\./)
  })

  it('a second plan shows no changes', async () => {
    const r = await cli(['plan', '--detailed-exitcode', '--no-tty'])
    expect(r.stdout).toContain('No changes.')
    expect(r.exitCode).toBe(0)
  })

  it('traffic follows the configuration', async () => {
    const sb = sandbox()
    // Forward rules across networks: 8080 opened, 8081 opened then dropped by a higher-priority rule.
    expect(await sb.canConnect({from: 'client1', to: '10.30.2.10', port: 8080})).toBe(true)
    expect(await sb.canConnect({from: 'client1', to: '10.30.2.10', port: 8081})).toBe(false)
    // Input rule: the host's port 7000 is closed to the external client.
    expect((await ext.connect(ext.sandboxIp, 7000)).ok).toBe(false)
    // Port forward on the host interface: external client → sandbox:8000 → web:80.
    expect((await ext.connect(ext.sandboxIp, 8000)).reply).toBe('dockwall-ok web 80')
    // Port forward inside web's namespace: 8081 is redirected to 80 (the reply names the port that answered).
    await sb.listen('web', 80)
    expect(await reply('client1', '10.30.1.10', 8081)).toBe('dockwall-ok web 80')
    // Route inside api and the masquerade on the way out.
    const {stdout: route} = await sb.exec('api', ['ip', 'route', 'get', ext.ip])
    expect(route).toContain('via 10.30.2.1')
    const before = await masqueradePackets()
    await sb.exec('api', ['nc', '-w', '1', ext.ip, '9'], {timeoutMs: 10_000})
    expect(await masqueradePackets()).toBeGreaterThan(before)
  })

  it('--replace recreates a managed network that nothing forces, reconnects its container, and traffic still follows (issue 14)', async () => {
    const sb = sandbox()
    const idOf = async (): Promise<string | undefined> =>
      (await sb.docker.listNetworks()).find((n) => n.IPAM?.Config?.some((c) => c.Subnet === '10.30.2.0/24'))?.Id
    const before = await idOf()
    expect(before).toBeDefined()
    const r = await cli(['apply', '--replace=network.back', '--auto-approve', '--no-tty'])
    expect(r.stdout).toContain('# network.back will be replaced, as requested')
    expect(r.exitCode, r.stderr).toBe(0)
    // A new Docker network, the container back at its address, and nothing left to do
    const after = await idOf()
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
    const {stdout: addr} = await sb.exec('api', ['ip', '-4', '-o', 'addr'])
    expect(addr).toContain('10.30.2.10/24')
    const next = await cli(['plan', '--detailed-exitcode', '--no-tty'])
    expect(next.exitCode, next.stdout).toBe(0)
    // The rules follow the new bridge; the route inside api is back
    expect(await sb.canConnect({from: 'client1', to: '10.30.2.10', port: 8080})).toBe(true)
    expect(await sb.canConnect({from: 'client1', to: '10.30.2.10', port: 8081})).toBe(false)
    const {stdout: route} = await sb.exec('api', ['ip', 'route', 'get', ext.ip])
    expect(route).toContain('via 10.30.2.1')
  })

  it('changes every resource type and traffic follows', async () => {
    const sb = sandbox()
    writeFileSync(path.join(dir, 'main.hcl'), configV2(ext))
    const plan = await cli(['plan', '--json'])
    expect(plan.exitCode).toBe(0)
    const actions = Object.fromEntries(
      (JSON.parse(plan.stdout) as {resource_changes: {address: string; action: string}[]}).resource_changes.map((c) => [
        c.address,
        c.action,
      ]),
    )
    expect(actions).toMatchObject({
      'network.back': 'replace',
      'container.api.network.back': 'replace',
      'container.web.network.front': 'replace',
      'container.api.route["198.18.0.0/24"]': 'update',
      'rule.cli_to_api': 'update',
      'rule.ext_no_7000': 'delete',
      'port_forward.ext_http': 'update',
      'port_forward.web_alt': 'update',
      'masquerade.back_out': 'update',
    })
    const r = await cli(['apply', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const after = await cli(['plan', '--detailed-exitcode', '--no-tty'])
    expect(after.exitCode, after.stdout).toBe(0)

    expect(await sb.canConnect({from: 'client1', to: '10.30.3.10', port: 9000})).toBe(true)
    expect(await sb.canConnect({from: 'client1', to: '10.30.3.10', port: 8081})).toBe(false)
    expect((await ext.connect(ext.sandboxIp, 7000)).reply).toBe('dockwall-ok host 7000')
    await sb.listen('web', 80)
    expect((await ext.connect(ext.sandboxIp, 8000)).reply).toBe('dockwall-ok web 80')
    expect(await reply('client1', '10.30.1.11', 8082)).toBe('dockwall-ok web 80')
    const {stdout: route} = await sb.exec('api', ['ip', 'route', 'get', ext.ip])
    expect(route).toContain('via 10.30.3.1')
  })

  it('survives a dockerd restart: the plan shows exactly what Docker removed, and apply restores it', async () => {
    const sb = sandbox()
    await sb.restartDaemon()
    const plan = await cli(['plan', '--json'])
    expect(plan.exitCode).toBe(0)
    const json = JSON.parse(plan.stdout) as {
      resource_changes: {address: string; action: string}[]
      resource_drift: {address: string}[]
    }
    const changed = json.resource_changes
      .filter((c) => c.action !== 'no-op')
      .map((c) => `${c.address} ${c.action}`)
      .sort()
    // New PIDs, new namespaces: what lived inside containers is gone; the host chains survive, but
    // Docker re-inserted its masquerade rules above dockwall's jump in nat POSTROUTING.
    expect(changed).toEqual([
      'chain["container.web:DOCKWALL-PREROUTING"] create',
      'chain["host:DOCKWALL-POSTROUTING"] update',
      'container.api.route["198.18.0.0/24"] create',
      'port_forward.web_alt create',
    ])
    expect(json.resource_drift.map((d) => d.address).sort()).toEqual([
      'chain["host:DOCKWALL-POSTROUTING"]',
      'container.api.route["198.18.0.0/24"]',
      'port_forward.web_alt',
    ])
    expect((await cli(['apply', '--auto-approve'])).exitCode).toBe(0)
    expect((await cli(['plan', '--detailed-exitcode', '--no-tty'])).exitCode).toBe(0)
    await sb.listen('web', 80)
    expect(await reply('client1', '10.30.1.11', 8082)).toBe('dockwall-ok web 80')
  })

  it('destroy leaves iptables and Docker networks exactly as before the first apply', async () => {
    const r = await cli(['destroy', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    expect(withoutDefaultBridgeDrops(await save())).toBe(withoutDefaultBridgeDrops(baseline.iptables))
    // dockwall's raw chain (Docker 28) went with the rest.
    expect(await save()).not.toContain('DOCKWALL')
    expect(await networks()).toEqual(baseline.networks)
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {resources: unknown[]}
    expect(state.resources).toEqual([])
  })
})

describe.each(['nft', 'legacy'] as Backend[])('failures on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let dir: string
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
  const stateText = (): string => readFileSync(path.join(dir, 'state.json'), 'utf8')
  const config = `
network "front" {
  subnet = "10.40.1.0/24"
}
container "web" {
  network "front" {
    ipv4_address = "10.40.1.10"
  }
}
container "db" {
  network "front" {
    ipv4_address = "10.40.1.20"
  }
}
rule "web_to_db" {
  from = container.web
  to   = container.db
  port = 5432
}
port_forward "web_inside" {
  in_container = container.web
  port         = 8080
  to_port      = 80
}
`

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), `dockwall-fail-${backend}-`))
    await sandbox().runContainer('web', {})
    await sandbox().runContainer('db', {})
    writeFileSync(path.join(dir, 'main.hcl'), config)
  })

  afterAll(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('refuses a saved plan when a container was removed since, and changes nothing', async () => {
    const planFile = path.join(dir, 'saved.plan')
    expect((await cli(['plan', '--out', planFile, '--no-tty'])).exitCode).toBe(0)
    const before = await sandbox().iptablesSave()
    await sandbox().docker.getContainer('db').remove({force: true})
    const r = await cli(['apply', planFile])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('the host changed since the plan was made')
    expect(withoutDefaultBridgeDrops(normalizeSave(await sandbox().iptablesSave()))).toBe(
      withoutDefaultBridgeDrops(normalizeSave(before)),
    )
    expect((await sandbox().docker.listNetworks()).map((n) => n.Name)).not.toContain('front')
    await sandbox().runContainer('db', {})
  })

  it('when one table fails, the other stays committed, the failed one fully old, and the state says exactly that', async () => {
    const planFile = path.join(dir, 'broken.plan')
    expect((await cli(['plan', '--out', planFile, '--no-tty'])).exitCode).toBe(0)
    // Fault injection: the container-side nat transaction gets a line the kernel rejects
    // (a jump to a chain that does not exist), so that iptables-restore fails.
    const saved = JSON.parse(readFileSync(planFile, 'utf8')) as {
      plan: {firewall: {namespace: string; table: string; input: string}[]}
    }
    const nat = saved.plan.firewall.find((t) => t.namespace === 'container.web' && t.table === 'nat')
    expect(nat).toBeDefined()
    nat!.input = nat!.input.replace('COMMIT', '-A DOCKWALL-PREROUTING -j NO-SUCH-CHAIN\nCOMMIT')
    writeFileSync(planFile, JSON.stringify(saved))
    const r = await cli(['apply', planFile])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('iptables host/filter: committed')
    expect(r.stderr).toMatch(/iptables container\.web\/nat: NOT committed/)
    expect(r.stderr).toContain('port_forward.web_inside')
    // Host filter: new. Container nat: untouched (no dockwall chain at all).
    expect(await sandbox().iptablesSave()).toContain('dockwall:rule.web_to_db')
    const pid = await sandbox().containerPid('web')
    const {stdout: inside} = await run(`iptables-${backend}-save`, [], {netns: {kind: 'pid', pid}})
    expect(inside).not.toContain('DOCKWALL')
    // The state records what happened: the rule and the network exist, the forward does not.
    const state = JSON.parse(stateText()) as {resources: {address: string}[]}
    const addresses = state.resources.map((x) => x.address)
    expect(addresses).toContain('rule.web_to_db')
    expect(addresses).toContain('network.front')
    expect(addresses).not.toContain('port_forward.web_inside')
    // What remains is exactly the failed part.
    const plan = await cli(['plan', '--json'])
    const remaining = (
      JSON.parse(plan.stdout) as {resource_changes: {address: string; action: string}[]}
    ).resource_changes
      .filter((c) => c.action !== 'no-op')
      .map((c) => c.address)
    expect(remaining.sort()).toEqual(['chain["container.web:DOCKWALL-PREROUTING"]', 'port_forward.web_inside'])
    expect((await cli(['apply', '--auto-approve'])).exitCode).toBe(0)
  })

  it('two applies at once: one holds the lock, the other fails cleanly, the state stays valid', async () => {
    writeFileSync(path.join(dir, 'main.hcl'), config.replace('port = 5432', 'port = 5433'))
    const [a, b] = await Promise.all([cli(['apply', '--auto-approve']), cli(['apply', '--auto-approve'])])
    const results = [a, b]
    expect(results.filter((r) => r.exitCode === 0).length).toBeGreaterThanOrEqual(1)
    for (const r of results.filter((x) => x.exitCode !== 0)) expect(r.stderr).toMatch(/state locked by pid \d+ \(apply/)
    const state = JSON.parse(stateText()) as {serial: number; resources: {address: string}[]}
    expect(state.resources.map((x) => x.address)).toContain('rule.web_to_db')
    // With a lock timeout, the second waits and then finds nothing to do.
    writeFileSync(path.join(dir, 'main.hcl'), config)
    const [c, d] = await Promise.all([
      cli(['apply', '--auto-approve', '--lock-timeout', '60s']),
      cli(['apply', '--auto-approve', '--lock-timeout', '60s']),
    ])
    expect([c.exitCode, d.exitCode]).toEqual([0, 0])
    expect((await cli(['plan', '--detailed-exitcode', '--no-tty'])).exitCode).toBe(0)
    expect((await cli(['destroy', '--auto-approve'])).exitCode).toBe(0)
  })
})
