// import (issue 6) against a real Docker Engine, on both backends: a host set up by hand
// the way operators do it today is scanned into configuration, planned and applied; the
// traffic between every pair of endpoints is the same before and after, the rules now
// live in dockwall's chains, and a second plan is empty. Also: network-go's sample
// networks.json, converted and applied, gives the traffic its policies describe.
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ExternalClient, Sandbox} from '../sandbox/index.js'
import {run} from '../../src/util/exec.js'
import {REPO_ROOT, runCli, type CliResult} from '../helpers/cli.js'
import {useSandbox, type Backend} from '../helpers/sandbox.js'

interface Check {
  name: string
  from: string // a container, or 'ext' for the external client
  to: string
  port: number
}

/** Runs each check and returns `name: reply-or-blocked`, so two runs compare as data. */
async function matrix(sb: Sandbox, ext: ExternalClient, checks: readonly Check[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const c of checks) {
    const r =
      c.from === 'ext' ? await ext.connect(c.to, c.port) : await sb.connect({from: c.from, to: c.to, port: c.port})
    out[c.name] = r.ok ? r.reply : 'blocked'
  }
  return out
}

function cliIn(sb: () => Sandbox, dir: () => string) {
  return (args: string[], opts: {cwd?: string} = {}): Promise<CliResult> =>
    runCli([...args, '--netns', sb().netnsPath, '--docker-host', sb().dockerHost], {
      cwd: opts.cwd ?? dir(),
      env: {DOCKWALL_CACHE_DIR: path.join(dir(), '.cache')},
      timeoutMs: 120_000,
    })
}

