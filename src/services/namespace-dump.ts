// Reads what the explain evaluator needs from each network namespace: iptables-save of
// the namespace's backend (every table), iproute2's JSON (links, addresses, routes) and
// the forwarding switches; the IPv6 side (ip6tables-save, IPv6 routes) only where the
// namespace has an IPv6 address to use; br_netfilter's switches only where a bridge is.
// Few processes per namespace: on a loaded host each costs a tenth of a second, and a
// host has a namespace per running container. The e2e tests' sandbox reader uses it too.
import {readFileSync} from 'node:fs'

import type {NamespaceDump} from '../explain/index.js'
import type {Backend} from '../model/types.js'
import {iptablesProgram} from '../netfilter/commands.js'
import {run, type NetnsTarget} from '../util/exec.js'
import {netnsInode} from '../util/netns.js'

const BRIDGE_SYSCTLS = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'] as const

async function save(tool: string, target: NetnsTarget): Promise<string | null> {
  try {
    // stdout only: iptables-nft warns about legacy tables on stderr.
    return (await run(tool, [], {netns: target})).stdout
  } catch {
    return null
  }
}

/** `key = value` lines of `sysctl -e`; keys that do not exist (br_netfilter not loaded) are left out. */
export function parseSysctl(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s*=\s*(.*)$/.exec(line.trim())
    if (m) out.set(m[1]!, m[2]!.trim())
  }
  return out
}

/** The JSON documents `ip -j -batch` prints one after another, as texts. */
export function splitJsonDocuments(text: string): string[] {
  const docs: string[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      if (depth++ === 0) start = i
    } else if (c === ']' || c === '}') {
      if (--depth === 0) docs.push(text.slice(start, i + 1))
    }
  }
  return docs
}

/** The commands of the one `ip -j -d -batch -` call, in the order their output comes back. */
const IP_BATCH = ['link show', 'addr show', 'route show', 'netconf show']

interface NetconfEntry {
  family?: string
  interface?: string
  forwarding?: boolean | number
}

function forwardingOf(netconf: string, family: 'inet' | 'inet6'): string {
  const all = (JSON.parse(netconf || '[]') as NetconfEntry[]).find((e) => e.family === family && e.interface === 'all')
  return all?.forwarding === true || all?.forwarding === 1 ? '1' : '0'
}

interface AddrEntry {
  addr_info?: Array<{family?: string; scope?: string}>
}
interface LinkEntry {
  linkinfo?: {info_kind?: string}
}

/** Saves read already (to choose the backend): not read again. null: the save failed. */
export interface KnownSaves {
  ipv4Save?: string | null
  /** Used only when the namespace has an IPv6 address. */
  ipv6Save?: string | null
}

/** A namespace's interfaces, routes and switches: everything of its dump but the iptables saves. */
export interface NamespaceTopology {
  ip: NamespaceDump['ip']
  sysctl: NamespaceDump['sysctl']
  ss?: string
}

/** What the one `ip -batch` said, and whether the namespace has a global IPv6 address (its ip6tables then play a part). */
interface IpBatch {
  link: string
  addr: string
  route4: string
  netconf: string
  hasIpv6: boolean
  ss?: string
}

/** A namespace's topology read under way: the `ip -batch` first (it says whether IPv6 matters), then the rest. */
export interface TopologyRead {
  batch: Promise<IpBatch>
  topology: Promise<NamespaceTopology>
}

async function readIpBatch(id: string, target: NetnsTarget, sockets: boolean): Promise<IpBatch> {
  const [batch, ss] = await Promise.all([
    run('ip', ['-j', '-d', '-batch', '-'], {netns: target, input: `${IP_BATCH.join('\n')}\n`}).then((r) =>
      splitJsonDocuments(r.stdout),
    ),
    sockets ? run('ss', ['-H', '-l', '-n', '-t', '-u'], {netns: target}).then((r) => r.stdout) : undefined,
  ])
  if (batch.length !== IP_BATCH.length)
    throw new Error(`ip -batch in ${id} printed ${batch.length} JSON documents, not ${IP_BATCH.length}`)
  const [link, addr, route4, netconf] = batch as [string, string, string, string]
  const hasIpv6 = (JSON.parse(addr) as AddrEntry[]).some((e) =>
    (e.addr_info ?? []).some((a) => a.family === 'inet6' && a.scope === 'global'),
  )
  return {link, addr, route4, netconf, hasIpv6, ...(ss !== undefined ? {ss} : {})}
}

/**
 * br_netfilter's switches as `sysctl -e` gives them, read from /proc/sys where it shows the
 * namespace: dockwall's own (the host, usually), whose /proc/sys/net it sees. No process then
 * (each costs tens of ms on a loaded host); undefined for another namespace.
 */
