// Reads a sandbox as the explain evaluator needs it, with the reader `dockwall explain`
// uses (src/services/namespace-dump.ts, plus the listening sockets): the sandbox's namespace
// (the host), each running container's and each external client's; the docker-proxy
// processes listening in the sandbox; the bridges Docker made. Used by the fixture
// capture (explain-fixtures.ts) and the explain e2e test.
import type {HostDump, NamespaceDump} from '../../src/explain/index.js'
import type {Proxy} from '../../src/explain/types.js'
import {readDockerProxies} from '../../src/docker/proxies.js'
import {readNamespaceDump as readDump} from '../../src/services/namespace-dump.js'
import type {Backend, ExternalClient, Sandbox} from '../sandbox/index.js'
import type {NetnsTarget} from '../../src/util/exec.js'

/** One namespace, with its listening sockets (the probes' listeners: the evaluator then knows what answers). */
export function readNamespaceDump(id: string, target: NetnsTarget, backend: Backend): Promise<NamespaceDump> {
  return readDump(id, target, backend, {sockets: true})
}

export interface SandboxDump extends HostDump {
  /** Container name → its addresses by network name, as Docker reports them. */
  containers: Record<string, Record<string, string>>
}

/** docker-proxy processes in the sandbox's namespace (dockerd runs there, and starts its proxies there). */
export function sandboxProxies(sb: Sandbox): Proxy[] {
  return readDockerProxies({kind: 'path', path: sb.netnsPath})
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
