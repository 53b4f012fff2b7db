// A real Docker Engine in a private network namespace, for e2e tests, the demo and
// benchmarks (README, "The tests"). Nothing it does touches the host namespace's
// firewall or interfaces: dockerd, containerd and every iptables call run inside
// `dwsb-*` namespaces; files live under /tmp/dockwall-sandbox/<name>/.
//
//   const sb = await Sandbox.start({backend: 'legacy'})
//   try {
//     await sb.createNetwork('front', '10.10.1.0/24')
//     await sb.runContainer('web', {network: 'front', ip: '10.10.1.10'})
//     await sb.runContainer('cli', {network: 'front'})
//     await sb.canConnect({from: 'cli', to: '10.10.1.10', port: 80}) // true
//   } finally {
//     await sb.stop()
//   }
import {mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync} from 'node:fs'
import {isIP} from 'node:net'
import {join} from 'node:path'

import Docker from 'dockerode'

import {ExternalError} from '../errors.js'
import {run, type NetnsTarget, type RunOptions, type RunResult} from '../util/exec.js'
import {dockerExec, dockerExecDetached, type ExecResult} from './docker-exec.js'
import {defaultEngine, resolveEngine, type Engine, type EngineName} from './engine.js'
import {ExternalClient, type ClientPlacement, type ConnectResult} from './external-client.js'
import {rootfsTar, importTestImage, TEST_IMAGE} from './image.js'
import {checkPreconditions, searchPath, type Tools} from './preconditions.js'
import {isProcessAlive, listeningTcpPorts, signalProcess, sleep, waitGone} from './procfs.js'
import {gcSync, reapSync, type GcReport} from './reap.js'
import {
  ensureBaseDir,
  NAME_PREFIX,
  NETNS_DIR,
  ownerIdentity,
  SANDBOX_BASE,
  writeRecord,
  type Backend,
  type SandboxRecord,
} from './record.js'
import {spawnDaemon, type Daemon} from './spawn.js'

export type {Backend} from './record.js'
export type {EngineName} from './engine.js'

export interface SandboxOptions {
  backend: Backend
  /** Defaults to `dwsb-<pid>-<n>`; must start with `dwsb-` so gc can find it. */
  name?: string
  /**
   * `system`: the installed docker.io (Debian 12: 20.10); `trixie` (26.1) and `sid` (28.5): private
   * copies of those suites' docker.io (debian-engine.ts). Default: DOCKWALL_SANDBOX_ENGINE, else `system`.
   */
  engine?: EngineName
  /** Import the busybox test image (default true). */
  image?: boolean
  /** How long dockerd may take to answer (default 30 s). */
  startTimeoutMs?: number
  /**
   * Docker writes ip6tables rules for its IPv6 networks (isolation, masquerade, published
   * ports), as an operator who turns IPv6 on sets it: the default from 27.0, an option
   * before, behind experimental until 27.0 (26.1 refuses it without). Off, Docker leaves
   * ip6tables alone on 20.10 and 26.
   */
  ip6tables?: boolean
  /** Download a newer engine that is not unpacked yet (default true; dockwall itself never does). */
  fetchEngine?: boolean
}

