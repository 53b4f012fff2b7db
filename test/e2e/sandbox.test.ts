// The sandbox engine itself (test/sandbox), on both iptables backends: a real dockerd
// in a private network namespace, Docker's own isolation proved with nc, an external
// client through a DNAT, a daemon restart, two sandboxes at once, and a teardown that
// leaves nothing behind. The host namespace's firewall and interfaces are only read.
import {existsSync, readlinkSync} from 'node:fs'

import {beforeAll, describe, expect, it} from 'vitest'

import {Sandbox, type Backend} from '../sandbox/index.js'
import {isProcessAlive, mountsUnder} from '../../src/sandbox/procfs.js'
import {findProcesses} from '../../src/sandbox/reap.js'
import {run} from '../../src/util/exec.js'
import {runCli} from '../helpers/cli.js'
import {BACKENDS, e2eEngine, useSandbox} from '../helpers/sandbox.js'

const HOST_SAVE_TOOLS = [
  'iptables-nft-save',
  'ip6tables-nft-save',
  'iptables-legacy-save',
  'ip6tables-legacy-save',
] as const

/**
 * The host namespace's rulesets (both backends, both families) and interface names.
 * Only the `# Generated/Completed ... on <date>` comments and the packet/byte counters
 * (`[p:b]`, they move with the host's own traffic) are normalised away.
 */
async function hostSnapshot(): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {}
  for (const tool of HOST_SAVE_TOOLS) {
    const {stdout} = await run(tool, [])
    snapshot[tool] = stdout
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .map((line) => line.replaceAll(/\[\d+:\d+\]/g, '[0:0]'))
      .join('\n')
  }
  const {stdout} = await run('ip', ['-o', 'link', 'show'])
  snapshot.links = stdout
    .split('\n')
    .map((line) => line.split(':')[1]?.trim())
    .filter(Boolean)
    .sort()
    .join(' ')
  return snapshot
}

/** Asserts that nothing of the sandbox is left: processes, mounts, namespaces, files. */
function expectGone(facts: {name: string; root: string; netnsPath: string; pids: number[]; clients?: string[]}): void {
  for (const pid of facts.pids) expect(isProcessAlive(pid), `process ${pid}`).toBe(false)
  expect(
    findProcesses({root: facts.root, netns: [facts.name, ...(facts.clients ?? [])], cgroupParent: facts.name}),
  ).toEqual([])
  expect(mountsUnder(facts.root)).toEqual([])
  expect(existsSync(facts.netnsPath)).toBe(false)
  for (const client of facts.clients ?? []) expect(existsSync(`/var/run/netns/${client}`)).toBe(false)
  expect(existsSync(facts.root)).toBe(false)
}

function otherBackend(backend: Backend): Backend {
  return backend === 'nft' ? 'legacy' : 'nft'
}

let hostBefore: Record<string, string>

beforeAll(async () => {
  hostBefore = await hostSnapshot()
})

