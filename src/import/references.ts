// Addresses → references. Generated configuration says `container.lb` rather than
// 172.18.103.2 when the address belongs to a known container, and `network.frontend`
// rather than 172.18.103.0/24 when the CIDR is a known network's subnet, so it keeps
// meaning the same thing when Docker hands out new addresses.
//
// A reference must render to exactly the addresses the rule had, or import changes
// what the rule matches: `container.X` stands for every address X has (src/plan
// resolve.ts), so an address of a container with several is kept literal, with a note.
import {parseCidr} from '../config/ipv4.js'
import type {DockerContainer} from '../docker/types.js'
import {addressFamily, FAMILIES, type Family} from '../model/types.js'

export interface KnownContainer {
  label: string
  /** Docker name, for notes. */
  name: string
  /** Every address the container has, both families (what `container.<label>` renders to). */
  ips: readonly string[]
  /** The ones it asked for (static); the others Docker may change when the container restarts. */
  staticIps?: readonly string[]
}

export interface KnownNetwork {
  label: string
  subnet: string
  /** Its IPv6 subnet, when it has one (`network.<label>` renders to both). */
  subnet6?: string
  ipv6?: boolean
}

export interface ReferenceIndex {
  containers: readonly KnownContainer[]
  networks: readonly KnownNetwork[]
}

export type Reference =
  /**
   * `note` is set when the address is a dynamic one: the reference follows the container, the literal did not.
   * `families`: what the reference renders to (a container or network with IPv6 also renders IPv6 lines).
   */
  | {kind: 'container'; label: string; text: string; families: Family[]; note?: string}
  | {kind: 'network'; label: string; text: string; families: Family[]}
  /** An IP (written without /32) or a CIDR; `note` says why no reference was used when one was close. */
  | {kind: 'literal'; text: string; note?: string}

/** Every address a container has or asked for, as the planner's resolution sees it. */
export function containerIps(c: Pick<DockerContainer, 'endpoints'>): string[] {
  const ips = new Set<string>()
  for (const e of c.endpoints) {
    if (e.ipv4Address) ips.add(e.ipv4Address)
    if (e.staticIpv4Address) ips.add(e.staticIpv4Address)
    if (e.ipv6Address) ips.add(e.ipv6Address)
    if (e.staticIpv6Address) ips.add(e.staticIpv6Address)
  }
  return [...ips]
}

const familiesOf = (ips: readonly string[]): Family[] =>
  FAMILIES.filter((f) => ips.some((ip) => addressFamily(ip) === f))

/**
 * The best way to write `cidr` (normal form: a.b.c.d/len, or addr/len for IPv6) in generated
 * configuration. `container.X` renders to every address X has of every family: it is used for
 * an address when it is X's only address of that family (the caller pins the family when X has
 * others), and kept literal when X has several of that family.
 */
export function findReference(cidr: string, index: ReferenceIndex): Reference {
  const family = addressFamily(cidr)
  const host = family === 'ipv4' ? '/32' : '/128'
  if (family === 'ipv4' ? parseCidr(cidr)?.prefix === 32 : cidr.endsWith(host)) {
    const ip = cidr.slice(0, -host.length)
    const sameFamily = (k: KnownContainer): string[] => k.ips.filter((x) => addressFamily(x) === family)
    const owners = index.containers.filter((k) => k.ips.includes(ip))
    const exact = owners.find((k) => sameFamily(k).length === 1)
    if (exact) {
      const dynamic = !(exact.staticIps ?? []).includes(ip)
      const note = `${ip} is container.${exact.label}'s dynamic address: the reference follows the container when Docker gives it another one`
      return {
        kind: 'container',
        label: exact.label,
        text: `container.${exact.label}`,
        families: familiesOf(exact.ips),
        ...(dynamic ? {note} : {}),
      }
    }
    if (owners.length > 0) {
      const o = owners[0]!
      const others = sameFamily(o).filter((x) => x !== ip)
      return {
        kind: 'literal',
        text: ip,
        note: `${ip} is an address of container.${o.label} (${o.name}), which also has ${others.join(', ')}; container.${o.label} would match all of them, so the address is kept`,
      }
    }
    return {kind: 'literal', text: ip}
  }
  const net = index.networks.find((n) => (family === 'ipv4' ? n.subnet : n.subnet6) === cidr)
  if (net)
    return {
      kind: 'network',
      label: net.label,
      text: `network.${net.label}`,
      families: net.ipv6 ? ['ipv4', 'ipv6'] : ['ipv4'],
    }
  return {kind: 'literal', text: cidr}
}