export interface SandboxTimings {
  /** From the call to `start()` until the API answered (image import excluded). */
  startMs: number
  imageMs?: number
  lastRestart?: {stopMs: number; startMs: number}
  stopMs?: number
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure'

export interface RunContainerOptions {
  /** Network to attach at creation (default Docker's `bridge`). */
  network?: string
  ip?: string
  ipv6?: string
  /** Published ports (`docker run -p HOST:CONTAINER`, TCP, every host address). */
  publish?: Array<{hostPort: number; containerPort: number}>
  aliases?: string[]
  /** More networks, connected before the container starts. */
  extraNetworks?: Array<{network: string; ip?: string; aliases?: string[]}>
  /** Default `sleep 1000000`. */
  cmd?: string[]
  restart?: RestartPolicy
  /**
   * Seconds Docker waits after SIGTERM before SIGKILL (default 1). `sleep` as PID 1 ignores
   * SIGTERM, so with Docker's default of 10 every daemon restart waits 10 s per container.
   */
  stopTimeout?: number
  labels?: Record<string, string>
  capAdd?: string[]
  image?: string
}

export interface SandboxContainer {
  id: string
  name: string
  pid: number
  /** Address on each network, by network name. */
  ips: Record<string, string>
}

export interface IptablesOptions {
  family?: 4 | 6
}

const IPTABLES_TOOLS = [
  'iptables',
  'iptables-save',
  'iptables-restore',
  'ip6tables',
  'ip6tables-save',
  'ip6tables-restore',
] as const

/** `iptables-save` → `iptables-legacy-save`: the backend-specific binary behind each generic name. */
function backendBinary(tool: string, backend: Backend): string {
  const [base, ...rest] = tool.split('-')
  return [`${base}-${backend}`, ...rest].join('-')
}

const live = new Set<Sandbox>()
let nameCounter = 0

function allocateName(): string {
  for (;;) {
    const name = `${NAME_PREFIX}${process.pid}-${++nameCounter}`
    if (!existsSync(join(SANDBOX_BASE, name)) && !existsSync(join(NETNS_DIR, name))) return name
  }
}

function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

export class Sandbox {
  readonly name: string
  readonly backend: Backend
  readonly root: string
  readonly netnsPath: string
  readonly dockerHost: string
  readonly socketPath: string
  readonly docker: Docker
  readonly timings: SandboxTimings = {startMs: 0}
  readonly engine: Engine
  /** The image stand-in containers run: the static busybox, imported at start. */
  readonly standInImage = TEST_IMAGE
  private readonly record: SandboxRecord
  private readonly tools: Tools
  private readonly pingClient: Docker
  private dockerd?: Daemon
  private containerd?: Daemon
  private dockerdArgv: string[] = []
  private stopping?: Promise<void>
  private readonly listeners = new Set<string>()
  private readonly clients: ExternalClient[] = []

  private constructor(record: SandboxRecord, tools: Tools, engine: Engine) {
    this.record = record
    this.tools = tools
    this.engine = engine
    this.name = record.name
    this.backend = record.backend
    this.root = record.root
    this.netnsPath = join(NETNS_DIR, record.netns)
    this.socketPath = join(record.root, 'docker.sock')
    this.dockerHost = `unix://${this.socketPath}`
    this.docker = new Docker({socketPath: this.socketPath})
    this.pingClient = new Docker({socketPath: this.socketPath, timeout: 2000})
  }