describe.each(BACKENDS)('Docker sandbox, %s backend', (backend) => {
  const sandbox = useSandbox(backend)

  it("runs the e2e project's engine", async () => {
    const sb = sandbox()
    expect(sb.engine.name).toBe(e2eEngine())
    // The matrix is about these majors: a suite that moved on (sid to 29) must be noticed, not tested silently.
    expect({system: 20, trixie: 26, sid: 28}[sb.engine.name]).toBe(sb.engine.major)
  })

  it('runs dockerd inside its own network namespace, with Docker chains on the chosen backend only', async () => {
    const sb = sandbox()
    expect(sb.name).toMatch(/^dwsb-\d+-\d+$/)
    expect(sb.netnsPath).toBe(`/var/run/netns/${sb.name}`)
    expect(sb.dockerHost).toBe(`unix:///tmp/dockwall-sandbox/${sb.name}/docker.sock`)
    expect((await sb.docker.version()).Version).toBe(sb.engine.version)

    // dockerd's namespace is the sandbox's, not ours.
    const dockerdNetns = readlinkSync(`/proc/${sb.pid}/ns/net`)
    expect(dockerdNetns).not.toBe(readlinkSync('/proc/self/ns/net'))
    const {stdout: probe} = await sb.netnsRun('readlink', ['/proc/self/ns/net'])
    expect(probe.trim()).toBe(dockerdNetns)

    const saved = await sb.iptablesSave()
    for (const chain of [':DOCKER ', ':DOCKER-USER ', ':DOCKER-ISOLATION-STAGE-1 ', ':DOCKER-ISOLATION-STAGE-2 '])
      expect(saved).toContain(chain)
    expect(saved).toContain('-A FORWARD -j DOCKER-USER')
    const other = await sb.netnsRun(`iptables-${otherBackend(backend)}-save`, [])
    expect(other.stdout).not.toContain(':DOCKER')
  })

  it('passes traffic inside a network and drops it across networks (Docker isolation)', async () => {
    const sb = sandbox()
    // Given two networks, two containers on A and one on B, all created through dockerode
    await sb.createNetwork('net-a', '10.91.1.0/24', '10.91.1.1')
    await sb.createNetwork('net-b', '10.91.2.0/24')
    const a1 = await sb.runContainer('a-one', {network: 'net-a', ip: '10.91.1.10'})
    await sb.runContainer('a-two', {network: 'net-a', ip: '10.91.1.11'})
    await sb.runContainer('b-one', {network: 'net-b', ip: '10.91.2.10'})
    expect(a1.ips).toEqual({'net-a': '10.91.1.10'})
    const networks = (await sb.docker.listNetworks()).map((n) => n.Name)
    expect(networks).toEqual(expect.arrayContaining(['net-a', 'net-b']))

    // Then traffic inside A passes, both ways
    expect(await sb.connect({from: 'a-one', to: '10.91.1.11', port: 8080})).toMatchObject({
      ok: true,
      reply: 'dockwall-ok a-two 8080',
    })
    expect(await sb.canConnect({from: 'a-two', to: 'a-one', port: 8080})).toBe(true)
    // And traffic between A and B is dropped, both ways
    expect(await sb.canConnect({from: 'a-one', to: '10.91.2.10', port: 8080})).toBe(false)
    expect(await sb.canConnect({from: 'b-one', to: '10.91.1.10', port: 8080})).toBe(false)

    // When DOCKER-USER accepts A to B and the replies, the same check passes: the drop was Docker's isolation.
    await sb.iptablesRestore(
      [
        '*filter',
        '-I DOCKER-USER 1 -s 10.91.1.0/24 -d 10.91.2.0/24 -j ACCEPT',
        '-I DOCKER-USER 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        'COMMIT',
        '',
      ].join('\n'),
    )
    if (sb.engine.major >= 28) {
      // Docker 28 drops, in raw PREROUTING, packets for a container that do not come from its
      // own bridge: the filter accept is never reached until raw lets the flow through.
      expect(await sb.iptablesSave({table: 'raw'})).toMatch(/-A PREROUTING -d 10\.91\.2\.10\/32 ! -i br-\w+ -j DROP/)
      expect(await sb.canConnect({from: 'a-one', to: '10.91.2.10', port: 8080})).toBe(false)
      await sb.iptablesRestore('*raw\n-I PREROUTING 1 -s 10.91.1.0/24 -d 10.91.2.10/32 -j ACCEPT\nCOMMIT\n')
    }
    expect(await sb.canConnect({from: 'a-one', to: '10.91.2.10', port: 8080})).toBe(true)
    expect(await sb.canConnect({from: 'b-one', to: '10.91.1.10', port: 8080})).toBe(false)
  })

  it('lets an external client reach a container through a DNAT on its veth', async () => {
    const sb = sandbox()
    const client = await sb.addExternalClient()
    expect(client.ifname).toBe('dwext0')
    await sb.listen('a-two', 8080)
    await sb.iptables([
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-i',
      client.ifname,
      '-p',
      'tcp',
      '--dport',
      '80',
      '-j',
      'DNAT',
      '--to-destination',
      '10.91.1.11:8080',
    ])
    // Docker's FORWARD policy drops a DNAT to a port it did not publish...
    expect(await client.canConnect(client.sandboxIp, 80)).toBe(false)
    // ...until an accept for it comes first.
    await sb.iptables([
      '-I',
      'DOCKER-USER',
      '1',
      '-i',
      client.ifname,
      '-d',
      '10.91.1.11',
      '-p',
      'tcp',
      '--dport',
      '8080',
      '-j',
      'ACCEPT',
    ])
    expect(await client.connect(client.sandboxIp, 80)).toMatchObject({ok: true, reply: 'dockwall-ok a-two 8080'})
    // The interface lives in the sandbox namespace, not the host's.
    const {stdout} = await sb.netnsRun('ip', ['-o', 'link', 'show', client.ifname])
    expect(stdout).toContain(client.ifname)
  })

  it('restarts dockerd; containers with restart=always come back with new PIDs', async () => {
    const sb = sandbox()
    const keeper = await sb.runContainer('keeper', {network: 'net-a', ip: '10.91.1.20', restart: 'always'})
    await sb.runContainer('keeper-two', {network: 'net-a', ip: '10.91.1.21', restart: 'always'})
    expect(await sb.canConnect({from: 'keeper', to: '10.91.1.21', port: 8080})).toBe(true)
    const oldDockerd = sb.pid

    const timing = await sb.restartDaemon()

    expect(isProcessAlive(oldDockerd)).toBe(false)
    expect(sb.pid).not.toBe(oldDockerd)
    expect(timing.stopMs).toBeGreaterThan(0)
    expect(await sb.containerPid('keeper')).not.toBe(keeper.pid)
    // New container processes: the listener is started again in keeper-two's new namespace.
    expect(await sb.canConnect({from: 'keeper', to: '10.91.1.21', port: 8080})).toBe(true)
    // a-two had no restart policy: it stays stopped, and its address no longer answers.
    expect((await sb.docker.getContainer('a-two').inspect()).State.Running).toBe(false)
    expect(await sb.canConnect({from: 'keeper', to: '10.91.1.11', port: 8080, timeoutSec: 1})).toBe(false)
  })

  it('runs the built CLI inside the sandbox namespace, pointed at its engine', async () => {
    const sb = sandbox()
    const result = await runCli(['--version'], {netns: sb.netnsPath, env: {DOCKER_HOST: sb.dockerHost}})
    expect(result).toMatchObject({exitCode: 0, stderr: ''})
    // As terraform version prints it: the version, then the platform.
    expect(result.stdout).toMatch(/^dockwall v\d+\.\d+\.\d+\non linux_\w+\n$/)
  })

  it('tears down completely: no process, mount, namespace or directory is left', async () => {
    const sb = sandbox()
    const facts = {
      name: sb.name,
      root: sb.root,
      netnsPath: sb.netnsPath,
      pids: [sb.pid, sb.containerdPid],
      clients: [`${sb.name}-c0`],
    }
    await sb.stop()
    await sb.stop() // idempotent
    expectGone(facts)
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(sb.name)
  })
})

