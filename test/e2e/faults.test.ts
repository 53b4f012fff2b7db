// Faults survived (issue 15), each a named case on both backends and every engine of the
// matrix, against a real Docker engine in a sandbox: dockerd restarted between `plan --out`
// and `apply PLANFILE`, the xtables lock held by another process, a firewall reload that flushes dockwall's chains,
// state files that are corrupt, truncated, foreign, from a newer dockwall or a symbolic
// link, an empty configuration over a managed host, a network replace that Docker refuses
// after the old network was deleted, networks created but not recorded (the first
// apply's included), and applies of 2,000 rules killed with SIGKILL at 10 seeded points
// (its pieces in kill-chain.ts).
//
// Elsewhere: two concurrent applies (apply.test.ts, "two applies at once"); drift repaired
// by watch (watch.test.ts (b)); a failing table reported with the state matching what
// committed (apply.test.ts).
import {existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeState} from '../../src/state/format.js'
import type {Sandbox} from '../sandbox/index.js'
import {REPO_ROOT, runCli, type CliResult} from '../helpers/cli.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {dockwall, expectExit, hostArgs, parseJson, stableSave, workdir} from './dockwall-e2e.js'
import {
  FILTER_LINES,
  SEGMENT_START,
  followEvents,
  killConfig,
  killPoints,
  ownedTables,
  restoresFinished,
  stateLeftovers,
  tableLabel,
  type Segment,
  type Variant,
} from './kill-chain.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Resolves once `child` printed `text` on stdout (or ended). */
function printed(child: ReturnType<typeof execa>, text: string): Promise<void> {
  return new Promise((resolve) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes(text)) resolve()
    })
    void child.then(
      () => resolve(),
      () => resolve(),
    )
  })
}

/**
 * Waits until Docker is done rewriting its rules after a restart: its chains are there and
 * two reads of every table, 500 ms apart, are the same.
 */
async function dockerSettled(sb: Sandbox): Promise<void> {
  const deadline = Date.now() + 60_000
  let last = ''
  for (;;) {
    const now = stableSave(await sb.iptablesSave())
    const ready = now.includes(':DOCKER-USER') && /\*nat[\s\S]*:DOCKER /.test(now)
    if (ready && now === last) return
    if (Date.now() > deadline) throw new Error('Docker did not settle its iptables rules within 60 s of its restart')
    last = now
    await sleep(500)
  }
}

/** The SIGKILL chain: kills that must land, and how many applies it may start to land them. */
const KILLS = 10
const MAX_ATTEMPTS = 16

const SMALL = `
network "fa" {
  subnet = "10.71.1.0/24"
}
rule "fa_web" {
  from = network.fa
  to   = "10.72.0.0/24"
  port = 8080
}
`