  /** Starts dockerd in a new network namespace and imports the test image; cleans up after itself if any step fails. */
  static async start(opts: SandboxOptions): Promise<Sandbox> {
    const started = performance.now()
    if (opts.backend !== 'nft' && opts.backend !== 'legacy')
      throw new Error(`unknown backend ${String(opts.backend)} (nft or legacy)`)
    const tools = checkPreconditions()
    const engine = await resolveEngine(opts.engine ?? defaultEngine(), {fetch: opts.fetchEngine !== false})
    ensureBaseDir()
    const name = opts.name ?? allocateName()
    if (!/^dwsb-[a-z0-9][a-z0-9-]{0,40}$/.test(name))
      throw new Error(`invalid sandbox name ${JSON.stringify(name)}: dwsb- followed by [a-z0-9-]`)
    const root = join(SANDBOX_BASE, name)
    try {
      mkdirSync(root, {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new Error(`sandbox ${name} already exists (${root}); Sandbox.gc() removes stale ones`)
      throw error
    }
    const record: SandboxRecord = {
      version: 1,
      name,
      root,
      backend: opts.backend,
      engine: `${engine.name} ${engine.version}`,
      netns: name,
      clients: [],
      cgroupParent: name,
      containerdAddress: join(root, 'containerd', 'containerd.sock'),
      owner: ownerIdentity(),
      createdAt: new Date().toISOString(),
    }
    writeRecord(record)
    const sandbox = new Sandbox(record, tools, engine)
    live.add(sandbox)
    installExitHooks()
    try {
      await sandbox.boot(opts.startTimeoutMs ?? 30_000, opts.ip6tables ?? false)
      sandbox.timings.startMs = performance.now() - started
      if (opts.image !== false) {
        const imageStarted = performance.now()
        await importTestImage(sandbox.docker, await rootfsTar(tools.busybox))
        sandbox.timings.imageMs = performance.now() - imageStarted
      }
    } catch (error) {
      try {
        await sandbox.stop()
      } catch (stopError) {
        ;(error as Error).message += `\n(and the cleanup failed: ${(stopError as Error).message})`
      }
      throw error
    }
    return sandbox
  }

  /** Removes sandboxes left behind by processes that died (see reap.ts); call it at the start of a test run. */
  static async gc(): Promise<GcReport> {
    return gcSync()
  }

  /** PID of the running dockerd. */
  get pid(): number {
    if (!this.dockerd) throw new Error(`sandbox ${this.name}: dockerd is not running`)
    return this.dockerd.pid
  }

  /** PID of the sandbox's containerd. */
  get containerdPid(): number {
    if (!this.containerd) throw new Error(`sandbox ${this.name}: containerd is not running`)
    return this.containerd.pid
  }

  private daemonEnv(): Record<string, string> {
    // The backend directory comes first: dockerd runs `iptables` and finds ours.
    const path = [join(this.root, 'bin'), ...this.engine.pathDirs, ...searchPath()].join(':')
    return {PATH: path, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8'}
  }

  private async boot(timeoutMs: number, ip6tables: boolean): Promise<void> {
    const root = this.root
    for (const dir of ['data', 'exec', 'bin', 'containerd']) mkdirSync(join(root, dir), {mode: 0o700})
    for (const tool of IPTABLES_TOOLS) {
      const target = this.tools.paths[backendBinary(tool, this.backend)]
      if (!target) throw new Error(`no ${backendBinary(tool, this.backend)}`)
      symlinkSync(target, join(root, 'bin', tool))
    }

    await run('ip', ['netns', 'add', this.record.netns])
    await this.netnsRun('ip', ['link', 'set', 'lo', 'up'])

    // Our own containerd: dockerd's managed one is skipped whenever /run/containerd/containerd.sock
    // exists (a host containerd), and then every sandbox would share the host's.
    writeFileSync(
      join(root, 'containerd', 'config.toml'),
      [
        'version = 2',
        `root = ${JSON.stringify(join(root, 'containerd', 'root'))}`,
        `state = ${JSON.stringify(join(root, 'containerd', 'state'))}`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = ${JSON.stringify(this.record.containerdAddress)}`,
        '[ttrpc]',
        '  address = ""',
        '[debug]',
        '  address = ""',
        '[metrics]',
        '  address = ""',
        '',
      ].join('\n'),
    )
    this.containerd = spawnDaemon(
      [
        'nsenter',
        `--net=${this.netnsPath}`,
        '--',
        this.engine.containerd ?? this.tools.paths.containerd ?? 'containerd',
        '--config',
        join(root, 'containerd', 'config.toml'),
      ],
      {logFile: join(root, 'containerd.log'), env: this.daemonEnv()},
    )
    await this.waitFor('containerd', this.containerd, () => existsSync(this.record.containerdAddress), timeoutMs)

    // daemon.json of our own: the host's /etc/docker/daemon.json must not apply, and Docker
    // before 24 writes its trust key to /etc/docker/key.json unless told otherwise.
    const daemonJson: Record<string, unknown> = {
      ...(this.engine.major < 24 ? {'deprecated-key-path': join(root, 'key.json')} : {}),
      ...(ip6tables ? {ip6tables: true, ...(this.engine.major < 27 ? {experimental: true} : {})} : {}),
    }
    writeFileSync(join(root, 'daemon.json'), `${JSON.stringify(daemonJson)}\n`)
    this.dockerdArgv = [
      'nsenter',
      `--net=${this.netnsPath}`,
      '--',
      this.engine.dockerd,
      '--config-file',
      join(root, 'daemon.json'),
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'docker.pid'),
      '-H',
      this.dockerHost,
      '--containerd',
      this.record.containerdAddress,
      // A cgroup parent per sandbox: container processes are found (and their cgroups removed) by it.
      '--cgroup-parent',
      `/${this.record.cgroupParent}`,
      '--exec-opt',
      'native.cgroupdriver=cgroupfs',
    ]
    await this.startDockerd(timeoutMs)
  }

  private async startDockerd(timeoutMs: number): Promise<void> {
    this.dockerd = spawnDaemon(this.dockerdArgv, {logFile: join(this.root, 'dockerd.log'), env: this.daemonEnv()})
    const ping = async () => {
      try {
        await this.pingClient.ping()
        return true
      } catch {
        return false
      }
    }
    await this.waitFor('dockerd', this.dockerd, ping, timeoutMs)
  }

  private async waitFor(
    what: string,
    daemon: Daemon,
    ready: () => boolean | Promise<boolean>,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await ready()) return
      if (daemon.hasExited() || !isProcessAlive(daemon.pid)) {
        const {exitCode, signal} = await daemon.exited
        throw this.startError(`${what} exited during start (${signal ?? `exit code ${exitCode}`})`)
      }
      if (Date.now() > deadline)
        throw this.startError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`)
      await sleep(25)
    }
  }

  private startError(summary: string): Error {
    return new Error(
      `sandbox ${this.name}: ${summary}.\n` +
        `--- ${join(this.root, 'dockerd.log')} (tail) ---\n${logTail(join(this.root, 'dockerd.log'))}\n` +
        `--- ${join(this.root, 'containerd.log')} (tail) ---\n${logTail(join(this.root, 'containerd.log'), 10)}`,
    )
  }

  // ---- Docker objects ----------------------------------------------------------------------

  /** Creates a bridge network; returns its id. */
  async createNetwork(
    name: string,
    subnet: string,
    gateway?: string,
    opts: {internal?: boolean; labels?: Record<string, string>} = {},
  ): Promise<string> {
    const network = await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: opts.internal ?? false,
      Labels: opts.labels ?? {},
      IPAM: {Driver: 'default', Config: [{Subnet: subnet, ...(gateway ? {Gateway: gateway} : {})}]},
    })
    return network.id
  }

  /** Creates and starts a container of the test image (by default `sleep 1000000`). */
  async runContainer(name: string, opts: RunContainerOptions = {}): Promise<SandboxContainer> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name))
      throw new Error(`invalid container name ${JSON.stringify(name)}: at least two characters of [a-zA-Z0-9_.-]`)
    const network = opts.network ?? 'bridge'
    const endpoint = (ip?: string, aliases?: string[], ipv6?: string) => ({
      ...(ip || ipv6 ? {IPAMConfig: {...(ip ? {IPv4Address: ip} : {}), ...(ipv6 ? {IPv6Address: ipv6} : {})}} : {}),
      ...(aliases ? {Aliases: aliases} : {}),
    })
    const publish = opts.publish ?? []
    const container = await this.docker.createContainer({
      name,
      Image: opts.image ?? TEST_IMAGE,
      Cmd: opts.cmd ?? ['sleep', '1000000'],
      StopTimeout: opts.stopTimeout ?? 1,
      Labels: opts.labels ?? {},
      ...(publish.length > 0
        ? {ExposedPorts: Object.fromEntries(publish.map((p) => [`${p.containerPort}/tcp`, {}]))}
        : {}),
      HostConfig: {
        NetworkMode: network,
        ...(publish.length > 0
          ? {
              PortBindings: Object.fromEntries(
                publish.map((p) => [`${p.containerPort}/tcp`, [{HostPort: String(p.hostPort)}]]),
              ),
            }
          : {}),
        RestartPolicy: {Name: opts.restart ?? 'no'},
        ...(opts.capAdd ? {CapAdd: opts.capAdd} : {}),
      },
      NetworkingConfig: {EndpointsConfig: {[network]: endpoint(opts.ip, opts.aliases, opts.ipv6)}},
    })
    for (const extra of opts.extraNetworks ?? []) {
      await this.docker
        .getNetwork(extra.network)
        .connect({Container: container.id, EndpointConfig: endpoint(extra.ip, extra.aliases)})
    }
    await container.start()
    const info = await container.inspect()
    const ips: Record<string, string> = {}
    for (const [net, settings] of Object.entries(info.NetworkSettings.Networks ?? {})) {
      if (settings.IPAddress) ips[net] = settings.IPAddress
    }
    return {id: info.Id, name, pid: info.State.Pid, ips}
  }

  /** Runs a command in a container (`docker exec`); never throws for a non-zero exit code. */
  exec(container: string, argv: readonly string[], opts: {timeoutMs?: number} = {}): Promise<ExecResult> {
    return dockerExec(this.docker, container, argv, opts)
  }

  /** PID (host view) of a running container's init process: `nsenter -t PID -n` enters its namespace. */
  async containerPid(name: string): Promise<number> {
    const info = await this.docker.getContainer(name).inspect()
    if (!info.State.Running || !info.State.Pid) throw new Error(`container ${name} is not running`)
    return info.State.Pid
  }

  // ---- the sandbox's own network namespace -------------------------------------------------

  /** Runs a program in the sandbox's network namespace (through src/util/exec.ts). */
  netnsRun(file: string, args: readonly string[], opts: Omit<RunOptions, 'netns'> = {}): Promise<RunResult> {
    return run(file, args, {...opts, netns: {kind: 'path', path: this.netnsPath}})
  }

  private iptablesBinary(tool: 'iptables' | 'iptables-save' | 'iptables-restore', family: 4 | 6 = 4): string {
    const name = backendBinary(family === 6 ? tool.replace('iptables', 'ip6tables') : tool, this.backend)
    return this.tools.paths[name] ?? name
  }

  /** `iptables -w ARGS` with the sandbox's backend, in its namespace. */
  iptables(args: readonly string[], opts: IptablesOptions & {okExitCodes?: number[]} = {}): Promise<RunResult> {
    return this.netnsRun(this.iptablesBinary('iptables', opts.family), ['-w', ...args], {okExitCodes: opts.okExitCodes})
  }

  /** `iptables-save` of the sandbox's namespace (its backend; stderr warnings dropped). */
  async iptablesSave(opts: IptablesOptions & {table?: string} = {}): Promise<string> {
    const args = opts.table ? ['-t', opts.table] : []
    return (await this.netnsRun(this.iptablesBinary('iptables-save', opts.family), args)).stdout
  }

  /** `iptables-restore -w`, by default with `--noflush` (Docker's chains stay unless the input redeclares them). */
  iptablesRestore(input: string, opts: IptablesOptions & {noflush?: boolean} = {}): Promise<RunResult> {
    const args = ['-w', ...(opts.noflush === false ? [] : ['--noflush'])]
    return this.netnsRun(this.iptablesBinary('iptables-restore', opts.family), args, {input})
  }

  // ---- traffic checks ----------------------------------------------------------------------

  /**
   * Makes `container` answer TCP connections on `port` with `dockwall-ok <container> <port>`:
   * one persistent busybox `nc -ll -e` per (container process, port), started once and
   * checked in /proc/<pid>/net/tcp{,6} before returning, so a check never races its server.
   */
  async listen(container: string, port: number): Promise<void> {
    const info = await this.docker.getContainer(container).inspect()
    const pid = info.State.Pid
    if (!info.State.Running || !pid) throw new Error(`container ${container} is not running`)
    const key = `${pid}:${port}`
    if (this.listeners.has(key)) return
    if (!listeningTcpPorts(pid).has(port)) {
      const name = info.Name.replace(/^\//, '')
      await dockerExecDetached(this.docker, info.Id, [
        'nc',
        '-ll',
        '-p',
        String(port),
        '-e',
        'echo',
        'dockwall-ok',
        name,
        String(port),
      ])
      const deadline = Date.now() + 5000
      while (!listeningTcpPorts(pid).has(port)) {
        if (Date.now() > deadline) throw new Error(`listener on ${container}:${port} did not start`)
        await sleep(10)
      }
    }
    this.listeners.add(key)
  }

  /** The container (name) that has `ip` (IPv4 or IPv6, as Docker prints it) on one of its networks, if any. */
  async containerByIp(ip: string): Promise<string | undefined> {
    for (const c of await this.docker.listContainers()) {
      for (const net of Object.values(c.NetworkSettings?.Networks ?? {})) {
        if (net.IPAddress === ip || net.GlobalIPv6Address === ip) return c.Names[0]?.replace(/^\//, '') ?? c.Id
      }
    }
    return undefined
  }

  private async resolveTarget(to: string): Promise<string> {
    if (isIP(to) !== 0) return to
    const info = await this.docker.getContainer(to).inspect()
    const ip = Object.values(info.NetworkSettings.Networks ?? {})
      .map((n) => n.IPAddress)
      .find(Boolean)
    if (!ip) throw new Error(`container ${to} has no IPv4 address`)
    return ip
  }

  private async prepareTarget(ip: string, port: number): Promise<void> {
    const target = await this.containerByIp(ip)
    if (target) await this.listen(target, port)
  }

  /**
   * Connects from a container to `to` (an IPv4 or IPv6 address, or a container name: its IPv4 one) with busybox `nc`
   * and reports the reply. If `to` belongs to a sandbox container, a listener is started there
   * first; for any other address (a DNAT), call `listen()` on the real target beforehand.
   * A drop costs the whole timeout (default 2 s); a pass takes a few tens of ms.
   */
  async connect(check: {
    from: string
    to: string
    port: number
    proto?: 'tcp'
    timeoutSec?: number
  }): Promise<ConnectResult> {
    if (check.proto !== undefined && check.proto !== 'tcp')
      throw new Error(`only tcp checks are supported (busybox nc has no UDP mode here), got ${String(check.proto)}`)
    const timeoutSec = check.timeoutSec ?? 2
    const ip = await this.resolveTarget(check.to)
    await this.prepareTarget(ip, check.port)
    const started = performance.now()
    const result = await this.exec(check.from, ['nc', '-w', String(timeoutSec), ip, String(check.port)], {
      timeoutMs: (timeoutSec + 10) * 1000,
    })
    const reply = result.stdout.trim()
    return {ok: reply.startsWith('dockwall-ok'), reply, exitCode: result.exitCode, ms: performance.now() - started}
  }

  async canConnect(check: {
    from: string
    to: string
    port: number
    proto?: 'tcp'
    timeoutSec?: number
  }): Promise<boolean> {
    return (await this.connect(check)).ok
  }

  // ---- probes in any of the sandbox's namespaces (the rehearsal's) ---------------------------

  /**
   * A busybox `nc -ll` answering `dockwall-ok LABEL PORT` in a namespace of the sandbox (its
   * own, or a client's), like `listen()` for containers. When the port is taken already (a
   * docker-proxy of a published port), that one answers instead and nothing is started.
   */
  async listenIn(target: {kind: 'path'; path: string}, port: number, label: string): Promise<void> {
    const key = `${target.path}:${port}`
    if (this.listeners.has(key)) return
    const listener = spawnDaemon(
      [
        'nsenter',
        `--net=${target.path}`,
        '--',
        this.tools.busybox,
        'nc',
        '-ll',
        '-p',
        String(port),
        '-e',
        this.tools.busybox,
        'echo',
        'dockwall-ok',
        label,
        String(port),
      ],
      {logFile: join(this.root, 'listeners.log'), env: this.daemonEnv()},
    )
    const deadline = Date.now() + 5000
    // nsenter execs busybox: the listener's /proc/<pid>/net is the namespace's.
    while (!listener.hasExited() && !listeningTcpPorts(listener.pid).has(port)) {
      if (Date.now() > deadline) throw new Error(`listener on ${label}:${port} did not start`)
      await sleep(10)
    }
    this.listeners.add(key)
  }

  /** busybox `nc -w` from a namespace to ip:port; the reply (empty when nothing answered). */
  async connectIn(netns: NetnsTarget, ip: string, port: number, timeoutSec = 2): Promise<string> {
    try {
      const r = await run(this.tools.busybox, ['nc', '-w', String(timeoutSec), ip, String(port)], {
        netns,
        input: '',
        okExitCodes: [1],
        timeoutMs: (timeoutSec + 5) * 1000,
      })
      return r.stdout.trim()
    } catch (error) {
      // nc waits past -w when a docker-proxy accepts and then cannot connect onward: no answer.
      if (error instanceof ExternalError && /timed out/.test(error.message)) return ''
      throw error
    }
  }

  /** One busybox ping from a namespace: whether an echo reply came back. */
  async ping(netns: NetnsTarget, ip: string, timeoutSec = 2): Promise<boolean> {
    const r = await run(this.tools.busybox, ['ping', '-c', '1', '-W', String(timeoutSec), ip], {
      netns,
      okExitCodes: [1],
      timeoutMs: (timeoutSec + 5) * 1000,
    })
    return r.exitCode === 0
  }

  // ---- external client ---------------------------------------------------------------------

  /**
   * A second namespace joined to this one by a veth pair: sandbox side `ifname` (default
   * `dwext<n>`) with 198.18.<n>.1/24, client side `eth0` with 198.18.<n>.2/24 and a default
   * route back through the sandbox.
   */
  async addExternalClient(opts: {ifname?: string; at?: ClientPlacement} = {}): Promise<ExternalClient> {
    const index = this.clients.length
    if (index > 255) throw new Error('at most 256 external clients per sandbox')
    const ifname = opts.ifname ?? `dwext${index}`
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifname))
      throw new Error(`invalid interface name ${JSON.stringify(ifname)} (1 to 15 of [A-Za-z0-9_.-])`)
    const netns = `${this.record.netns}-c${index}`
    const client = new ExternalClient(
      {netns, ifname, index, ...(opts.at ? {at: opts.at} : {})},
      this.tools.busybox,
      (ip, port) => this.prepareTarget(ip, port),
    )
    // Recorded before it exists, so a crash in between still leaves it findable.
    this.record.clients.push(netns)
    writeRecord(this.record)
    this.clients.push(client)
    await client.create(this.netnsPath)
    return client
  }

  // ---- daemon lifecycle --------------------------------------------------------------------

  /**
   * Stops dockerd (SIGTERM; it stops the containers, waiting `stopTimeout` for each), waits
   * for the old process to exit, and starts it again on the same directories. Returns once the
   * containers that were running with a restart policy run again (with new PIDs and therefore
   * new, empty network namespaces).
   */
  async restartDaemon(opts: {timeoutMs?: number} = {}): Promise<{stopMs: number; startMs: number}> {
    const timeoutMs = opts.timeoutMs ?? 60_000
    const comeBack: string[] = []
    for (const c of await this.docker.listContainers()) {
      const info = await this.docker.getContainer(c.Id).inspect()
      const policy = info.HostConfig.RestartPolicy?.Name ?? 'no'
      if (policy === 'always' || policy === 'unless-stopped') comeBack.push(c.Id)
    }
    const started = performance.now()
    const old = this.pid
    signalProcess(old, 'SIGTERM')
    if ((await waitGone([old], timeoutMs)).length > 0) {
      signalProcess(old, 'SIGKILL')
      await waitGone([old], 5000)
      throw new Error(`sandbox ${this.name}: dockerd did not stop within ${timeoutMs / 1000} s (killed)`)
    }
    const stopMs = performance.now() - started
    const restarted = performance.now()
    await this.startDockerd(timeoutMs)
    const deadline = Date.now() + timeoutMs
    for (const id of comeBack) {
      for (;;) {
        const info = await this.docker.getContainer(id).inspect()
        if (info.State.Running && info.State.Pid) break
        if (Date.now() > deadline) throw new Error(`container ${info.Name} did not come back after the daemon restart`)
        await sleep(50)
      }
    }
    this.listeners.clear()
    const timing = {stopMs, startMs: performance.now() - restarted}
    this.timings.lastRestart = timing
    return timing
  }

  /**
   * Removes everything: containers (force), dockerd (SIGTERM, SIGKILL after 10 s), containerd,
   * then any process, mount, cgroup, namespace and file of the sandbox (reap.ts). Idempotent;
   * throws if something could not be removed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  private async shutdown(): Promise<void> {
    const started = performance.now()
    try {
      if (this.dockerd && isProcessAlive(this.dockerd.pid)) {
        // With no container left, dockerd shuts down at once and unmounts its own overlays.
        const containers = await this.pingClient.listContainers({all: true})
        const removals = Promise.allSettled(containers.map((c) => this.docker.getContainer(c.Id).remove({force: true})))
        let timer: NodeJS.Timeout | undefined
        // A hung daemon is killed below rather than waited for.
        await Promise.race([removals, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))])
        clearTimeout(timer)
      }
    } catch {
      // The API is gone: the reaper kills what is left.
    }
    try {
      await stopDaemon(this.dockerd, 10_000)
      await stopDaemon(this.containerd, 5000)
    } catch {
      // The reaper SIGKILLs whatever is still running.
    }
    const problems = reapSync(this.record)
    live.delete(this)
    if (live.size === 0) removeExitHooks()
    this.timings.stopMs = performance.now() - started
    if (problems.length > 0) throw new Error(`sandbox ${this.name}: teardown incomplete: ${problems.join('; ')}`)
  }

  /** Exit-time teardown: synchronous, no grace period. */
  reapNow(): void {
    for (const daemon of [this.dockerd, this.containerd]) if (daemon) signalProcess(daemon.pid, 'SIGKILL')
    reapSync(this.record)
    live.delete(this)
  }
}

async function stopDaemon(daemon: Daemon | undefined, graceMs: number): Promise<void> {
  if (!daemon || !isProcessAlive(daemon.pid)) return
  signalProcess(daemon.pid, 'SIGTERM')
  if ((await waitGone([daemon.pid], graceMs)).length === 0) return
  signalProcess(daemon.pid, 'SIGKILL')
  await waitGone([daemon.pid], 5000)
}

// ---- process exit hooks ----------------------------------------------------------------------
// Installed while a sandbox is live. On SIGINT/SIGTERM: stop every sandbox, then re-raise the
// signal with our handlers removed. On exit (only synchronous code runs there): kill and reap.

function onExit(): void {
  for (const sandbox of [...live]) {
    try {
      sandbox.reapNow()
    } catch {
      // best effort; Sandbox.gc() finishes the job next time
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  removeExitHooks()
  void Promise.allSettled([...live].map((sandbox) => sandbox.stop())).finally(() => {
    process.kill(process.pid, signal)
  })
}

let hooksInstalled = false

function installExitHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', onExit)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

function removeExitHooks(): void {
  if (!hooksInstalled) return
  hooksInstalled = false
  process.off('exit', onExit)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}