describe('two sandboxes at once', () => {
  it('start concurrently with the same subnets and do not see each other', async () => {
    const results = await Promise.allSettled([Sandbox.start({backend: 'nft'}), Sandbox.start({backend: 'legacy'})])
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    try {
      for (const r of results) if (r.status === 'rejected') throw r.reason
      const [one, two] = started as [Sandbox, Sandbox]
      expect(one.name).not.toBe(two.name)
      await Promise.all(
        started.map(async (sb) => {
          await sb.createNetwork('shared', '10.92.1.0/24')
          await sb.runContainer('server', {network: 'shared', ip: '10.92.1.10'})
          await sb.runContainer('client', {network: 'shared', ip: '10.92.1.11'})
        }),
      )
      await one.createNetwork('only-in-one', '10.92.2.0/24')
      expect((await two.docker.listNetworks()).map((n) => n.Name)).not.toContain('only-in-one')
      const [c1, c2] = await Promise.all(
        started.map((sb) => sb.connect({from: 'client', to: '10.92.1.10', port: 9000})),
      )
      expect(c1?.ok).toBe(true)
      expect(c2?.ok).toBe(true)
      expect(await one.iptablesSave()).toContain(':DOCKER-USER')
      expect(await two.iptablesSave()).toContain(':DOCKER-USER')
    } finally {
      const facts = started.map((sb) => ({
        name: sb.name,
        root: sb.root,
        netnsPath: sb.netnsPath,
        pids: [sb.pid, sb.containerdPid],
      }))
      await Promise.all(started.map((sb) => sb.stop()))
      for (const f of facts) expectGone(f)
    }
  })
})

describe('host namespace', () => {
  it('has the same rulesets (nft and legacy, IPv4 and IPv6) and interfaces as before the sandboxes ran', async () => {
    expect(await hostSnapshot()).toEqual(hostBefore)
  })
})
