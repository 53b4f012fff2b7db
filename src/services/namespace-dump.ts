// Reads what the explain evaluator needs from each network namespace: iptables-save of
// the namespace's backend (every table), iproute2's JSON (links, addresses, routes) and
// the forwarding switches; the IPv6 side (ip6tables-save, IPv6 routes) only where the
// namespace has an IPv6 address to use; br_netfilter's switches only where a bridge is.
// Few processes per namespace: on a loaded host each costs a tenth of a second, and a
// host has a namespace per running container. The e2e tests' sandbox reader uses it too.
import type {NamespaceDump} from '../explain/index.js'
import type {Backend} from '../model/types.js'
import {run, type NetnsTarget} from '../util/exec.js'

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

export async function readNamespaceDump(
  id: string,
  target: NetnsTarget,
  backend: Backend,
  opts: {sockets?: boolean; deferRules?: boolean} & KnownSaves = {},
): Promise<NamespaceDump> {
  const [v4, batch, ss] = await Promise.all([
    // Refresh read the host's IPv4 saves already: a 20,000-rule nft save costs half a second.
    opts.ipv4Save !== undefined
      ? Promise.resolve(opts.ipv4Save)
      : opts.deferRules
        ? Promise.resolve(null)
        : save(`iptables-${backend}-save`, target),
    run('ip', ['-j', '-d', '-batch', '-'], {netns: target, input: `${IP_BATCH.join('\n')}\n`}).then((r) =>
      splitJsonDocuments(r.stdout),
    ),
    opts.sockets ? run('ss', ['-H', '-l', '-n', '-t', '-u'], {netns: target}).then((r) => r.stdout) : undefined,
  ])
  if (batch.length !== IP_BATCH.length)
    throw new Error(`ip -batch in ${id} printed ${batch.length} JSON documents, not ${IP_BATCH.length}`)
  const [link, addr, route4, netconf] = batch as [string, string, string, string]
  const hasIpv6 = (JSON.parse(addr) as AddrEntry[]).some((e) =>
    (e.addr_info ?? []).some((a) => a.family === 'inet6' && a.scope === 'global'),
  )
  const hasBridge = (JSON.parse(link) as LinkEntry[]).some((l) => l.linkinfo?.info_kind === 'bridge')
  const [v6, route6, bridgeSysctl] = await Promise.all([
    hasIpv6
      ? opts.ipv6Save !== undefined
        ? Promise.resolve(opts.ipv6Save)
        : opts.deferRules
          ? Promise.resolve(null)
          : save(`ip6tables-${backend}-save`, target)
      : Promise.resolve(''),
    hasIpv6 ? run('ip', ['-j', '-6', 'route', 'show'], {netns: target}).then((r) => r.stdout) : Promise.resolve('[]'),
    hasBridge
      ? run('sysctl', ['-e', ...BRIDGE_SYSCTLS], {netns: target, okExitCodes: [255]}).then((r) => parseSysctl(r.stdout))
      : Promise.resolve(new Map<string, string>()),
  ])
  const dump: NamespaceDump = {
    id,
    // No IPv6 address: no IPv6 packet starts, ends or is routed here, so its rules play no part.
    iptables: {ipv4: v4, ipv6: v6},
    ip: {link, addr, route4, route6},
    sysctl: {
      ipv4Forward: forwardingOf(netconf, 'inet'),
      ipv6Forward: forwardingOf(netconf, 'inet6'),
      bridgeNfIptables: bridgeSysctl.get(BRIDGE_SYSCTLS[0]) ?? '0',
      bridgeNfIp6tables: bridgeSysctl.get(BRIDGE_SYSCTLS[1]) ?? '0',
    },
  }
  if (ss !== undefined) dump.ss = ss
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
