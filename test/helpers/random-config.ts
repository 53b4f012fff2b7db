// A random valid dockwall configuration from a seed, for the settling property test
// (test/e2e/settles.test.ts, issue 14): whatever the configuration declares, once it is
// applied the next plan must be empty. It draws from the whole schema: networks (subnets,
// gateways, ip ranges, IPv6 with and without a subnet, internal, driver options, labels),
// containers (attachments with static or dynamic IPv4 and IPv6 addresses, aliases among
// which the container's own name and label, routes of both families), rules of every kind
// (forward, input, output, inside containers, both families, lists, variables, log),
// port forwards (host interface and inside containers), masquerades, the firewall block,
// variables and the dockwall block; rendered as HCL or as the .hcl.json form. Pure: the
// same seed and options give the same text. test/unit/random-config.test.ts checks that
// every configuration it gives loads without an error.
import {prng} from '../capture/random-host.js'

export interface RandomConfigOptions {
  /** The sandbox's iptables backend, sometimes written in the dockwall block. */
  backend: 'nft' | 'legacy'
  /**
   * IPv6 networks without ipv6_subnet (Docker picks one): only engines with a default IPv6
   * pool (27 and later) can create them; Docker 20.10 refuses.
   */
  autoIpv6Subnet: boolean
  /** Prefix of every Docker name (networks, containers, bridges), unique per sandbox run. */
  prefix: string
}

export interface RandomContainer {
  /** Docker name: the sandbox starts it before the first apply and removes it after destroy. */
  name: string
}

export interface RandomConfig {
  seed: number
  format: 'hcl' | 'json'
  /** File name in the configuration directory (main.hcl or main.hcl.json). */
  file: string
  text: string
  containers: RandomContainer[]
  /** Docker names of the networks the configuration declares. */
  networks: string[]
}

// ---- a small syntax tree, rendered as HCL or JSON ------------------------------------------

class Ref {
  constructor(readonly text: string) {}
}
type Value = string | number | boolean | Ref | Value[] | {[key: string]: string}
interface Block {
  type: string
  label?: string
  attrs: Array<[string, Value]>
  blocks: Block[]
}

function hclValue(v: Value): string {
  if (v instanceof Ref) return v.text
  if (Array.isArray(v)) return `[${v.map(hclValue).join(', ')}]`
  if (typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)} = ${JSON.stringify(x)}`)
      .join(', ')} }`
  return JSON.stringify(v)
}

function hclBlock(b: Block, indent = ''): string {
  const head = `${indent}${b.type}${b.label === undefined ? '' : ` ${JSON.stringify(b.label)}`} {`
  const inner = [
    ...b.attrs.map(([k, v]) => `${indent}  ${k} = ${hclValue(v)}`),
    ...b.blocks.map((c) => hclBlock(c, `${indent}  `)),
  ]
  return [head, ...inner, `${indent}}`].join('\n')
}

function jsonValue(v: Value): unknown {
  if (v instanceof Ref) return `\${${v.text}}`
  if (Array.isArray(v)) return v.map(jsonValue)
  return v
}

/** A block's body in the JSON form: nested blocks grouped by type, labelled ones by label. */
function jsonBody(b: Block): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(b.attrs.map(([k, v]) => [k, jsonValue(v)]))
  for (const c of b.blocks) {
    if (c.label === undefined) ((out[c.type] ??= []) as unknown[]).push(jsonBody(c))
    else ((out[c.type] ??= {}) as Record<string, unknown>)[c.label] = jsonBody(c)
  }
  return out
}

function render(blocks: Block[], format: 'hcl' | 'json'): string {
  if (format === 'hcl') return `${blocks.map((b) => hclBlock(b)).join('\n\n')}\n`
  return `${JSON.stringify(jsonBody({type: '', attrs: [], blocks}), null, 2)}\n`
}

// ---- the generator ---------------------------------------------------------------------------

