// An ExplainHost from what can be read in each namespace: iptables-save and
// ip6tables-save output, iproute2's JSON and a few sysctls. Pure: the reading is the
// caller's (refresh, the tests' sandbox reader, fixtures).
import {parseRuleset, parseRulesetLazily} from '../netfilter/parse.js'
import {
  interfacesFromIpAddr,
  linksFromIpLink,
  routesFromIpRoute,
  segmentsFromLinks,
  socketsFromSs,
  sysctlFlag,
} from './iproute.js'
import type {ExplainHost, Family, NamespaceId, NamespaceInput, Proxy} from './types.js'

export interface NamespaceDump {
  id: NamespaceId
  /** iptables-save and ip6tables-save output (all tables); null when it could not be read. */
  iptables: {ipv4: string | null; ipv6: string | null}
  /** `ip -j -d link`, `ip -j addr`, `ip -j -4 route`, `ip -j -6 route`. */
  ip: {link: string; addr: string; route4: string; route6: string}
  /** /proc/sys values as read: net/ipv4/ip_forward, net/ipv6/conf/all/forwarding, net/bridge/bridge-nf-call-ip{,6}tables. */
  sysctl: {ipv4Forward: string; ipv6Forward: string; bridgeNfIptables?: string; bridgeNfIp6tables?: string}
  /** `ss -H -l -n -t -u`, when the listening sockets are known (see NamespaceInput.sockets). */
  ss?: string
  /** Families whose saves are not read yet (NamespaceInput.deferred); their `iptables` entries are ignored. */
  deferred?: Family[]
}

export interface HostDump {
  namespaces: NamespaceDump[]
  proxies?: Proxy[]
  dockerBridges?: string[]
}

/** A save as the evaluator takes it: null could not be read, undefined holds no rule. */
export function rulesFromSave(text: string | null, family: Family, lazy: boolean): NamespaceInput['rulesets']['ipv4'] {
  if (text === null) return null
  if (text.trim() === '') return undefined
  return lazy ? parseRulesetLazily(text, {family}) : parseRuleset(text, {family})
}

export interface FromDumpsOptions {
  /**
   * Parse each chain when a packet first visits it (the CLI: a dump holds thousands of
   * rules no question reaches). The tables then hold functions: not for structuredClone.
   */
  lazyRules?: boolean
}

export function hostFromDumps(dump: HostDump, opts: FromDumpsOptions = {}): ExplainHost {
  const namespaces: NamespaceInput[] = dump.namespaces.map((n) => {
    const rulesets: NamespaceInput['rulesets'] = {}
    const deferred = n.deferred ?? []
    const v4 = deferred.includes('ipv4') ? undefined : rulesFromSave(n.iptables.ipv4, 'ipv4', opts.lazyRules ?? false)
    const v6 = deferred.includes('ipv6') ? undefined : rulesFromSave(n.iptables.ipv6, 'ipv6', opts.lazyRules ?? false)
    if (v4 !== undefined) rulesets.ipv4 = v4
    if (v6 !== undefined) rulesets.ipv6 = v6
    const input: NamespaceInput = {
      id: n.id,
      rulesets,
      interfaces: interfacesFromIpAddr(n.ip.addr),
      routes: [...routesFromIpRoute(n.ip.route4, 'ipv4'), ...routesFromIpRoute(n.ip.route6, 'ipv6')],
      forwarding: {ipv4: sysctlFlag(n.sysctl.ipv4Forward), ipv6: sysctlFlag(n.sysctl.ipv6Forward)},
    }
    if (n.sysctl.bridgeNfIptables !== undefined || n.sysctl.bridgeNfIp6tables !== undefined)
      input.bridgeNetfilter = {
        ipv4: sysctlFlag(n.sysctl.bridgeNfIptables ?? '0'),
        ipv6: sysctlFlag(n.sysctl.bridgeNfIp6tables ?? '0'),
      }
    if (n.ss !== undefined) input.sockets = socketsFromSs(n.ss)
    if (deferred.length > 0) input.deferred = [...deferred]
    return input
  })
  const segments = segmentsFromLinks(dump.namespaces.map((n) => ({id: n.id, links: linksFromIpLink(n.ip.link)})))
  const host: ExplainHost = {namespaces, segments}
  if (dump.proxies) host.proxies = dump.proxies
  if (dump.dockerBridges) host.dockerBridges = dump.dockerBridges
  return host
}
