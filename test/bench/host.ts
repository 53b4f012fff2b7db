// The large host of issues 3 and 4: a sandbox (test/sandbox) holding 200 containers on
// a few networks and 20,000 iptables rules, most in a foreign chain and a few hundred
// in dockwall's own chains, all loaded with one iptables-restore. The configuration
// that covers it (every network and container declared, a few hundred rules between
// containers) is what the plan benchmark plans; dockwall's lines on the host are
// exactly what that configuration renders, so the plan is the steady state: no changes.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {loadConfig} from '../../src/config/index.js'
import {connectDocker, type DockerConnection} from '../../src/docker/client.js'
import type {Backend, DesiredModel} from '../../src/model/types.js'
import {normalizeRuleSpec} from '../../src/netfilter/index.js'
import {makePlan} from '../../src/plan/planner.js'
import type {Plan} from '../../src/plan/types.js'
import {refresh} from '../../src/refresh/refresh.js'
import {Sandbox} from '../sandbox/index.js'
import {planHasChanges} from '../../src/plan/summary.js'
import type {NetnsTarget} from '../../src/util/exec.js'
import {mapLimit} from '../../src/util/pool.js'
import {DOCKWALL_VERSION} from '../../src/version.js'
import type {HostProvider} from './lib.js'

export interface BigHostSize {
  containers: number
  networks: number
  /** Rule lines in the namespace after the load (foreign + dockwall's), Docker's own not counted. */
  rules: number
  /** Rule blocks in the covering configuration (one line each in DOCKWALL-FORWARD). */
  configRules: number
}

export const FULL_SIZE: BigHostSize = {containers: 200, networks: 4, rules: 20_000, configRules: 300}
export const QUICK_SIZE: BigHostSize = {containers: 40, networks: 2, rules: 5_000, configRules: 60}

export const containerName = (i: number): string => `c${String(i).padStart(3, '0')}`
export const networkName = (k: number): string => `bnet${k}`
const subnetOf = (k: number): string => `10.200.${k}.0/24`

/**
 * The covering configuration: every network and container of the host declared, and
 * `rules` rule blocks between containers (ports 80 and 443, so one multiport line each).
 */
export function coveringConfig(size: BigHostSize): string {
  const out: string[] = []
  for (let k = 0; k < size.networks; k++) out.push(`network "${networkName(k)}" {\n  subnet = "${subnetOf(k)}"\n}\n`)
  for (let i = 0; i < size.containers; i++)
    out.push(`container "${containerName(i)}" {\n  network "${networkName(i % size.networks)}" {}\n}\n`)
  for (let r = 0; r < size.configRules; r++) {
    const a = containerName(r % size.containers)
    const b = containerName((r * 7 + 3) % size.containers)
    out.push(
      `rule "r${String(r).padStart(4, '0')}" {\n  from     = container.${a}\n  to       = container.${b}\n  ports    = [80, 443]\n  priority = ${100 + (r % 10)}\n}\n`,
    )
  }
  return out.join('\n')
}