interface Net {
  label: string
  name: string
  /** Third octet of 10.88.X.0/24 (and of fd00:88:X::/64). */
  octet: number
  gateway: string
  v6: 'none' | 'subnet' | 'auto'
  gateway6?: string
}

interface Ctr {
  label: string
  name: string
  nets: Net[]
}

export function randomConfig(seed: number, opts: RandomConfigOptions): RandomConfig {
  const rnd = prng(seed)
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const chance = (p: number): boolean => rnd() < p
  const some = <T>(xs: readonly T[], p = 0.5): T[] => xs.filter(() => chance(p))
  const blocks: Block[] = []
  const attr = (b: Block, k: string, v: Value): void => void b.attrs.push([k, v])
  const P = opts.prefix

  if (chance(0.5)) {
    const d: Block = {type: 'dockwall', attrs: [], blocks: []}
    attr(d, 'backend', pick(['auto', opts.backend]))
    blocks.push(d)
  }
  const vars: string[] = []
  if (chance(0.5)) {
    const v: Block = {type: 'variable', label: 'lan', attrs: [['default', '198.51.100.0/24']], blocks: []}
    if (chance(0.5)) attr(v, 'type', new Ref('string'))
    blocks.push(v)
    vars.push('lan')
  }

  // Networks: 1-3, each its own 10.88.X.0/24 (X from the seed, so seeds differ).
  const nets: Net[] = []
  const base = (seed % 50) * 4
  for (let i = 0, n = int(1, 3); i < n; i++) {
    const label = `n${i}`
    const named = chance(0.5)
    const octet = base + i
    const gw = pick(['', '1', '254'])
    const v6: Net['v6'] = chance(0.4) ? 'subnet' : opts.autoIpv6Subnet && chance(0.2) ? 'auto' : 'none'
    const net: Net = {label, name: named ? `${P}-net${i}` : label, octet, gateway: `10.88.${octet}.${gw || '1'}`, v6}
    const b: Block = {type: 'network', label, attrs: [], blocks: []}
    if (named) attr(b, 'name', net.name)
    attr(b, 'subnet', `10.88.${octet}.0/24`)
    if (gw) attr(b, 'gateway', net.gateway)
    if (chance(0.3)) attr(b, 'ip_range', `10.88.${octet}.128/25`)
    if (v6 === 'subnet') {
      if (chance(0.3)) attr(b, 'ipv6', true)
      attr(b, 'ipv6_subnet', `fd00:88:${octet}::/64`)
      const gw6 = pick(['', '1', 'fe'])
      net.gateway6 = `fd00:88:${octet}::${gw6 || '1'}`
      if (gw6) attr(b, 'ipv6_gateway', net.gateway6)
      if (chance(0.3)) attr(b, 'ipv6_ip_range', `fd00:88:${octet}::8000/113`)
    } else if (v6 === 'auto') attr(b, 'ipv6', true)
    else if (chance(0.2)) attr(b, 'ipv6', false)
    if (chance(0.3)) attr(b, 'internal', chance(0.7))
    if (chance(0.4)) attr(b, 'labels', {team: pick(['web', 'db']), 'com.example.seed': String(seed)})
    const options: Record<string, string> = {}
    if (chance(0.3)) options['com.docker.network.bridge.name'] = `${P}b${i}`.slice(0, 15)
    if (chance(0.3)) options['com.docker.network.driver.mtu'] = pick(['1400', '1450'])
    if (chance(0.2)) options['com.docker.network.bridge.enable_icc'] = pick(['true', 'false'])
    if (chance(0.2)) options['com.docker.network.bridge.enable_ip_masquerade'] = pick(['true', 'false'])
    if (Object.keys(options).length > 0) attr(b, 'options', options)
    blocks.push(b)
    nets.push(net)
  }

  // Containers: 1-4, on a random subset of the networks (maybe none: then only rules name it).
  const ctrs: Ctr[] = []
  let hostPart = 10
  for (let i = 0, n = int(1, 4); i < n; i++) {
    const label = `c${i}`
    const named = chance(0.6)
    const ctr: Ctr = {label, name: named ? `${P}-ctr${i}` : `${P}${label}`, nets: some(nets, 0.6)}
    // A label is the Docker name unless name is set: the unnamed ones are labelled by their name.
    const b: Block = {type: 'container', label: named ? label : ctr.name, attrs: [], blocks: []}
    ctr.label = b.label!
    if (named) attr(b, 'name', ctr.name)
    for (const net of ctr.nets) {
      const a: Block = {type: 'network', label: net.label, attrs: [], blocks: []}
      hostPart++
      if (chance(0.7)) attr(a, 'ipv4_address', `10.88.${net.octet}.${hostPart}`)
      if (net.v6 === 'subnet' && chance(0.6)) attr(a, 'ipv6_address', `fd00:88:${net.octet}::${hostPart.toString(16)}`)
      // Aliases as Compose users write them: the container's own name and label among them.
      const aliases = [...new Set(some(['www', ctr.name, ctr.label, `svc-${i}`], 0.4))]
      if (aliases.length > 0 || chance(0.2)) attr(a, 'aliases', aliases)
      b.blocks.push(a)
    }
    const v4 = ctr.nets
    const v6 = ctr.nets.filter((x) => x.v6 === 'subnet')
    for (let r = 0, rn = v4.length > 0 ? int(0, 2) : 0; r < rn; r++) {
      if (v6.length > 0 && chance(0.4))
        b.blocks.push({
          type: 'route',
          attrs: [
            ['destination', `fd00:200:${i}${r}::/64`],
            ['via', pick(v6).gateway6!],
          ],
          blocks: [],
        })
      else
        b.blocks.push({
          type: 'route',
          attrs: [
            ['destination', `10.200.${i * 10 + r}.0/24`],
            ['via', pick(v4).gateway],
          ],
          blocks: [],
        })
    }
    blocks.push(b)
    ctrs.push(ctr)
  }

  // Endpoints of one family for literals (mixing families at both ends is an error).
  const endpoint = (fam: 4 | 6): Value => {
    const k = int(0, 5)
    if (k === 0) return new Ref(`container.${pick(ctrs).label}`)
    if (k === 1) return new Ref(`network.${pick(nets).label}`)
    if (k === 2 && fam === 4 && vars.length > 0) return new Ref('var.lan')
    if (k === 3) return fam === 4 ? pick(['192.0.2.0/24', '10.99.0.0/16']) : pick(['2001:db8::/64', 'fd00:99::/48'])
    if (k === 4) return fam === 4 ? pick(['192.0.2.7', '10.88.250.9']) : pick(['2001:db8::7', 'fd00:99::1'])
    return 'any'
  }
  const endpoints = (fam: 4 | 6): Value => {
    const first = endpoint(fam)
    if (first === 'any' || !chance(0.3)) return first
    const second = endpoint(fam)
    return second === 'any' ? [first] : [first, second]
  }
  const portsOf = (): Value => (chance(0.5) ? pick([80, 443, 8080, '53']) : some([22, 80, '8000-8100', 9000], 0.5))

  for (let i = 0, n = int(0, 6); i < n; i++) {
    const b: Block = {type: 'rule', label: `r${i}`, attrs: [], blocks: []}
    const chain = pick(['forward', 'input', 'output', undefined] as const)
    if (chain) attr(b, 'chain', chain)
    const fam: 4 | 6 = chance(0.7) ? 4 : 6
    if (chance(0.8)) attr(b, 'from', endpoints(fam))
    if (chance(0.8)) attr(b, 'to', endpoints(fam))
    const withPorts = chance(0.5)
    if (withPorts) {
      if (chance(0.5)) attr(b, 'proto', pick(['tcp', 'udp']))
      const p = portsOf()
      if (Array.isArray(p) && p.length === 0) attr(b, 'port', 80)
      else attr(b, Array.isArray(p) || chance(0.5) ? 'ports' : 'port', p)
    } else if (chance(0.6)) attr(b, 'proto', pick(['tcp', 'udp', 'icmp', 'all']))
    const action = pick(['accept', 'drop', 'reject', 'log', undefined] as const)
    if (action) attr(b, 'action', action)
    if (action === 'log' && chance(0.6)) attr(b, 'log_prefix', `dw seed ${seed % 1000} `)
    if (chance(0.6)) attr(b, 'priority', int(1, 999))
    if (chain !== 'output' && chance(0.2)) attr(b, 'in_interface', pick(['eth0', 'dwext+', 'lo']))
    if (chain !== 'input' && chance(0.2)) attr(b, 'out_interface', pick(['eth0', 'br-+']))
    if (chance(0.25)) attr(b, 'in_container', new Ref(`container.${pick(ctrs).label}`))
    if (chance(0.25)) attr(b, 'family', fam === 4 ? 'ipv4' : 'ipv6')
    if (chance(0.3)) attr(b, 'description', `rule ${i} of seed ${seed}`)
    blocks.push(b)
  }

  for (let i = 0, n = int(0, 2); i < n; i++) {
    const b: Block = {type: 'port_forward', label: `pf${i}`, attrs: [], blocks: []}
    const inside = chance(0.4)
    const target = pick(ctrs)
    if (inside) {
      attr(b, 'in_container', new Ref(`container.${target.label}`))
      if (chance(0.3)) attr(b, 'to', new Ref(`container.${pick(ctrs).label}`))
    } else {
      attr(b, 'in_interface', pick(['dwext0', 'eth0', 'wg+']))
      attr(b, 'to', chance(0.8) ? new Ref(`container.${target.label}`) : '10.88.250.20')
    }
    if (chance(0.5)) attr(b, 'proto', pick(['tcp', 'udp']))
    attr(b, 'port', 8000 + i)
    if (chance(0.6)) attr(b, 'to_port', pick([80, 8080]))
    if (chance(0.3)) attr(b, 'from', chance(0.5) ? '192.0.2.0/24' : ['192.0.2.0/24', '10.99.0.0/16'])
    blocks.push(b)
  }

  for (let i = 0, n = int(0, 2); i < n; i++) {
    const b: Block = {type: 'masquerade', label: `m${i}`, attrs: [], blocks: []}
    attr(b, 'source', chance(0.6) ? new Ref(`network.${pick(nets).label}`) : endpoint(4))
    if (b.attrs[0]![1] === 'any') b.attrs[0]![1] = '10.88.0.0/16'
    if (chance(0.3)) attr(b, 'destination', pick(['203.0.113.0/24', '198.51.100.9']))
    if (chance(0.5)) attr(b, 'out_interface', pick(['eth0', 'dwext0']))
    if (chance(0.25)) attr(b, 'in_container', new Ref(`container.${pick(ctrs).label}`))
    blocks.push(b)
  }

  if (chance(0.6)) {
    const b: Block = {type: 'firewall', attrs: [], blocks: []}
    if (chance(0.7)) attr(b, 'forward_policy', pick(['docker', 'drop']))
    if (chance(0.7)) attr(b, 'input_policy', pick(['accept', 'drop']))
    const ssh = chance(0.3) ? chance(0.5) : undefined
    if (ssh !== undefined) attr(b, 'allow_ssh', ssh)
    if (ssh !== false && chance(0.3)) attr(b, 'ssh_port', pick([22, 2222]))
    blocks.push(b)
  }

  const format = chance(0.5) ? 'hcl' : 'json'
  return {
    seed,
    format,
    file: format === 'hcl' ? 'main.hcl' : 'main.hcl.json',
    text: render(blocks, format),
    containers: ctrs.map((c) => ({name: c.name})),
    networks: nets.map((n) => n.name),
  }
}
