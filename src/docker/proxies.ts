// Docker's userland proxies (docker-proxy, one per published port and address family
// unless dockerd runs with --userland-proxy=false): what really listens on a published
// host port, read from their command lines in /proc. Docker's API reports the port
// bindings but not whether a proxy serves them, and a connection from the host itself
// to a published port is carried by the proxy, not by the DNAT.
import {readFileSync} from 'node:fs'

import type {NetnsTarget} from '../util/exec.js'
import {netnsInode, pidsInNetns} from '../util/netns.js'
import {compareText} from '../util/text.js'

export interface DockerProxy {
  /** Always the namespace dockerd runs in: the host's. */
  namespace: 'host'
  proto: 'tcp' | 'udp'
  /** Address the proxy listens on (`0.0.0.0`, `::`, or one address). */
  address: string
  port: number
  to: {address: string; port: number}
}

/** The proxy a command line describes, or undefined when it is not docker-proxy's. */
export function proxyFromArgv(argv: readonly string[]): DockerProxy | undefined {
  if (!argv[0]?.endsWith('docker-proxy')) return undefined
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const proto = arg('-proto')
  const address = arg('-host-ip')
  const port = Number(arg('-host-port'))
  const toAddress = arg('-container-ip')
  const toPort = Number(arg('-container-port'))
  if ((proto !== 'tcp' && proto !== 'udp') || !address || !toAddress) return undefined
  if (!Number.isInteger(port) || !Number.isInteger(toPort)) return undefined
  return {namespace: 'host', proto, address, port, to: {address: toAddress, port: toPort}}
}

/** Every docker-proxy running in the namespace `host` plays, sorted by port then address. */
export function readDockerProxies(host: NetnsTarget): DockerProxy[] {
  const inode = netnsInode(host)
  if (inode === undefined) return []
  const out: DockerProxy[] = []
  for (const pid of pidsInNetns(inode)) {
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    } catch {
      continue // gone meanwhile, or a kernel thread
    }
    const p = proxyFromArgv(argv)
    if (p) out.push(p)
  }
  return out.sort((a, b) => a.port - b.port || compareText(a.address, b.address) || compareText(a.proto, b.proto))
}
