// An ExplainHost from what can be read in each namespace: iptables-save and
// ip6tables-save output, iproute2's JSON and a few sysctls. Pure: the reading is the
// caller's (refresh, the tests' sandbox reader, fixtures).
import {parseRuleset} from '../netfilter/parse.js'
import {
  interfacesFromIpAddr,
  linksFromIpLink,
  routesFromIpRoute,
  segmentsFromLinks,
  socketsFromSs,
  sysctlFlag,
} from './iproute.js'
import type {ExplainHost, NamespaceId, NamespaceInput, Proxy} from './types.js'

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
}

export interface HostDump {
  namespaces: NamespaceDump[]
  proxies?: Proxy[]
  dockerBridges?: string[]
}

function rules(text: string | null, family: 'ipv4' | 'ipv6'): NamespaceInput['rulesets']['ipv4'] {
  if (text === null) return null
  if (text.trim() === '') return undefined
  return parseRuleset(text, {family})
}

export function hostFromDumps(dump: HostDump): ExplainHost {
  const namespaces: NamespaceInput[] = dump.namespaces.map((n) => {
    const rulesets: NamespaceInput['rulesets'] = {}
    const v4 = rules(n.iptables.ipv4, 'ipv4')
    const v6 = rules(n.iptables.ipv6, 'ipv6')
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
    return input
  })
  const segments = segmentsFromLinks(dump.namespaces.map((n) => ({id: n.id, links: linksFromIpLink(n.ip.link)})))
  const host: ExplainHost = {namespaces, segments}
  if (dump.proxies) host.proxies = dump.proxies
  if (dump.dockerBridges) host.dockerBridges = dump.dockerBridges
  return host
}
