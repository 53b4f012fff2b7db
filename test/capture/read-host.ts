// Reads a sandbox as the explain evaluator needs it: in the sandbox's namespace (the
// host), in each running container's and in each external client's, the iptables dumps
// of both families, iproute2's JSON and the forwarding and br_netfilter sysctls; the
// docker-proxy processes listening in the sandbox; the bridges Docker made. Used by
// the fixture capture (explain-fixtures.ts) and the explain e2e test.
import type {HostDump, NamespaceDump} from '../../src/explain/index.js'
import type {Proxy} from '../../src/explain/types.js'
import {run, type NetnsTarget} from '../../src/util/exec.js'
import {listPids, readProcess} from '../sandbox/procfs.js'
import type {Backend, ExternalClient, Sandbox} from '../sandbox/index.js'

export interface SandboxDump extends HostDump {
  /** Container name → its addresses by network name, as Docker reports them. */
  containers: Record<string, Record<string, string>>
}

const SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
]

async function save(tool: string, target: NetnsTarget): Promise<string | null> {
  try {
    // stdout only: iptables-nft warns about legacy tables on stderr.
    return (await run(tool, [], {netns: target})).stdout
  } catch {
    return null
  }
}

export async function readNamespaceDump(id: string, target: NetnsTarget, backend: Backend): Promise<NamespaceDump> {
  const ip = (args: string[]): Promise<string> => run('ip', ['-j', ...args], {netns: target}).then((r) => r.stdout)
  const [v4, v6, link, addr, route4, route6, sysctl, ss] = await Promise.all([
    save(`iptables-${backend}-save`, target),
    save(`ip6tables-${backend}-save`, target),
    ip(['-d', 'link']),
    ip(['addr']),
    ip(['-4', 'route']),
    ip(['-6', 'route']),
    run('sysctl', ['-n', ...SYSCTLS], {netns: target}).then((r) => r.stdout.trim().split('\n')),
    run('ss', ['-H', '-l', '-n', '-t', '-u'], {netns: target}).then((r) => r.stdout),
  ])
  return {
    id,
    iptables: {ipv4: v4, ipv6: v6},
    ip: {link, addr, route4, route6},
    sysctl: {
      ipv4Forward: sysctl[0] ?? '0',
      ipv6Forward: sysctl[1] ?? '0',
      bridgeNfIptables: sysctl[2] ?? '0',
      bridgeNfIp6tables: sysctl[3] ?? '0',
    },
    ss,
  }
}

/** docker-proxy processes in the sandbox's namespace, from their command lines (what really listens). */
export function sandboxProxies(sb: Sandbox): Proxy[] {
  // dockerd runs in the sandbox's namespace, and starts its proxies there.
  const inode = readProcess(sb.pid)?.netns
  const out: Proxy[] = []
  if (inode === undefined) return out
  for (const pid of listPids()) {
    const p = readProcess(pid)
    if (!p || p.netns !== inode || !p.argv[0]?.endsWith('docker-proxy')) continue
    const arg = (name: string): string | undefined => {
      const i = p.argv.indexOf(name)
      return i >= 0 ? p.argv[i + 1] : undefined
    }
    const proto = arg('-proto')
    const hostIp = arg('-host-ip')
    const hostPort = Number(arg('-host-port'))
    const containerIp = arg('-container-ip')
    const containerPort = Number(arg('-container-port'))
    if ((proto !== 'tcp' && proto !== 'udp') || !hostIp || !containerIp) continue
    out.push({
      namespace: 'host',
      proto,
      address: hostIp,
      port: hostPort,
      to: {address: containerIp, port: containerPort},
    })
  }
  return out.sort((a, b) => a.port - b.port || a.address.localeCompare(b.address))
}

export async function readSandboxHost(sb: Sandbox, clients: readonly ExternalClient[] = []): Promise<SandboxDump> {
  const containers = await sb.docker.listContainers()
  const networks = await sb.docker.listNetworks()
  const dockerBridges = networks
    .filter((n) => n.Driver === 'bridge')
    .map((n) => n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`)
    .sort()
  const reads: Array<Promise<NamespaceDump>> = [
    readNamespaceDump('host', {kind: 'path', path: sb.netnsPath}, sb.backend),
  ]
  const byName: SandboxDump['containers'] = {}
  for (const c of containers) {
    const name = c.Names[0]?.replace(/^\//, '') ?? c.Id
    const info = await sb.docker.getContainer(c.Id).inspect()
    byName[name] = Object.fromEntries(
      Object.entries(info.NetworkSettings.Networks ?? {}).map(([net, s]) => [net, s.IPAddress]),
    )
    if (info.State.Pid)
      reads.push(readNamespaceDump(`container.${name}`, {kind: 'pid', pid: info.State.Pid}, sb.backend))
  }
  for (const c of clients)
    reads.push(readNamespaceDump(`client.${c.ifname}`, {kind: 'path', path: c.netnsPath}, sb.backend))
  const namespaces = await Promise.all(reads)
  return {namespaces, proxies: sandboxProxies(sb), dockerBridges, containers: byName}
}
