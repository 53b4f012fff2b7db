// Published ports Docker's userland proxy serves over IPv6 to a container's IPv4 address
// (verified on 28.5: `-p 8080:80` on an IPv4-only network is also served on [::]:8080).
// That traffic ends in docker-proxy on the host: it takes the host's INPUT chain, never
// FORWARD or DOCKER-USER, so forward rules do not see it; only host input rules (and
// input_policy) decide. A proxy that relays to an IPv6 address is left out: there Docker's
// ip6tables DNAT carries outside traffic through FORWARD like any published port.
import type {ActualModel} from './types.js'

export interface PublishedOverIpv6 {
  proto: 'tcp' | 'udp'
  /** The IPv6 address the proxy listens on, `::` for every one. */
  address: string
  port: number
  /** Docker name of the container the proxy relays to; null when no container has that address. */
  container: string | null
  to: {address: string; port: number}
}

export function publishedOverIpv6(actual: ActualModel): PublishedOverIpv6[] {
  const owner = new Map<string, string>()
  for (const c of actual.docker.containers)
    for (const e of c.endpoints) if (e.ipv4Address) owner.set(e.ipv4Address, c.name)
  return (
    (actual.proxies ?? [])
      // docker-proxy's -host-ip and -container-ip are plain addresses: a colon is IPv6.
      .filter((p) => p.address.includes(':') && !p.to.address.includes(':'))
      .map((p) => ({
        proto: p.proto,
        address: p.address,
        port: p.port,
        container: owner.get(p.to.address) ?? null,
        to: {...p.to},
      }))
  )
}

/** `tcp [::]:8080 -> container web (172.18.0.2:80)`: one line per port, for the plan and show. */
export function describePublishedOverIpv6(p: PublishedOverIpv6): string {
  const to = `${p.to.address}:${p.to.port}`
  return `${p.proto} [${p.address}]:${p.port} -> ${p.container ? `container ${p.container} (${to})` : to}`
}
