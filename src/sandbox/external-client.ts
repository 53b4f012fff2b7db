// An "external" machine for a sandbox: a second network namespace joined to the
// sandbox's by a veth pair, so a test can DNAT traffic arriving on that veth
// (nat PREROUTING -i <ifname>) to a container and connect from outside.
import {run} from '../util/exec.js'
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

/** A client placed as a real host's interface has it: the interface's addresses, and the client's own. */
export interface ClientPlacement {
  /** `192.168.1.10/24`, `fd00::1/64`: the sandbox side gets them all. */
  sandboxAddresses: readonly string[]
  clientAddress: string
}

function sameFamily(cidr: string, ip: string): boolean {
  return cidr.includes(':') === ip.includes(':')
}

function ipValue(ip: string): bigint | undefined {
  if (!ip.includes(':')) {
    const o = ip.split('.').map(Number)
    return o.length === 4 && o.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)
      ? o.reduce((n, x) => (n << 8n) | BigInt(x), 0n)
      : undefined
  }
  const [head = '', tail = ''] = ip.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n)
}

/** Whether `ip` lies in the subnet of the interface address `cidr` (`10.0.0.1/24`, `fd00::1/64`). */
export function inSubnet(cidr: string, ip: string): boolean {
  const [base = '', len = ''] = cidr.split('/')
  if (!sameFamily(base, ip)) return false
  const bits = ip.includes(':') ? 128 : 32
  const prefix = Number(len)
  const a = ipValue(base)
  const b = ipValue(ip)
  if (a === undefined || b === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) return false
  const shift = BigInt(bits - prefix)
  return a >> shift === b >> shift
}

export class ExternalClient implements ExternalClientInfo {
  readonly netns: string
  readonly netnsPath: string
  readonly ifname: string
  readonly clientIfname = 'eth0'
  readonly ip: string
  readonly sandboxIp: string
  readonly prefixLength: number

  /** The sandbox side's addresses with their prefix (`198.18.0.1/24`). */
  readonly sandboxAddresses: readonly string[]
  /** The client's address lies in the sandbox side's subnet (else each side gets a host route to the other). */
  private readonly onLink: boolean

  constructor(
    info: {netns: string; ifname: string; index: number; at?: ClientPlacement},
    private readonly busybox: string,
    private readonly prepareTarget: (ip: string, port: number) => Promise<void>,
  ) {
    this.netns = info.netns
    this.netnsPath = `${NETNS_DIR}/${info.netns}`
    this.ifname = info.ifname
    if (info.at) {
      const own = info.at.sandboxAddresses.find((a) => sameFamily(a, info.at!.clientAddress))
      if (!own) throw new Error(`interface ${info.ifname} has no address of ${info.at.clientAddress}'s family`)
      this.sandboxAddresses = info.at.sandboxAddresses
      this.sandboxIp = own.split('/')[0]!
      this.ip = info.at.clientAddress
      this.prefixLength = Number(own.split('/')[1])
      this.onLink = inSubnet(own, info.at.clientAddress)
    } else {
      // 198.18.0.0/15 is reserved for benchmarks: it collides with no Docker pool or test subnet.
      this.sandboxIp = `198.18.${info.index}.1`
      this.ip = `198.18.${info.index}.2`
      this.prefixLength = 24
      this.sandboxAddresses = [`${this.sandboxIp}/${this.prefixLength}`]
      this.onLink = true
    }
  }

  /** Creates the namespace and the veth pair; the sandbox recorded the namespace name beforehand. */
  async create(sandboxNetnsPath: string): Promise<void> {
    const onLink = this.onLink
    const inSandbox = {netns: {kind: 'path', path: sandboxNetnsPath}} as const
    const inClient = {netns: {kind: 'path', path: this.netnsPath}} as const
    const v6 = this.ip.includes(':')
    await run('ip', ['netns', 'add', this.netns])
    await run('ip', ['link', 'set', 'lo', 'up'], inClient)
    // Both ends are created inside the sandbox's namespace (names never meet the host's), the peer goes straight to the client's.
    await run(
      'ip',
      ['link', 'add', this.ifname, 'type', 'veth', 'peer', 'name', this.clientIfname, 'netns', this.netns],
      inSandbox,
    )
    // nodad: an IPv6 address is usable at once.
    for (const a of this.sandboxAddresses)
      await run('ip', ['addr', 'add', a, 'dev', this.ifname, ...(a.includes(':') ? ['nodad'] : [])], inSandbox)
    await run('ip', ['link', 'set', this.ifname, 'up'], inSandbox)
    const full = v6 ? 128 : 32
    await run(
      'ip',
      [
        'addr',
        'add',
        `${this.ip}/${onLink ? this.prefixLength : full}`,
        'dev',
        this.clientIfname,
        ...(v6 ? ['nodad'] : []),
      ],
      inClient,
    )
    await run('ip', ['link', 'set', this.clientIfname, 'up'], inClient)
    if (!onLink) {
      // An address outside the interface's subnet: a host route each way.
      await run('ip', ['route', 'add', this.sandboxIp, 'dev', this.clientIfname], inClient)
      await run('ip', ['route', 'add', this.ip, 'dev', this.ifname], inSandbox)
    }
    await run('ip', [...(v6 ? ['-6'] : []), 'route', 'add', 'default', 'via', this.sandboxIp], inClient)
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
