// A random Docker host from a seed, for checking the explain evaluator against real
// packets: 2-5 networks (maybe internal, maybe icc=false, maybe IPv6), 2-8 containers
// with static addresses (some on two networks, some publishing a port), 0-15 rules of
// many kinds at the top of DOCKER-USER (accepts, drops, rejects, user chains with RETURN
// and goto, multiport, negations, iprange, addrtype, conntrack, marks and connmarks, LOG),
// maybe an INPUT drop, raw and mangle rules, port forwards (DNAT) on the external
// client's interface and in nat OUTPUT, and rules inside containers (filter, a REDIRECT
// of their own connections, port forwards of connections arriving at them). Pure: the
// same seed gives the same host.
import type {ContainerSpec, NetworkSpec} from './scenario.js'

/** mulberry32: small, fast, good enough to pick test cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface IptablesLine {
  family: 4
  table: 'filter' | 'nat' | 'raw' | 'mangle'
  chain: string
  /** The rule's arguments after the chain name. */
  spec: string
  /** A container's namespace (by name); the host's when absent. */
  container?: string
}

export interface RandomHost {
  seed: number
  networks: NetworkSpec[]
  containers: ContainerSpec[]
  /** User chains to create first (filter). */
  chains: string[]
  /** Inserted in this order at the top of their chain (so the first listed ends up first). */
  rules: IptablesLine[]
  /** Host ports DNATed on the client interface (and, for the host's own connections, in nat OUTPUT), and the ports published. */
  clientPorts: number[]
  hostPorts: number[]
  /** Ports the containers listen on. */
  containerPorts: number[]
}

export const CLIENT_IF = 'dwext0'
/** Ports the containers listen on; FORWARD_PORT is forwarded inside some containers (nat PREROUTING) to another. */
const FORWARD_PORT = 8081
const PORTS = [80, 81, 443, FORWARD_PORT]
/** Ports the rules name (FORWARD_PORT only as a port forward's). */
const RULE_PORTS = [80, 81, 443]