describe.each(['nft', 'legacy'] as Backend[])('import --all on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let dir: string
  let ext: ExternalClient
  let before: Record<string, string>
  const cli = cliIn(sandbox, () => dir)
  const checks: Check[] = [
    {name: 'cli→api:8080 (accepted across networks)', from: 'cli', to: '10.70.2.10', port: 8080},
    {name: 'cli→api:8081 (dropped)', from: 'cli', to: '10.70.2.10', port: 8081},
    {name: 'cli→api:8082 (Docker isolation)', from: 'cli', to: '10.70.2.10', port: 8082},
    {name: 'cli→web:80 (same network)', from: 'cli', to: '10.70.1.10', port: 80},
    {name: 'api→web:80 (Docker isolation)', from: 'api', to: '10.70.1.10', port: 80},
    {name: 'ext→host:8000 (DNAT to web:80)', from: 'ext', to: '', port: 8000},
    {name: 'cli→web:8081 (REDIRECT inside web)', from: 'cli', to: '10.70.1.10', port: 8081},
  ]

  beforeAll(async () => {
    const sb = sandbox()
    dir = mkdtempSync(path.join(tmpdir(), `dockwall-import-${backend}-`))
    await sb.createNetwork('front', '10.70.1.0/24', '10.70.1.1')
    await sb.createNetwork('back', '10.70.2.0/24', '10.70.2.1')
    await sb.runContainer('web', {network: 'front', ip: '10.70.1.10'})
    await sb.runContainer('cli', {network: 'front', ip: '10.70.1.20'})
    await sb.runContainer('api', {network: 'back', ip: '10.70.2.10'})
    ext = await sb.addExternalClient()
    for (const c of checks) if (c.from === 'ext') c.to = ext.sandboxIp
    // What an operator types by hand today (network-go, iptables-docker, docker-fw style).
    await sb.iptablesRestore(
      [
        '*filter',
        '-I DOCKER-USER 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-I DOCKER-USER 2 -s 10.70.1.20/32 -d 10.70.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT',
        '-I DOCKER-USER 3 -s 10.70.1.20/32 -d 10.70.2.10/32 -p tcp -m tcp --dport 8081 -j DROP',
        `-I DOCKER-USER 4 -d 10.70.1.10/32 -i ${ext.ifname} -p tcp -m tcp --dport 80 -j ACCEPT`,
        // Not expressible in dockwall's language: it must be reported, and left where it is.
        '-I DOCKER-USER 5 -s 10.70.1.30/32 -m recent --name scanners --rcheck --seconds 60 -j DROP',
        'COMMIT',
        '*nat',
        `-A PREROUTING -i ${ext.ifname} -p tcp -m tcp --dport 8000 -j DNAT --to-destination 10.70.1.10:80`,
        `-I POSTROUTING 1 -s 10.70.2.0/24 -o ${ext.ifname} -j MASQUERADE`,
        'COMMIT',
        // Docker 28 drops traffic for api that does not come from api's bridge before filter sees it:
        // operators open the accepted flow in raw PREROUTING as well (issue 12).
        ...(sb.engine.major >= 28
          ? ['*raw', '-I PREROUTING 1 -s 10.70.1.20/32 -d 10.70.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT', 'COMMIT']
          : []),
        '',
      ].join('\n'),
    )
    const pid = await sb.containerPid('web')
    await run(
      `iptables-${backend}`,
      ['-w', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '8081', '-j', 'REDIRECT', '--to-ports', '80'],
      {netns: {kind: 'pid', pid}},
    )
    await sb.listen('web', 80)
    before = await matrix(sb, ext, checks)
  })

  afterAll(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('records the traffic matrix of the hand-made setup', () => {
    expect(before).toEqual({
      'cli→api:8080 (accepted across networks)': 'dockwall-ok api 8080',
      'cli→api:8081 (dropped)': 'blocked',
      'cli→api:8082 (Docker isolation)': 'blocked',
      'cli→web:80 (same network)': 'dockwall-ok web 80',
      'api→web:80 (Docker isolation)': 'blocked',
      'ext→host:8000 (DNAT to web:80)': 'dockwall-ok web 80',
      'cli→web:8081 (REDIRECT inside web)': 'dockwall-ok web 80',
    })
  })

  it('generates configuration and lists what it cannot import, with a partial exit code', async () => {
    const r = await cli(['import', '--all', '--generate-config-out', 'main.hcl'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('left in place: host filter: -A DOCKER-USER -s 10.70.1.30/32 -m recent')
    expect(r.stderr).toMatch(/recent/)
    expect(r.stderr).toContain('could not be imported (listed above): the import is partial.')
    const hcl = readFileSync(path.join(dir, 'main.hcl'), 'utf8')
    expect(hcl).toContain('from     = container.cli')
    expect(hcl).toContain('source        = network.back')
    expect(hcl).toContain('in_container = container.web')
    // It never overwrites.
    const again = await cli(['import', '--all', '--generate-config-out', 'main.hcl'])
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toContain('main.hcl exists; dockwall import never overwrites a file')
  })

  it('plans the adoption, not creation', async () => {
    const r = await cli(['plan', '--json', '-c', '.'])
    expect(r.exitCode).toBe(0)
    const plan = JSON.parse(r.stdout) as {
      summary: {import: number; add: number}
      resource_changes: {address: string; action: string; importing?: string}[]
    }
    const imported = plan.resource_changes.filter((c) => c.importing).map((c) => c.address)
    expect(imported).toHaveLength(11)
    expect(plan.resource_changes.filter((c) => c.address.startsWith('network.')).map((c) => c.action)).toEqual([
      'no-op',
      'no-op',
    ])
    expect(plan.summary.import).toBe(11)
  })

  it("applies: the same traffic matrix holds, the rules live in dockwall's chains, a second plan is empty", async () => {
    const r = await cli(['apply', '--auto-approve', '-c', '.'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('Apply complete! Resources: 11 imported')
    await sandbox().listen('web', 80)
    expect(await matrix(sandbox(), ext, checks)).toEqual(before)
    const save = await sandbox().iptablesSave()
    const dockerUser = save.split('\n').filter((l) => l.startsWith('-A DOCKER-USER '))
    expect(dockerUser).toEqual([
      '-A DOCKER-USER -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD',
      '-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A DOCKER-USER -s 10.70.1.30/32 -m recent --rcheck --seconds 60 --name scanners --mask 255.255.255.255 --rsource -j DROP',
      // Docker's closing RETURN, on the engines that write one (up to 28.2.1).
      ...(sandbox().engine.major < 28 ? ['-A DOCKER-USER -j RETURN'] : []),
    ])
    if (sandbox().engine.major >= 28) {
      // The imported rule brings its own raw opening; the operator's raw ACCEPT, covered by it, stays where it was.
      expect(save).toMatch(
        /-A DOCKWALL-PREROUTING -s 10\.70\.1\.20\/32 -d 10\.70\.2\.10\/32 -p tcp -m tcp --dport 8080 -m comment --comment "dockwall:rule\.\S+" -j ACCEPT/,
      )
      expect(save).toContain('-A PREROUTING -s 10.70.1.20/32 -d 10.70.2.10/32 -p tcp -m tcp --dport 8080 -j ACCEPT')
    }
    expect(save).toMatch(
      /-A DOCKWALL-FORWARD -s 10\.70\.1\.20\/32 -d 10\.70\.2\.10\/32 -p tcp -m tcp --dport 8081 -m comment --comment "dockwall:rule\.\S+" -j DROP/,
    )
    expect(save).toMatch(
      /-A DOCKWALL-PREROUTING -i dwext0 -p tcp -m tcp --dport 8000 .* -j DNAT --to-destination 10\.70\.1\.10:80/,
    )
    expect(save).not.toMatch(/-A PREROUTING -i dwext0/)
    const plan = await cli(['plan', '--detailed-exitcode', '--no-tty', '-c', '.'])
    expect(plan.exitCode, plan.stdout).toBe(0)
  })
})

describe('network-go migration', () => {
  const sandbox = useSandbox('legacy')
  let dir: string
  let ext: ExternalClient
  const cli = cliIn(sandbox, () => dir)

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dockwall-networkgo-'))
    mkdirSync(path.join(dir, 'config'))
    // The containers network-go's sample describes (its "ips" section), on Docker's default bridge for now.
    await sandbox().runContainer('smarthostloadbalancer', {})
    await sandbox().runContainer('smarthostbackend-1', {})
    await sandbox().runContainer('outsider', {})
    ext = await sandbox().addExternalClient({ifname: 'wg0'})
  })

  afterAll(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('converts the seed sample, explaining each policy', async () => {
    const sample = path.join(REPO_ROOT, 'fixtures/import/network-go/networks.json')
    const r = await cli([
      'import',
      '--from-networks-json',
      sample,
      '--generate-config-out',
      'config/main.hcl',
      '--map',
      'publicbackend=smarthostbackend-1',
    ])
    expect(r.stderr).toBe('')
    expect(r.exitCode, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/policies\[0\]: .*publicbackend/)
    expect(r.stdout).toMatch(/policies\[1\]: .*wg0/)
    // validate is offline: no --netns or --docker-host.
    expect((await runCli(['validate', '-c', 'config'], {cwd: dir})).exitCode).toBe(0)
  })

  it('applied, gives exactly the traffic the policies describe', async () => {
    const r = await cli(['apply', '--auto-approve', '-c', 'config'])
    expect(r.exitCode, r.stderr).toBe(0)
    const sb = sandbox()
    await sb.listen('smarthostloadbalancer', 80)
    // The policies: the backend may reach the load balancer on tcp/80; wg0 tcp/80 is forwarded to it. Nothing else crosses networks.
    expect(
      await matrix(sb, ext, [
        {name: 'backend→lb:80', from: 'smarthostbackend-1', to: '172.18.103.2', port: 80},
        {name: 'backend→lb:81', from: 'smarthostbackend-1', to: '172.18.103.2', port: 81},
        {name: 'lb→backend:80', from: 'smarthostloadbalancer', to: '172.18.104.2', port: 80},
        {name: 'wg0→host:80', from: 'ext', to: ext.sandboxIp, port: 80},
        {name: 'wg0→host:81', from: 'ext', to: ext.sandboxIp, port: 81},
      ]),
    ).toEqual({
      'backend→lb:80': 'dockwall-ok smarthostloadbalancer 80',
      'backend→lb:81': 'blocked',
      'lb→backend:80': 'blocked',
      'wg0→host:80': 'dockwall-ok smarthostloadbalancer 80',
      'wg0→host:81': 'blocked',
    })
    expect((await cli(['plan', '--detailed-exitcode', '--no-tty', '-c', 'config'])).exitCode).toBe(0)
  })
})