describe.each(BACKENDS)('faults on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let work: {path: string; remove: () => void}
  /** A configuration directory and its state, per case. */
  const area = (name: string): {cfg: string; state: string; dir: string} => {
    const dir = join(work.path, name)
    const cfg = join(dir, 'cfg')
    mkdirSync(cfg, {recursive: true})
    return {dir, cfg, state: join(dir, 'state.json')}
  }
  const cli = (
    a: {cfg: string; state: string; dir: string},
    args: readonly string[],
    opts: {env?: Record<string, string>; timeoutMs?: number} = {},
  ): Promise<CliResult> =>
    dockwall(sandbox(), a.dir, [...args, '-c', a.cfg, '--state', a.state, ...hostArgs(sandbox())], {
      timeoutMs: 120_000,
      ...opts,
    })
  /** What must not move when dockwall refuses: iptables of the sandbox and Docker's networks. */
  const host = async (): Promise<{iptables: string; networks: string[]}> => ({
    iptables: stableSave(await sandbox().iptablesSave()),
    networks: (await sandbox().docker.listNetworks()).map((n) => `${n.Name} ${n.Id}`).sort(),
  })

  beforeAll(() => {
    work = workdir(`faults-${backend}`)
  })
  afterAll(() => {
    work?.remove()
  })

  it('an empty configuration file over a managed host: plan and apply refuse, pointing at destroy, and nothing is touched', async () => {
    const a = area('intent')
    writeFileSync(join(a.cfg, 'main.hcl'), SMALL)
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const before = await host()
    const stateBefore = readFileSync(a.state, 'utf8')
    // The file is still there, but empty (a truncated save, an editor accident).
    writeFileSync(join(a.cfg, 'main.hcl'), '')
    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const r = await cli(a, args)
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toContain(`${join(a.cfg, 'main.hcl')} declares nothing, while the state ${a.state} manages`)
      expect(r.stderr).toContain('network.fa')
      expect(r.stderr).toContain('`dockwall destroy`')
    }
    expect(await host()).toEqual(before)
    expect(readFileSync(a.state, 'utf8')).toBe(stateBefore)
    // What the message points at does remove everything.
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
    expect(stableSave(await sandbox().iptablesSave())).not.toContain('dockwall:rule.fa_web')
  })

  it('a corrupt, truncated, foreign-lineage, malformed or newer-version state: a clear error naming the file, the backup mentioned, nothing touched', async () => {
    const a = area('state')
    writeFileSync(join(a.cfg, 'main.hcl'), SMALL)
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const good = readFileSync(a.state, 'utf8')
    const planFile = join(a.dir, 'saved.plan')
    writeFileSync(join(a.cfg, 'main.hcl'), SMALL.replace('port = 8080', 'port = 8081'))
    expectExit(await cli(a, ['plan', '--out', planFile, '--no-tty']), 0)
    const before = await host()
    const parsed = JSON.parse(good) as {lineage: string; version: number; resources: {address: string}[]}
    const variants: Array<[string, string, RegExp]> = [
      ['corrupt', 'garbage\u0000\u0001 not json\n', /is not valid JSON/],
      ['truncated', good.slice(0, Math.floor(good.length / 2)), /is not valid JSON/],
      ['newer', good.replace('"version": 1', '"version": 9'), /was written by a newer dockwall \(.*format 9\)/],
      [
        'malformed address',
        good.replace('"address": "rule.fa_web"', '"address": "rule.fa_web\\" -j ACCEPT"'),
        /\.address: "rule\.fa_web\\" -j ACCEPT": not a rule address/,
      ],
    ]
    for (const [name, text, why] of variants) {
      writeFileSync(a.state, text)
      // apply reads the state as plan does (the first case runs plan too).
      for (const args of name === 'corrupt' ? [['plan'], ['apply', '--auto-approve']] : [['apply', '--auto-approve']]) {
        const r = await cli(a, args)
        expect(r.exitCode, `${name}: ${args.join(' ')}`).toBe(1)
        expect(r.stderr, name).toContain(a.state)
        expect(r.stderr, name).toMatch(why)
        expect(r.stderr, name).toContain(`${a.state}.backup`)
      }
      expect(readFileSync(a.state, 'utf8'), name).toBe(text)
    }
    // Foreign lineage: another state put in place of the one the saved plan was made for.
    const foreign = good.replace(parsed.lineage, '00000000-0000-4000-8000-000000000000')
    writeFileSync(a.state, foreign)
    const r = await cli(a, ['apply', planFile])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(
      `the saved plan was made for another state (lineage ${parsed.lineage}); the state file ${a.state} holds lineage 00000000-0000-4000-8000-000000000000`,
    )
    expect(r.stderr).toContain(`${a.state}.backup`)
    expect(readFileSync(a.state, 'utf8')).toBe(foreign)
    expect(await host()).toEqual(before)
    // With the right file back, everything works again.
    writeFileSync(a.state, good)
    expectExit(await cli(a, ['apply', planFile]), 0)
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
  })

  it('a symbolic link in place of the state backup: refused before anything is touched, its target intact', async () => {
    const a = area('symlink')
    writeFileSync(join(a.cfg, 'main.hcl'), SMALL)
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const victim = join(a.dir, 'victim')
    writeFileSync(victim, 'not dockwall\n', {mode: 0o644})
    symlinkSync(victim, `${a.state}.backup`)
    writeFileSync(join(a.cfg, 'main.hcl'), SMALL.replace('port = 8080', 'port = 8082'))
    const before = await host()
    const stateBefore = readFileSync(a.state, 'utf8')
    const r = await cli(a, ['apply', '--auto-approve'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(`refusing to use ${a.state}.backup: it is a symbolic link`)
    expect(await host()).toEqual(before)
    expect(readFileSync(a.state, 'utf8')).toBe(stateBefore)
    expect(readFileSync(victim, 'utf8')).toBe('not dockwall\n')
    unlinkSync(`${a.state}.backup`)
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
  })

  /** The built CLI as a child this test can kill or answer: stdin stays open. */
  const spawnCli = (
    a: {cfg: string; state: string; dir: string},
    args: readonly string[],
    extraEnv: Record<string, string> = {},
  ) => {
    const sb = sandbox()
    const bin = `${process.env.DOCKWALL_CLI_ROOT ?? REPO_ROOT}/bin/run.js`.replace(/\/\/bin/, '/bin')
    return execa(
      'nsenter',
      [`--net=${sb.netnsPath}`, '--', process.execPath, bin, ...args, '-c', a.cfg, '--state', a.state, ...hostArgs(sb)],
      {
        cwd: a.dir,
        reject: false,
        timeout: 120_000,
        env: {
          COLUMNS: '100',
          NO_COLOR: '1',
          FORCE_COLOR: '0',
          SSH_CONNECTION: '',
          DOCKER_HOST: '',
          DOCKWALL_NETNS: '',
          DOCKWALL_CACHE_DIR: join(a.dir, '.cache'),
          ...extraEnv,
        },
      },
    )
  }

  it('the xtables lock held by another process: legacy waits, then fails clearly with nothing half-written; nft does not take that lock', async () => {
    const sb = sandbox()
    const a = area('xlock')
    // A private lock file (iptables reads XTABLES_LOCKFILE), so the test never holds this machine's.
    const lock = join(a.dir, 'xtables.lock')
    writeFileSync(lock, '')
    const env = {XTABLES_LOCKFILE: lock}
    writeFileSync(
      join(a.cfg, 'main.hcl'),
      `rule "xl" {
  from = "10.76.0.0/24"
  to   = "10.77.0.0/24"
  port = 443
}
port_forward "xl_in" {
  in_interface = "lo"
  port         = 8443
  to           = "10.77.0.5"
  to_port      = 443
}
`,
    )
    const holder = execa('flock', [lock, 'sleep', '60'], {reject: false})
    try {
      await sleep(300)
      const before = await host()
      const r = await cli(a, ['apply', '--auto-approve'], {env})
      if (backend === 'legacy') {
        expect(r.exitCode).toBe(1)
        expect(r.stderr).toMatch(/xtables lock/)
        expect(r.stderr).toMatch(/iptables host\/filter: NOT committed/)
        expect(r.stderr).toMatch(/iptables host\/nat: NOT committed/)
        // Nothing half-written: no table changed, and the state records no rule.
        expect(await host()).toEqual(before)
        const state = existsSync(a.state)
          ? (JSON.parse(readFileSync(a.state, 'utf8')) as {resources: {address: string}[]})
          : {resources: []}
        expect(state.resources.map((x) => x.address)).not.toContain('rule.xl')
      } else {
        // iptables-nft-restore does not use the xtables lock: the apply goes through.
        expectExit(r, 0)
        expect(await sb.iptablesSave()).toContain('dockwall:rule.xl')
      }
    } finally {
      holder.kill('SIGKILL')
      await holder
    }
    expectExit(await cli(a, ['apply', '--auto-approve'], {env}), 0)
    expect(await sb.iptablesSave()).toContain('dockwall:port_forward.xl_in')
    expectExit(await cli(a, ['destroy', '--auto-approve'], {env}), 0)
  })

  it('apply killed with SIGKILL mid-restore: the restore dies with it and nothing commits later', async () => {
    const sb = sandbox()
    const a = area('orphan')
    writeFileSync(
      join(a.cfg, 'main.hcl'),
      `rule "orphan" {
  from = "10.76.1.0/24"
  to   = "10.77.1.0/24"
  port = 443
}
`,
    )
    // Shims named as the restore commands, first in PATH: each records its PID, holds its
    // input for 4 s (a restore waiting for the xtables lock, or slow to read), then execs
    // the real one. A shim that outlives the killed apply would commit after those 4 s.
    // `--test` restores (checks, which commit nothing) go straight through.
    const shims = join(a.dir, 'shims')
    mkdirSync(shims)
    const pids = join(a.dir, 'restore-pids')
    for (const family of ['iptables', 'ip6tables']) {
      const name = `${family}-${backend}-restore`
      const real = (await execa('which', [name])).stdout.trim()
      writeFileSync(
        join(shims, name),
        `#!/bin/sh\ncase " $* " in *" --test "*) exec ${real} "$@" ;; esac\necho $$ >> ${pids}\nsleep 4\nexec ${real} "$@"\n`,
        {mode: 0o755},
      )
    }
    const before = await host()
    const apply = spawnCli(a, ['apply', '--auto-approve'], {PATH: `${shims}:${process.env.PATH ?? ''}`})
    const deadline = Date.now() + 60_000
    while (!existsSync(pids) && apply.exitCode === null && Date.now() < deadline) await sleep(25)
    expect(existsSync(pids), 'the apply reached a restore').toBe(true)
    apply.kill('SIGKILL')
    const r = await apply
    expect(r.signal).toBe('SIGKILL')
    const restorePids = readFileSync(pids, 'utf8').trim().split('\n').map(Number)
    // Gone at once: no process left, or a zombie waiting for a reaper.
    const alive = (pid: number): boolean => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
      } catch {
        return false
      }
    }
    await sleep(500)
    expect(restorePids.filter(alive), 'restore processes still running after their dockwall was killed').toEqual([])
    // Past the shims' 4 s: an orphan would have committed by now.
    await sleep(6_000)
    expect(await host()).toEqual(before)
    // The next apply takes over the dead lock and converges.
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    expect(await sb.iptablesSave()).toContain('dockwall:rule.orphan')
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
  })

  it("a firewall reload that flushes dockwall's chain and removes its jump: plan reports the drift, apply repairs it", async () => {
    const sb = sandbox()
    const a = area('reload')
    writeFileSync(join(a.cfg, 'main.hcl'), SMALL)
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const good = stableSave(await sb.iptablesSave({table: 'filter'}))
    await sb.iptables(['-F', 'DOCKWALL-FORWARD'])
    await sb.iptables(['-D', 'DOCKER-USER', '-m', 'comment', '--comment', 'dockwall:jump', '-j', 'DOCKWALL-FORWARD'])
    const plan = parseJson<{resource_drift: {address: string}[]}>(expectExit(await cli(a, ['plan', '--json']), 0))
    expect(plan.resource_drift.map((d) => d.address)).toEqual(
      expect.arrayContaining(['chain["host:DOCKWALL-FORWARD"]', 'rule.fa_web']),
    )
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    expect(stableSave(await sb.iptablesSave({table: 'filter'}))).toBe(good)
    expectExit(await cli(a, ['plan', '--detailed-exitcode', '--no-tty']), 0)
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
  })

  it('a network replace Docker refuses after the delete: the old network comes back with its settings and its containers at their addresses, then the failure is reported', async () => {
    const sb = sandbox()
    const a = area('replace')
    await sb.runContainer('rp-web', {})
    await sb.runContainer('rp-side', {})
    const v1 = `network "rp" {
  subnet  = "10.74.1.0/24"
  labels  = { team = "web" }
  options = { "com.docker.network.bridge.enable_icc" = "true" }
}
container "web" {
  name = "rp-web"
  network "rp" {
    ipv4_address = "10.74.1.10"
    aliases      = ["www"]
  }
}
`
    writeFileSync(join(a.cfg, 'main.hcl'), v1)
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    // A container dockwall does not manage, on the same network, with an address Docker chose and an alias.
    await sb.docker.getNetwork('rp').connect({Container: 'rp-side', EndpointConfig: {Aliases: ['side']}})
    type Inspect = {
      Id: string
      IPAM: {Config: {Subnet: string}[]}
      Labels: Record<string, string>
      Options: Record<string, string>
      Containers: Record<string, {Name: string; IPv4Address: string}>
    }
    const inspect = async (): Promise<Inspect> => (await sb.docker.getNetwork('rp').inspect()) as Inspect
    const endpoints = async (): Promise<string[]> => {
      const out: string[] = []
      for (const name of ['rp-web', 'rp-side']) {
        const c = await sb.docker.getContainer(name).inspect()
        const ep = c.NetworkSettings.Networks.rp
        out.push(
          `${name} ${ep?.IPAddress ?? 'none'} ${(ep?.Aliases ?? [])
            .filter((x: string) => !c.Id.startsWith(x))
            .sort()
            .join(',')}`,
        )
      }
      return out
    }
    const old = await inspect()
    const oldEndpoints = await endpoints()
    // The replacement's subnet, taken by hand between the plan and the apply (while apply asks).
    writeFileSync(join(a.cfg, 'main.hcl'), v1.replaceAll('10.74.1.', '10.74.2.'))
    const child = spawnCli(a, ['apply'])
    await printed(child, 'Enter a value')
    const blocker = await sb.createNetwork('rp-block', '10.74.2.0/24')
    child.stdin?.write('yes\n')
    const r = await child
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('the old network rp was restored with its settings')
    expect(r.stderr).toContain('2 of 2 disconnected containers reconnected')
    const back = await inspect()
    expect(back.Id).not.toBe(old.Id)
    expect(back.IPAM.Config.map((c) => c.Subnet)).toEqual(['10.74.1.0/24'])
    expect(back.Labels).toEqual(old.Labels)
    expect(back.Options).toEqual(old.Options)
    expect(await endpoints()).toEqual(oldEndpoints)
    // And traffic flows between them again.
    await sb.listen('rp-web', 80)
    expect((await sb.exec('rp-side', ['nc', '-w', '2', '10.74.1.10', '80'], {timeoutMs: 15_000})).stdout.trim()).toBe(
      'dockwall-ok rp-web 80',
    )
    // Once the subnet is free, the replace goes through.
    await sb.docker.getNetwork(blocker).remove()
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    expectExit(await cli(a, ['plan', '--detailed-exitcode', '--no-tty']), 0)
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
  })

  it('a network created but not recorded (apply killed before its save) is recognised by its lineage label: recorded as created, and destroy removes it', async () => {
    const sb = sandbox()
    const a = area('lineage')
    writeFileSync(join(a.cfg, 'main.hcl'), 'network "ln" {\n  subnet = "10.75.1.0/24"\n}\n')
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const lineage = (JSON.parse(readFileSync(a.state, 'utf8')) as {lineage: string}).lineage
    const net = (await sb.docker.getNetwork('ln').inspect()) as {Labels: Record<string, string>}
    expect(net.Labels['dockwall.lineage']).toBe(lineage)
    // The state loses the record, as after a SIGKILL between Docker's create and the state save.
    expectExit(await runCli(['state', 'rm', 'network.ln', '--state', a.state], {cwd: a.dir}), 0)
    const plan = parseJson<{resource_changes: {address: string; action: string}[]}>(
      expectExit(await cli(a, ['plan', '--json']), 0),
    )
    expect(plan.resource_changes.find((c) => c.address === 'network.ln')?.action).toBe('no-op')
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const state = JSON.parse(readFileSync(a.state, 'utf8')) as {resources: {address: string; ids: {origin?: string}}[]}
    expect(state.resources.find((x) => x.address === 'network.ln')?.ids.origin).toBe('created')
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
    expect((await sb.docker.listNetworks()).map((n) => n.Name)).not.toContain('ln')
  })

  it('dockerd restarted between plan --out and apply PLANFILE: the saved plan is refused as stale, saying what moved, and nothing is touched', async () => {
    const sb = sandbox()
    const a = area('restart')
    await sb.runContainer('fr-web', {restart: 'always'})
    writeFileSync(
      join(a.cfg, 'main.hcl'),
      `network "fr" {
  subnet = "10.73.1.0/24"
}
container "web" {
  name = "fr-web"
  network "fr" {
    ipv4_address = "10.73.1.10"
  }
}
port_forward "inside" {
  in_container = container.web
  port         = 8080
  to_port      = 80
}
`,
    )
    const planFile = join(a.dir, 'saved.plan')
    expectExit(await cli(a, ['plan', '--out', planFile, '--no-tty']), 0)
    await sb.restartDaemon()
    // Docker rewrites its own rules as it comes back: compare only once it is done.
    await dockerSettled(sb)
    const attached = async (): Promise<string[]> =>
      Object.keys((await sb.docker.getContainer('fr-web').inspect()).NetworkSettings.Networks).sort()
    const before = {host: await host(), attached: await attached()}
    const r = await cli(a, ['apply', planFile])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('the host changed since the plan was made')
    // Named part by part, from the hashes the plan file kept: the container dockerd restarted
    // (a new process) at least, never the fallback for plan files without them.
    const moved = /the host changed since the plan was made \((.*)\), so the saved plan is stale/.exec(r.stderr)?.[1]
    console.log(`faults on ${backend}: after the dockerd restart, apply PLANFILE said: ${moved ?? r.stderr}`)
    expect(moved).toContain('container fr-web')
    expect(moved).not.toContain("Docker networks, containers or dockwall's iptables chains differ")
    expect(r.stderr).toContain('make a new plan')
    expect({host: await host(), attached: await attached()}).toEqual(before)
    expect(before.host.networks.some((n) => n.startsWith('fr '))).toBe(false)
    expect(existsSync(a.state)).toBe(false)
    // A plan made now applies.
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    expectExit(await cli(a, ['plan', '--detailed-exitcode', '--no-tty']), 0)
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
  })

  it('a first apply writes its state, with the lineage its saved plan carries, before it creates anything: a network created but not recorded is its own, and destroy removes it', async () => {
    const sb = sandbox()
    const a = area('first')
    writeFileSync(join(a.cfg, 'main.hcl'), 'network "fl" {\n  subnet = "10.75.2.0/24"\n}\n')
    // Docker will refuse the create (the subnet is taken), as a create that a SIGKILL cuts
    // short leaves no record: the state must be on disk all the same, with the plan's lineage.
    const blocker = await sb.createNetwork('fl-block', '10.75.2.0/24')
    // The plan of a first apply chooses the lineage, and its file carries it.
    const planFile = join(a.dir, 'first.plan')
    expectExit(await cli(a, ['plan', '--out', planFile, '--no-tty']), 0)
    const planned = (JSON.parse(readFileSync(planFile, 'utf8')) as {plan: {lineage: string; prior: {lineage: null}}})
      .plan
    expect(planned.prior.lineage).toBeNull()
    expect(planned.lineage).toMatch(/^[0-9a-f-]{36}$/)
    const failed = await cli(a, ['apply', planFile])
    expect(failed.exitCode).toBe(1)
    expect(failed.stderr).toContain('network.fl')
    const state = decodeState(readFileSync(a.state, 'utf8'), a.state)
    expect(state.lineage).toBe(planned.lineage)
    expect(state.resources).toEqual([])
    // What a dockwall killed between Docker's create and its next save leaves: the network,
    // labelled with the state's lineage, and no record of it.
    await sb.docker.getNetwork(blocker).remove()
    await sb.docker.createNetwork({
      Name: 'fl',
      IPAM: {Config: [{Subnet: '10.75.2.0/24'}]},
      Labels: {'dockwall.lineage': planned.lineage},
    })
    const plan = parseJson<{resource_changes: {address: string; action: string}[]}>(
      expectExit(await cli(a, ['plan', '--json']), 0),
    )
    expect(plan.resource_changes.find((c) => c.address === 'network.fl')?.action).toBe('no-op')
    expectExit(await cli(a, ['apply', '--auto-approve']), 0)
    const after = JSON.parse(readFileSync(a.state, 'utf8')) as {resources: {address: string; ids: {origin?: string}}[]}
    expect(after.resources.find((x) => x.address === 'network.fl')?.ids.origin).toBe('created')
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
    expect((await sb.docker.listNetworks()).map((n) => n.Name)).not.toContain('fl')
  })

  it('apply killed with SIGKILL at 10 seeded points of 2,000-rule applies: the state parses, each table is entirely old or entirely new, and the next apply (taking over the dead lock, removing the temp files) and plan converge', async () => {
    const sb = sandbox()
    const a = area('sigkill')
    const main = join(a.cfg, 'main.hcl')
    const lockPath = `${a.state}.lock`
    const started = performance.now()
    /** dockwall's lines of both families, per table. */
    const owned = async (): Promise<Map<string, string>> =>
      new Map([
        ...ownedTables(await sb.iptablesSave(), 'ipv4'),
        ...ownedTables(await sb.iptablesSave({family: 6}), 'ipv6'),
      ])
    /** Starts `apply --auto-approve --json` of configuration `variant`, killable, its events followed. */
    const startApply = (variant: Variant) => {
      writeFileSync(main, killConfig(variant))
      const t0 = performance.now()
      const child = spawnCli(a, ['apply', '--auto-approve', '--json'])
      return {child, t0, events: followEvents(child, t0)}
    }

    // Each configuration's lines, from complete applies; B's events time the parts of an apply.
    const lines: Record<Variant, Map<string, string>> = {A: new Map(), B: new Map()}
    writeFileSync(main, killConfig('A'))
    expectExit(await cli(a, ['apply', '--auto-approve', '--json']), 0)
    lines.A = await owned()
    const calibration = startApply('B')
    const calibrated = await calibration.child
    expectExit({...calibrated, exitCode: calibrated.exitCode ?? -1}, 0)
    const endMs = Math.round(performance.now() - calibration.t0)
    lines.B = await owned()
    const tables = [...new Set([...lines.A.keys(), ...lines.B.keys()])].sort()
    expect(tables).toEqual(['ipv4 filter', 'ipv4 nat', 'ipv6 filter', 'ipv6 nat'])
    for (const t of tables) expect(lines.A.get(t), `${t} differs between A and B`).not.toBe(lines.B.get(t))
    expect(lines.A.get('ipv4 filter')!.split('\n').length).toBeGreaterThan(FILTER_LINES)
    const at = (type: string): number => calibration.events.at.get(type) ?? Number.NaN
    const lengths: Record<Segment, number> = {
      // Less a fifth: start-up times vary the most, and a kill that comes after the end lands nowhere.
      'start-up': Math.round(0.8 * at('batch_start')),
      iptables: at('batch_done') - at('batch_start'),
      'state write': endMs - at('batch_done'),
    }
    expect(Object.values(lengths).every(Number.isFinite), JSON.stringify(lengths)).toBe(true)
    const setupMs = performance.now() - started

    // The chain: each apply starts from what the last kill left, towards the configuration
    // the 2,000-rule table is not at (so every one has work to cut short), and is killed at
    // the next point. DOCKWALL_KILL_SEED replays a run (each backend draws from seed + its index).
    const seed = Number(process.env.DOCKWALL_KILL_SEED ?? 15)
    const points = killPoints(seed + BACKENDS.indexOf(backend), MAX_ATTEMPTS, lengths)
    const labels = async (): Promise<Map<string, string>> => {
      const now = await owned()
      return new Map(tables.map((t) => [t, tableLabel(now.get(t), lines.A.get(t), lines.B.get(t))]))
    }
    let host = await labels()
    const log: string[] = []
    const leftKinds = new Set<string>()
    let killed = 0
    let takeovers = 0
    let orphans = 0
    for (const [i, point] of points.entries()) {
      if (killed === KILLS) break
      const target: Variant = host.get('ipv4 filter') === 'A' ? 'B' : 'A'
      const lockLeft = existsSync(lockPath)
      const run = startApply(target)
      const marker = SEGMENT_START[point.segment]
      if (marker === undefined || (await run.events.reached(marker))) await sleep(point.delayMs)
      const lastSeen = run.events.last() ?? 'nothing'
      run.child.kill('SIGKILL')
      const r = await run.child
      const what = `attempt ${i + 1} (seed ${seed}, ${point.segment} +${point.delayMs} ms, towards ${target})`
      // Timings move under load: an apply may end before its kill, and then it must have succeeded.
      if (r.signal === 'SIGKILL') killed++
      else expectExit({...r, exitCode: r.exitCode ?? -1}, 0)
      // A restore the kill orphaned commits its table (or not) first: then the host holds still.
      orphans += await restoresFinished(sb.netnsPath)
      // The state file parses, with dockwall's own loader.
      decodeState(readFileSync(a.state, 'utf8'), a.state)
      // Each table is entirely what it was or entirely the target.
      const now = await labels()
      for (const t of tables)
        expect([host.get(t), target], `${what}: ${t} is ${now.get(t)}, was ${host.get(t)}`).toContain(now.get(t))
      // A lock the previous kill left (its pid is gone) was taken over, saying so.
      if (lockLeft && run.events.at.has('apply_start')) {
        expect(r.stderr, what).toContain('taking over the state lock')
        takeovers++
      }
      for (const f of stateLeftovers(a.dir, 'state.json')) leftKinds.add(f.replace(/-\d+-[0-9a-f-]+$/, '-*'))
      const outcome = r.signal === 'SIGKILL' ? '' : 'completed:'
      log.push(`${point.segment}+${point.delayMs}ms@${lastSeen}:${outcome}${tables.map((t) => now.get(t)).join('')}`)
      host = now
    }
    expect(killed, log.join(' ')).toBe(KILLS)
    const chainMs = performance.now() - started - setupMs

    // The next apply converges: it takes over the dead lock, removes the dead's temp files,
    // and leaves every table exactly as its configuration says; plan then has nothing to do.
    const target: Variant = host.get('ipv4 filter') === 'A' ? 'B' : 'A'
    writeFileSync(main, killConfig(target))
    const lockLeft = existsSync(lockPath)
    const leftBefore = stateLeftovers(a.dir, 'state.json')
    const converged = expectExit(await cli(a, ['apply', '--auto-approve', '--json']), 0)
    if (lockLeft) expect(converged.stderr).toContain('taking over the state lock')
    expect(await labels()).toEqual(new Map(tables.map((t) => [t, target])))
    expect(stateLeftovers(a.dir, 'state.json'), `left before it: ${leftBefore.join(' ')}`).toEqual([])
    expectExit(await cli(a, ['plan', '--detailed-exitcode', '--no-tty']), 0)
    const convergeMs = performance.now() - started - setupMs - chainMs
    // One line to replay a red run: the seed, where each kill landed (segment + delay @ the
    // last event printed : the tables A or B), and the timings.
    console.log(
      `faults on ${backend}: SIGKILL chain, seed ${seed} (DOCKWALL_KILL_SEED), tables ${tables.join(', ')}: ` +
        `${log.join(' ')}; ${killed} killed in ${log.length} attempts, ${takeovers} dead locks taken over, ` +
        `${orphans} orphaned restores, left beside the state by kills: ${[...leftKinds].sort().join(' ') || 'nothing'}; ` +
        `parts of an apply ${JSON.stringify(lengths)} ms; setup ${(setupMs / 1000).toFixed(1)} s, ` +
        `kills ${(chainMs / 1000).toFixed(1)} s, converge ${(convergeMs / 1000).toFixed(1)} s`,
    )
    expectExit(await cli(a, ['destroy', '--auto-approve']), 0)
    expect(await owned()).toEqual(new Map())
  })
})