function ownBridgeSysctls(target: NetnsTarget): Map<string, string> | undefined {
  if (target.kind !== 'current' && netnsInode(target) !== netnsInode({kind: 'current'})) return undefined
  const out = new Map<string, string>()
  for (const key of BRIDGE_SYSCTLS) {
    try {
      out.set(key, readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim())
    } catch {
      // br_netfilter not loaded: left out, as `sysctl -e` leaves it out.
    }
  }
  return out
}

/** The IPv6 routes (where IPv6 matters) and br_netfilter's switches (where a bridge is), after the batch. */
async function completeTopology(b: IpBatch, target: NetnsTarget): Promise<NamespaceTopology> {
  const hasBridge = (JSON.parse(b.link) as LinkEntry[]).some((l) => l.linkinfo?.info_kind === 'bridge')
  const [route6, bridgeSysctl] = await Promise.all([
    b.hasIpv6 ? run('ip', ['-j', '-6', 'route', 'show'], {netns: target}).then((r) => r.stdout) : Promise.resolve('[]'),
    hasBridge
      ? (ownBridgeSysctls(target) ??
        run('sysctl', ['-e', ...BRIDGE_SYSCTLS], {netns: target, okExitCodes: [255]}).then((r) =>
          parseSysctl(r.stdout),
        ))
      : Promise.resolve(new Map<string, string>()),
  ])
  const topology: NamespaceTopology = {
    ip: {link: b.link, addr: b.addr, route4: b.route4, route6},
    sysctl: {
      ipv4Forward: forwardingOf(b.netconf, 'inet'),
      ipv6Forward: forwardingOf(b.netconf, 'inet6'),
      bridgeNfIptables: bridgeSysctl.get(BRIDGE_SYSCTLS[0]) ?? '0',
      bridgeNfIp6tables: bridgeSysctl.get(BRIDGE_SYSCTLS[1]) ?? '0',
    },
  }
  if (b.ss !== undefined) topology.ss = b.ss
  return topology
}

/**
 * Starts reading a namespace's topology: it needs no backend, so `dockwall explain` starts
 * it before the saves that choose the backend are done (readHostAsIs), and hands it to
 * readNamespaceDump. `batchSlot` bounds the `ip -batch` calls in flight (a Semaphore's use).
 * Rejections are left to whoever awaits the read: none is unhandled if nobody does.
 */
export function startTopologyRead(
  id: string,
  target: NetnsTarget,
  opts: {sockets?: boolean; batchSlot?: <T>(fn: () => Promise<T>) => Promise<T>} = {},
): TopologyRead {
  const read = (): Promise<IpBatch> => readIpBatch(id, target, opts.sockets ?? false)
  const batch = opts.batchSlot ? opts.batchSlot(read) : read()
  const topology = batch.then((b) => completeTopology(b, target))
  batch.catch(() => {})
  topology.catch(() => {})
  return {batch, topology}
}

export async function readNamespaceDump(
  id: string,
  target: NetnsTarget,
  backend: Backend,
  opts: {
    sockets?: boolean
    deferRules?: boolean
    /** The namespace's topology read, started already (startTopologyRead). */
    topology?: TopologyRead
  } & KnownSaves = {},
): Promise<NamespaceDump> {
  const started = opts.topology ?? startTopologyRead(id, target, opts.sockets ? {sockets: true} : {})
  const [v4, {hasIpv6}] = await Promise.all([
    // Refresh read the host's IPv4 saves already: a 20,000-rule nft save costs half a second.
    opts.ipv4Save !== undefined
      ? Promise.resolve(opts.ipv4Save)
      : opts.deferRules
        ? Promise.resolve(null)
        : save(iptablesProgram('ipv4', backend, 'save'), target),
    started.batch,
  ])
  const [v6, topology] = await Promise.all([
    hasIpv6
      ? opts.ipv6Save !== undefined
        ? Promise.resolve(opts.ipv6Save)
        : opts.deferRules
          ? Promise.resolve(null)
          : save(iptablesProgram('ipv6', backend, 'save'), target)
      : Promise.resolve(''),
    started.topology,
  ])
  const dump: NamespaceDump = {
    id,
    // No IPv6 address: no IPv6 packet starts, ends or is routed here, so its rules play no part.
    iptables: {ipv4: v4, ipv6: v6},
    ip: topology.ip,
    sysctl: topology.sysctl,
  }
  if (topology.ss !== undefined) dump.ss = topology.ss
  if (opts.deferRules) {
    const deferred: NamespaceDump['deferred'] = []
    if (opts.ipv4Save === undefined) deferred.push('ipv4')
    if (hasIpv6 && opts.ipv6Save === undefined) deferred.push('ipv6')
    if (deferred.length > 0) dump.deferred = deferred
  }
  return dump
}

/** One family's save of a namespace whose rules were deferred (null: it could not be read). */
export function readRulesSave(target: NetnsTarget, backend: Backend, family: 'ipv4' | 'ipv6'): Promise<string | null> {
  return save(`${family === 'ipv4' ? 'iptables' : 'ip6tables'}-${backend}-save`, target)
}