export function randomHost(seed: number, opts: {ipv6?: boolean} = {}): RandomHost {
  const rnd = prng(seed)
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const chance = (p: number): boolean => rnd() < p

  const networks: NetworkSpec[] = []
  const nNet = int(2, 5)
  for (let i = 0; i < nNet; i++) {
    networks.push({
      name: `n${i}`,
      subnet: `10.40.${i + 1}.0/24`,
      gateway: `10.40.${i + 1}.1`,
      bridge: `dwtb${i}`,
      ...(i > 0 && chance(0.2) ? {internal: true} : {}),
      ...(chance(0.25) ? {icc: false} : {}),
    })
  }
  const containers: ContainerSpec[] = []
  const ips: string[] = []
  const hostPorts: number[] = []
  const nCtr = int(2, 8)
  for (let k = 0; k < nCtr; k++) {
    const first = int(0, nNet - 1)
    const nets = [first]
    if (chance(0.3)) nets.push((first + int(1, nNet - 1)) % nNet)
    const c: ContainerSpec = {
      name: `c${k}`,
      networks: nets.map((n) => ({network: `n${n}`, ip: `10.40.${n + 1}.${10 + k}`})),
    }
    for (const n of c.networks) ips.push(n.ip!)
    if (chance(0.5)) {
      const hostPort = 8000 + k
      c.publish = [{hostPort, containerPort: pick([80, 443])}]
      hostPorts.push(hostPort)
    }
    containers.push(c)
  }
  const subnets = networks.map((n) => n.subnet)
  const bridges = networks.map((n) => n.bridge!)
  const addr = (): string => (chance(0.7) ? `${pick(ips)}/32` : pick(subnets))
  const target = (): string => pick(['ACCEPT', 'ACCEPT', 'DROP', 'REJECT --reject-with icmp-port-unreachable'])

  const rules: IptablesLine[] = []
  const chains: string[] = []
  const user = (spec: string): void => {
    rules.push({family: 4, table: 'filter', chain: 'DOCKER-USER', spec})
  }
  const nRules = int(0, 15)
  for (let i = 0; i < nRules; i++) {
    switch (int(0, 13)) {
      case 0:
      case 1:
        user(`-s ${addr()} -d ${addr()} -p tcp -m tcp --dport ${pick(RULE_PORTS)} -j ${target()}`)
        break
      case 2:
        user('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
        break
      case 3: {
        const a = pick(bridges)
        user(`-i ${a} -o ${chance(0.5) ? a : pick(bridges)} -j ${target()}`)
        break
      }
      case 4:
        user(`-d ${addr()} -p tcp -m multiport --dports ${pick(['80,443', '81', '80:81'])} -j ${target()}`)
        break
      case 5:
        user(`! -s ${pick(subnets)} -d ${pick(ips)}/32 -j ${pick(['DROP', 'ACCEPT'])}`)
        break
      case 6:
        user('-j LOG --log-prefix "dwt "')
        break
      case 7: {
        const chain = `DWT${chains.length}`
        chains.push(chain)
        rules.push({family: 4, table: 'filter', chain, spec: `-p tcp -m tcp --dport ${pick(RULE_PORTS)} -j RETURN`})
        rules.push({family: 4, table: 'filter', chain, spec: `-d ${addr()} -j ${target()}`})
        user(`-s ${addr()} -j ${chain}`)
        break
      }
      case 8: {
        const mark = pick(['0x1', '0x2'])
        // Both orders: a mark matched before it is set must not match.
        const set = `-s ${addr()} -j MARK --set-xmark ${mark}/0xffffffff`
        const test = `-d ${addr()} -m mark --mark ${mark} -j ${pick(['DROP', 'ACCEPT'])}`
        const order = chance(0.8) ? [set, test] : [test, set]
        for (const line of order) user(line)
        break
      }
      case 9:
        user(`-d ${pick(ips)}/32 -p tcp -m tcp --dport ${pick(RULE_PORTS)} -m conntrack --ctstate NEW -j ${target()}`)
        break
      case 10: {
        // A range of addresses, and a negated port.
        const [a, b] = [pick(ips), pick(ips)].sort((x, y) => ipNum(x) - ipNum(y))
        user(
          `-p tcp -m iprange --${pick(['src', 'dst'])}-range ${a}-${b} -m tcp ! --dport ${pick(RULE_PORTS)} -j ${target()}`,
        )
        break
      }
      case 11: {
        // goto: the chain's end returns to DOCKER-USER's caller, not to DOCKER-USER.
        const chain = `DWT${chains.length}`
        chains.push(chain)
        rules.push({family: 4, table: 'filter', chain, spec: `-s ${addr()} -j ${target()}`})
        user(`-d ${addr()} -p tcp -m tcp --dport ${pick(RULE_PORTS)} -g ${chain}`)
        break
      }
      case 12:
        // The first packet's connection marked, the mark matched on every packet of it.
        user(`-s ${addr()} -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x8/0xffffffff`)
        user(`-m connmark --mark 0x8 -d ${addr()} -j ${pick(['DROP', 'ACCEPT'])}`)
        break
      case 13:
        user(
          `-m addrtype ${pick(['--src-type', '--dst-type'])} ${pick(['LOCAL', 'UNICAST'])} -d ${addr()} -j ${target()}`,
        )
        break
    }
  }
  if (chance(0.3))
    rules.push({
      family: 4,
      table: 'filter',
      chain: 'INPUT',
      spec: `-s ${pick(subnets)} -p tcp -m multiport --dports ${hostPorts.length ? hostPorts.join(',') : '8000'} -j ${pick(['DROP', 'REJECT --reject-with tcp-reset'])}`,
    })
  const clientPorts: number[] = []
  const nDnat = int(1, 2)
  for (let j = 0; j < nDnat; j++) {
    const port = 9000 + j
    const to = pick(ips)
    const toPort = pick(RULE_PORTS)
    clientPorts.push(port)
    rules.push({
      family: 4,
      table: 'nat',
      chain: 'PREROUTING',
      spec: `-i ${CLIENT_IF} -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${to}:${toPort}`,
    })
    if (chance(0.6)) user(`-i ${CLIENT_IF} -d ${to}/32 -p tcp -m tcp --dport ${toPort} -j ACCEPT`)
  }
  const host = (table: IptablesLine['table'], chain: string, spec: string): void => {
    rules.push({family: 4, table, chain, spec})
  }
  // An accept at the top of raw PREROUTING: what gets past Docker 28's direct-access drops.
  if (chance(0.35))
    host('raw', 'PREROUTING', `-s ${addr()} -d ${pick(ips)}/32 -p tcp -m tcp --dport ${pick(RULE_PORTS)} -j ACCEPT`)
  // Untracked traffic: no NAT, and replies are not ESTABLISHED.
  if (chance(0.15)) host('raw', 'PREROUTING', `-s ${addr()} -d ${addr()} -j CT --notrack`)
  if (chance(0.2)) {
    host('mangle', 'PREROUTING', `-s ${addr()} -j MARK --set-xmark 0x4/0xffffffff`)
    user(`-d ${addr()} -m mark --mark 0x4 -j ${pick(['DROP', 'ACCEPT'])}`)
  }
  // The host's own connections to its client-side address, DNATed in nat OUTPUT.
  if (chance(0.25)) {
    const port = 9100
    clientPorts.push(port)
    host(
      'nat',
      'OUTPUT',
      `-d 198.18.0.1/32 -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${pick(ips)}:${pick(RULE_PORTS)}`,
    )
  }
  // Rules inside containers: an INPUT drop, an OUTPUT reject, a REDIRECT to the container itself.
  const inside = (c: ContainerSpec, table: IptablesLine['table'], chain: string, spec: string): void => {
    rules.push({family: 4, table, chain, spec, container: c.name})
  }
  for (const c of containers) {
    if (chance(0.3))
      inside(c, 'filter', 'INPUT', `-p tcp -m tcp --dport ${pick(RULE_PORTS)} -j ${pick(['DROP', 'REJECT'])}`)
    if (chance(0.1)) inside(c, 'filter', 'INPUT', `! -s ${pick(subnets)} -j DROP`)
    if (chance(0.15))
      inside(
        c,
        'filter',
        'OUTPUT',
        `-d ${addr()} -p tcp -m tcp --dport ${pick(RULE_PORTS)} -j REJECT --reject-with tcp-reset`,
      )
    if (chance(0.15))
      inside(c, 'nat', 'OUTPUT', `-d ${pick(ips)}/32 -p tcp -m tcp --dport 81 -j REDIRECT --to-ports 80`)
    // A port forward inside the container (dockwall's port_forward in_container): connections
    // arriving at FORWARD_PORT go to another port of the container.
    if (chance(0.35)) {
      const own = c.networks[0]!.ip!
      inside(
        c,
        'nat',
        'PREROUTING',
        chance(0.5)
          ? `-p tcp -m tcp --dport ${FORWARD_PORT} -j REDIRECT --to-ports ${pick(RULE_PORTS)}`
          : `-d ${own}/32 -p tcp -m tcp --dport ${FORWARD_PORT} -j DNAT --to-destination ${own}:${pick(RULE_PORTS)}`,
      )
    }
  }
  // IPv6 on some networks, drawn from a stream of its own so a seed's IPv4 host stays what it was.
  const rnd6 = prng(seed ^ 0x5bd1e995)
  networks.forEach((n, i) => {
    if (rnd6() < 0.5 && opts.ipv6 !== false) n.ipv6Subnet = `fd40:${i + 1}::/64`
  })
  containers.forEach((c, k) => {
    for (const e of c.networks) {
      const i = networks.findIndex((n) => n.name === e.network)
      if (networks[i]?.ipv6Subnet) e.ip6 = `fd40:${i + 1}::${10 + k}`
    }
  })
  return {seed, networks, containers, chains, rules, clientPorts, hostPorts, containerPorts: PORTS}
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
}

/**
 * iptables-restore --noflush input that creates the user chains and inserts the rules at
 * the top of their chains, keeping the generated order (user chains get plain appends).
 */
export function restoreInput(h: RandomHost, container?: string): string {
  const out: string[] = []
  for (const table of ['raw', 'mangle', 'filter', 'nat'] as const) {
    const lines = h.rules.filter((r) => r.table === table && r.container === container)
    const chains = table === 'filter' && container === undefined ? h.chains : []
    if (lines.length === 0 && chains.length === 0) continue
    out.push(`*${table}`)
    for (const c of chains) out.push(`:${c} - [0:0]`)
    for (const c of chains) for (const r of lines.filter((l) => l.chain === c)) out.push(`-A ${c} ${r.spec}`)
    const builtinish = lines.filter((l) => !chains.includes(l.chain))
    const counts = new Map<string, number>()
    for (const r of builtinish) {
      const n = (counts.get(r.chain) ?? 0) + 1
      counts.set(r.chain, n)
      out.push(`-I ${r.chain} ${n} ${r.spec}`)
    }
    out.push('COMMIT')
  }
  return `${out.join('\n')}\n`
}
