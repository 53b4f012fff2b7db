// An "external" machine for a sandbox: a second network namespace joined to the
// sandbox's by a veth pair, so a test can DNAT traffic arriving on that veth
// (nat PREROUTING -i <ifname>) to a container and connect from outside.
import {run} from '../../src/util/exec.js'
import {NETNS_DIR} from './record.js'

export interface ConnectResult {
  /** The reply started with `dockwall-ok` (the sandbox's listeners answer `dockwall-ok <container> <port>`). */
  ok: boolean
  reply: string
  exitCode: number
  ms: number
}

export interface ExternalClientInfo {
  /** `ip netns` name of the client namespace. */
  netns: string
  netnsPath: string
  /** The veth end in the sandbox namespace (match it with `-i` in nat PREROUTING). */
  ifname: string
  /** The veth end in the client namespace (always `eth0`). */
  clientIfname: string
  /** The client's address (the source of its connections). */
  ip: string
  /** The sandbox's address on the veth: connect here to hit a DNAT in PREROUTING. */
  sandboxIp: string
  prefixLength: number
}

export class ExternalClient implements ExternalClientInfo {
  readonly netns: string
  readonly netnsPath: string
  readonly ifname: string
  readonly clientIfname = 'eth0'
  readonly ip: string
  readonly sandboxIp: string
  readonly prefixLength = 24

  constructor(
    info: {netns: string; ifname: string; index: number},
    private readonly busybox: string,
    private readonly prepareTarget: (ip: string, port: number) => Promise<void>,
  ) {
    this.netns = info.netns
    this.netnsPath = `${NETNS_DIR}/${info.netns}`
    this.ifname = info.ifname
    // 198.18.0.0/15 is reserved for benchmarks: it collides with no Docker pool or test subnet.
    this.sandboxIp = `198.18.${info.index}.1`
    this.ip = `198.18.${info.index}.2`
  }

  /** Creates the namespace and the veth pair; the sandbox recorded the namespace name beforehand. */
  async create(sandboxNetnsPath: string): Promise<void> {
    const inSandbox = {netns: {kind: 'path', path: sandboxNetnsPath}} as const
    const inClient = {netns: {kind: 'path', path: this.netnsPath}} as const
    await run('ip', ['netns', 'add', this.netns])
    await run('ip', ['link', 'set', 'lo', 'up'], inClient)
    // Both ends are created inside the sandbox's namespace (names never meet the host's), the peer goes straight to the client's.
    await run(
      'ip',
      ['link', 'add', this.ifname, 'type', 'veth', 'peer', 'name', this.clientIfname, 'netns', this.netns],
      inSandbox,
    )
    await run('ip', ['addr', 'add', `${this.sandboxIp}/${this.prefixLength}`, 'dev', this.ifname], inSandbox)
    await run('ip', ['link', 'set', this.ifname, 'up'], inSandbox)
    await run('ip', ['addr', 'add', `${this.ip}/${this.prefixLength}`, 'dev', this.clientIfname], inClient)
    await run('ip', ['link', 'set', this.clientIfname, 'up'], inClient)
    await run('ip', ['route', 'add', 'default', 'via', this.sandboxIp], inClient)
  }

  /**
   * Connects from the client to ip:port with busybox `nc` and reads the reply. When `ip` is a
   * sandbox container's address, a listener is started there first; for a DNAT address, start
   * one in the target container with `sandbox.listen()`.
   */
  async connect(ip: string, port: number, opts: {timeoutSec?: number} = {}): Promise<ConnectResult> {
    const timeoutSec = opts.timeoutSec ?? 2
    await this.prepareTarget(ip, port)
    const started = performance.now()
    const result = await run(this.busybox, ['nc', '-w', String(timeoutSec), ip, String(port)], {
      netns: {kind: 'path', path: this.netnsPath},
      input: '',
      okExitCodes: [1],
      timeoutMs: (timeoutSec + 10) * 1000,
    })
    const reply = result.stdout.trim()
    return {ok: reply.startsWith('dockwall-ok'), reply, exitCode: result.exitCode, ms: performance.now() - started}
  }

  async canConnect(ip: string, port: number, opts: {timeoutSec?: number} = {}): Promise<boolean> {
    return (await this.connect(ip, port, opts)).ok
  }

  /** Runs a program inside the client namespace. */
  run(file: string, args: readonly string[], opts: {input?: string; okExitCodes?: number[]} = {}) {
    return run(file, args, {...opts, netns: {kind: 'path', path: this.netnsPath}})
  }
}