/** `n` rules of a foreign firewall in chain `chain` (a mix of the shapes real rule sets hold). */
export function foreignRules(n: number, chain = 'BENCH-FOREIGN'): string[] {
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    const a = `${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    const port = 1024 + (i % 60000)
    switch (i % 4) {
      case 0:
        lines.push(
          `-A ${chain} -s 10.${a}/32 -d 172.20.0.0/16 -p tcp -m tcp --dport ${port} -m comment --comment "office ${i}" -j ACCEPT`,
        )
        break
      case 1:
        lines.push(`-A ${chain} -s 10.${a}/32 -p udp -m multiport --dports ${port},${port + 1},${port + 7} -j ACCEPT`)
        break
      case 2:
        lines.push(`-A ${chain} -d 10.${a}/32 -m conntrack --ctstate NEW -j DROP`)
        break
      default:
        lines.push(
          `-A ${chain} -s 10.${a}/32 -i eth0 -p tcp -m tcp --dport ${port} -j REJECT --reject-with icmp-port-unreachable`,
        )
    }
  }
  return lines
}

/** Plans `model` against the host in-process (refresh + makePlan), as `dockwall plan` does. */
export async function planInProcess(docker: DockerConnection, host: NetnsTarget, model: DesiredModel): Promise<Plan> {
  const {actual} = await refresh({docker, host, backend: 'auto', model, prior: null})
  return makePlan(
    {model, actual, prior: null},
    {mode: 'normal', targets: [], dockwallVersion: DOCKWALL_VERSION, normalize: (s) => normalizeRuleSpec(s)},
  ).plan
}

export class BigHost {
  readonly setup: {sandboxS: number; containersS: number; restoreS: number; ruleLines: number; dockwallLines: number} =
    {sandboxS: 0, containersS: 0, restoreS: 0, ruleLines: 0, dockwallLines: 0}
  model!: DesiredModel
  docker!: DockerConnection

  private constructor(
    readonly sb: Sandbox,
    readonly size: BigHostSize,
    readonly dir: string,
  ) {}

  get configDir(): string {
    return join(this.dir, 'config')
  }

  get cacheDir(): string {
    return join(this.dir, 'cache')
  }

  get statePath(): string {
    return join(this.dir, 'dockwall.state.json')
  }

  get host(): NetnsTarget {
    return {kind: 'path', path: this.sb.netnsPath}
  }

  /** Flags that point the CLI at this sandbox. */
  cliArgs(): string[] {
    return ['--netns', this.sb.netnsPath, '--docker-host', this.sb.dockerHost]
  }

  cliEnv(): Record<string, string> {
    return {DOCKWALL_CACHE_DIR: this.cacheDir}
  }

  static async create(backend: Backend, size: BigHostSize, log: (l: string) => void): Promise<BigHost> {
    const dir = await mkdtemp(join(tmpdir(), `dockwall-bench-${backend}-`))
    const t0 = performance.now()
    const sb = await Sandbox.start({backend})
    const host = new BigHost(sb, size, dir)
    try {
      host.setup.sandboxS = (performance.now() - t0) / 1000
      await host.populate(log)
    } catch (error) {
      await host.stop()
      throw error
    }
    return host
  }

  private async populate(log: (l: string) => void): Promise<void> {
    const {sb, size} = this
    log(
      `  ${sb.backend}: sandbox ${sb.name} up in ${this.setup.sandboxS.toFixed(1)} s; starting ${size.containers} containers on ${size.networks} networks...`,
    )
    for (let k = 0; k < size.networks; k++) await sb.createNetwork(networkName(k), subnetOf(k))
    let t0 = performance.now()
    // Parallel batches: dockerd serialises some of the work anyway, and more in flight only queues.
    await mapLimit(
      Array.from({length: size.containers}, (_, i) => i),
      12,
      async (i) => {
        await sb.runContainer(containerName(i), {network: networkName(i % size.networks)})
      },
    )
    this.setup.containersS = (performance.now() - t0) / 1000

    await mkdir(this.configDir, {recursive: true})
    await writeFile(join(this.configDir, 'main.hcl'), coveringConfig(size))
    const loaded = await loadConfig({path: this.configDir, env: {}})
    if (!loaded.model)
      throw new Error(`the covering configuration does not load: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`)
    this.model = loaded.model
    this.docker = await connectDocker(sb.dockerHost)

    // dockwall's lines are what the configuration renders on this host: take them from the plan.
    const first = await planInProcess(this.docker, this.host, this.model)
    const dockwallLines = first.firewall.reduce(
      (n, tx) => n + tx.input.split('\n').filter((l) => l.startsWith('-A ')).length,
      0,
    )
    const foreign = foreignRules(size.rules - dockwallLines)
    const input = [
      '*filter',
      ':BENCH-FOREIGN - [0:0]',
      ...foreign,
      'COMMIT',
      ...first.firewall.map((tx) => tx.input.trimEnd()),
      '',
    ].join('\n')
    t0 = performance.now()
    await sb.iptablesRestore(input)
    this.setup.restoreS = (performance.now() - t0) / 1000
    this.setup.dockwallLines = dockwallLines
    const saved = await sb.iptablesSave()
    this.setup.ruleLines = saved.split('\n').filter((l) => l.startsWith('-A ')).length

    const again = await planInProcess(this.docker, this.host, this.model)
    if (planHasChanges(again))
      throw new Error(
        `the large host is not in the steady state: the plan still has changes (${again.changes
          .filter((c) => c.action !== 'no-op')
          .slice(0, 3)
          .map((c) => `${c.action} ${c.address}`)
          .join(', ')})`,
      )
    log(
      `  ${sb.backend}: ${size.containers} containers started in ${this.setup.containersS.toFixed(1)} s; ${this.setup.ruleLines} rule lines ` +
        `(${foreign.length} foreign, ${dockwallLines} dockwall's, the rest Docker's) loaded by one restore in ${this.setup.restoreS.toFixed(2)} s`,
    )
  }

  async stop(): Promise<void> {
    try {
      await this.sb.stop()
    } finally {
      await rm(this.dir, {recursive: true, force: true})
    }
  }
}

/** One BigHost per backend, made on first use and stopped by `stopAll()`. */
export class BigHosts implements HostProvider {
  private readonly hosts = new Map<Backend, Promise<BigHost>>()

  constructor(
    private readonly size: BigHostSize,
    private readonly log: (l: string) => void,
  ) {}

  get(backend: Backend): Promise<BigHost> {
    let h = this.hosts.get(backend)
    if (!h) {
      h = BigHost.create(backend, this.size, this.log)
      this.hosts.set(backend, h)
    }
    return h
  }

  /** Stops every host made so far (also the ones whose creation failed: create cleans up after itself). */
  async stopAll(): Promise<void> {
    const all = [...this.hosts.values()]
    this.hosts.clear()
    const results = await Promise.allSettled(all.map(async (p) => (await p).stop()))
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    // A host that failed to start already cleaned up: only report stop failures of running hosts.
    if (failed.length > 0)
      for (const f of failed) this.log(`  (cleanup: ${(f.reason as Error).message.split('\n')[0]})`)
  }

  /** Stops the host of one backend, if it was made. */
  async stop(backend: Backend): Promise<void> {
    const p = this.hosts.get(backend)
    if (!p) return
    this.hosts.delete(backend)
    try {
      await (await p).stop()
    } catch (error) {
      this.log(`  (cleanup: ${(error as Error).message.split('\n')[0]})`)
    }
  }
}
