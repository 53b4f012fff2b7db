// The packet as the matches see it while it crosses one hook of one namespace, and
// the conntrack entry it belongs to there. Mutable on purpose: the walk rewrites
// addresses (NAT), marks and interfaces in place and copies at namespace borders.
import type {CtState, Family} from './types.js'

export const TCP = 6
export const UDP = 17
export const ICMP = 1
export const ICMPV6 = 58

export const FIN = 1
export const SYN = 2
export const RST = 4
export const PSH = 8
export const ACK = 16
export const URG = 32

export interface Tuple {
  src: bigint
  dst: bigint
  /** ICMP: the echo identifier in both. */
  sport: number
  dport: number
}

/** One connection in one namespace's conntrack table. */
export interface CtEntry {
  proto: number
  orig: Tuple
  /** The tuple replies carry; NAT rewrites it. */
  reply: Tuple
  /** NAT decided for the destination (PREROUTING/OUTPUT) and source (POSTROUTING/INPUT) manipulations. */
  dstDone: boolean
  srcDone: boolean
  dnat: boolean
  snat: boolean
  mark: number
  seenReply: boolean
  confirmed: boolean
  assured: boolean
}

export interface CtInfo {
  state: CtState
  dir: 'original' | 'reply'
  entry: CtEntry | null
}

/** How `addrtype` and REDIRECT learn about the namespace the packet is in. */
export interface AddressTypes {
  /** RTN type name of `ip` (LOCAL, UNICAST, BROADCAST, MULTICAST, UNREACHABLE), optionally limited to `dev`'s addresses. */
  addrType(family: Family, ip: bigint, dev: string | null): string
}

export interface Pkt {
  family: Family
  src: bigint
  dst: bigint
  proto: number
  sport: number
  dport: number
  icmpType: number
  icmpCode: number
  tcpFlags: number
  mark: number
  /** '' when the hook has none (OUTPUT has no input interface). */
  inIf: string
  outIf: string
  /** Bridge ports (br_netfilter), '' when the packet did not come or go through one. */
  physIn: string
  physOut: string
  bridged: boolean
  ct: CtInfo
  ns: AddressTypes
}

/** A packet as it is sent: no mark, no interfaces yet, and nothing known to conntrack. */
export function newPkt(
  head: Pick<Pkt, 'family' | 'src' | 'dst' | 'proto' | 'sport' | 'dport' | 'icmpType' | 'tcpFlags' | 'ns'>,
): Pkt {
  return {
    ...head,
    icmpCode: 0,
    mark: 0,
    inIf: '',
    outIf: '',
    physIn: '',
    physOut: '',
    bridged: false,
    ct: {state: 'NEW', dir: 'original', entry: null},
  }
}

export function tcpFlagNames(flags: number): string {
  const names: string[] = []
  for (const [bit, name] of [
    [SYN, 'SYN'],
    [ACK, 'ACK'],
    [FIN, 'FIN'],
    [RST, 'RST'],
    [PSH, 'PSH'],
    [URG, 'URG'],
  ] as const)
    if (flags & bit) names.push(name)
  return names.join(',')
}
