// `dockwall import --from-networks-json FILE`: network-go's networks.json (format in
// ../shared/seeds/network-go-README.txt) → dockwall HCL.
//
//   networks  {KEY: {network_name, subnet, gateway}}        → network "KEY" (label sanitised)
//   ips       {IP: {ip, container_name, selector, …}}        → container "NAME" { network "X" { ipv4_address } },
//                                                              X being the network whose subnet holds IP
//   policies  [{from, container_name|selector, proto, port}] → rule: forward accept from → the policy's container
//             [{nat: "dnat", iface, to, proto, port}]        → port_forward { in_interface, to }
//             [{nat: "dnat", selector, to, …} without iface] → port_forward { in_container = the policy's container }
//
// Names resolve the way network-go's resolver does, against the ips section only: by
// container_name, then by selector, then by prefix (the name starts a container_name or
// selector, as "web" does for the replicas "web-1" and "web-2"). Anything that cannot be
// converted becomes a problem with its path, never an exception, and is left out of the
// output, so what is written always loads with loadConfig.
import {type Node, type ParseError, findNodeAtLocation, parseTree, printParseErrorCode} from 'jsonc-parser'
import {z} from 'zod'

import {
  type Cidr,
  broadcastOf,
  canonicalCidr,
  cidrContains,
  cidrsOverlap,
  formatCidr,
  networkOf,
  parseCidr,
  parseIPv4,
} from '../config/ipv4.js'
import {LineMap, type Path, pathKey} from '../config/source.js'
import {dockerNameError, interfaceNameError} from '../model/names.js'
import {attribute, block, type HclBlock, type HclItem, type HclValue, ref, writeHcl} from './hcl-writer.js'
import {LabelAllocator, addressPart} from './labels.js'

export interface ConvertProblem {
  /** Where in the file: `policies[0].from`, `ips["10.0.0.2"]`; empty for the whole file. */
  path: string
  reason: string
  line?: number
  column?: number
}

export interface ConvertResult {
  hcl: string
  explanations: string[]
  problems: ConvertProblem[]
}

export interface ConvertOptions {
  /**
   * Names network-go could not resolve from the file, mapped to a container_name of the
   * ips section (`--map publicbackend=smarthostbackend-1`). Looked up before resolving.
   */
  names?: Readonly<Record<string, string>>
}

// network-go reads the file with Go's encoding/json, which ignores unknown fields; the
// schemas are loose for the same reason, and unknown fields are reported, not fatal.
const str = z.string({error: 'expected a string'})
const portSchema = z.union([z.number().int(), z.string()], {error: 'expected a port number (or a "8000-8100" range)'})
const networkSchema = z.looseObject(
  {network_name: str.optional(), subnet: str, gateway: str.optional()},
  {error: 'expected an object'},
)
const ipSchema = z.looseObject(
  {ip: str.optional(), container_name: str, selector: str.optional(), service_name: str.optional()},
  {error: 'expected an object'},
)
const policySchema = z.looseObject(
  {
    service_name: str.optional(),
    container_name: str.optional(),
    selector: str.optional(),
    name: str.optional(),
    from: str.optional(),
    iface: str.optional(),
    nat: str.optional(),
    to: str.optional(),
    port: portSchema.optional(),
    to_port: portSchema.optional(),
    proto: str.optional(),
  },
  {error: 'expected an object'},
)
const fileSchema = z.looseObject({
  networks: z.record(z.string(), z.unknown()).optional(),
  ips: z.record(z.string(), z.unknown()).optional(),
  policies: z.array(z.unknown()).optional(),
})

const KNOWN_FIELDS = {
  file: Object.keys(fileSchema.shape),
  network: Object.keys(networkSchema.shape),
  ip: Object.keys(ipSchema.shape),
  policy: Object.keys(policySchema.shape),
}

type Policy = z.output<typeof policySchema>

interface Net {
  key: string
  label: string
  name: string
  cidr: Cidr
  subnet: string
  gateway?: string
}

interface Ctr {
  name: string
  label: string
  attachments: Array<{net: Net; ip: string}>
  /** Every ips entry of this container, for name resolution. */
  selectors: Set<string>
}

type Resolution = {containers: Ctr[]; via: string} | {error: string}

class Converter {
  readonly problems: ConvertProblem[] = []
  readonly explanations: string[] = []
  readonly nets: Net[] = []
  readonly ctrs: Ctr[] = []
  readonly rules: HclBlock[] = []
  readonly forwards: HclBlock[] = []
  private readonly ruleLabels = new LabelAllocator()
  private readonly pfLabels = new LabelAllocator()

  constructor(
    private readonly root: Node,
    private readonly lines: LineMap,
    private readonly opts: ConvertOptions,
  ) {}

  problem(path: Path, reason: string): void {
    const node = this.nodeAt(path)
    const pos = node ? this.lines.at(node.offset) : undefined
    this.problems.push({path: pathKey(path), reason, ...(pos ? {line: pos.line, column: pos.column} : {})})
  }

  private nodeAt(path: Path): Node | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(this.root, [...path.slice(0, n)])
      if (node) return node.parent?.type === 'property' && typeof path[n - 1] === 'string' ? node.parent : node
    }
    return undefined
  }

  /** zod-checks one entry; reports each issue at its path and unknown fields as ignored. */
  entry<S extends z.ZodType>(schema: S, value: unknown, path: Path, known: readonly string[]): z.output<S> | undefined {
    const r = schema.safeParse(value)
    if (!r.success) {
      for (const issue of r.error.issues) {
        const sub = issue.path.filter((s): s is string | number => typeof s === 'string' || typeof s === 'number')
        const missing = issue.code === 'invalid_type' && valueAt(value, sub) === undefined
        this.problem(
          [...path, ...sub],
          missing
            ? `missing required field "${String(sub[sub.length - 1])}"`
            : `${issue.message}, got ${JSON.stringify(valueAt(value, sub))}`,
        )
      }
      return undefined
    }
    if (typeof value === 'object' && value !== null) {
      for (const k of Object.keys(value))
        if (!known.includes(k))
          this.problem([...path, k], `unknown field "${k}" is ignored (network-go ignores it too)`)
    }
    return r.data
  }

  networks(raw: Record<string, unknown>): void {
    const labels = new LabelAllocator()
    const names = new Map<string, string>()
    for (const [key, value] of Object.entries(raw)) {
      const path = ['networks', key]
      const n = this.entry(networkSchema, value, path, KNOWN_FIELDS.network)
      if (!n) continue
      const name = n.network_name ?? key
      const badName = dockerNameError(name, 'network')
      if (badName) {
        this.problem([...path, 'network_name'], `network name "${name}": ${badName}`)
        continue
      }
      if (names.has(name)) {
        this.problem([...path, 'network_name'], `network name "${name}" is also used by networks["${names.get(name)}"]`)
        continue
      }
      const cidr = parseCidr(n.subnet)
      if (!cidr || canonicalCidr(cidr) !== formatCidr(cidr) || cidr.prefix > 30) {
        this.problem(
          [...path, 'subnet'],
          `"${n.subnet}" is not a usable IPv4 subnet (a.b.c.d/len with the host bits clear, /30 or larger)`,
        )
        continue
      }
      const overlap = this.nets.find((o) => cidrsOverlap(o.cidr, cidr))
      if (overlap) {
        this.problem(
          [...path, 'subnet'],
          `subnet ${n.subnet} overlaps networks["${overlap.key}"] (${overlap.subnet}); Docker refuses overlapping subnets`,
        )
        continue
      }
      if (n.gateway !== undefined) {
        const g = parseIPv4(n.gateway)
        if (g === undefined || !cidrContains(cidr, g) || g === networkOf(cidr) || g === broadcastOf(cidr)) {
          this.problem([...path, 'gateway'], `gateway "${n.gateway}" is not a host address inside ${n.subnet}`)
          continue
        }
      }
      names.set(name, key)
      const {label, renamed} = labels.take(key)
      if (renamed || label !== key)
        this.explanations.push(
          `${pathKey(path)}: labelled ${label}${renamed ? ' (the sanitised key clashed with another)' : ' (keys become identifiers)'}`,
        )
      this.nets.push({
        key,
        label,
        name,
        cidr,
        subnet: n.subnet,
        ...(n.gateway !== undefined ? {gateway: n.gateway} : {}),
      })
    }
  }

  ips(raw: Record<string, unknown>): void {
    const labels = new LabelAllocator()
    const taken = new Map<string, string>()
    for (const [key, value] of Object.entries(raw)) {
      const path = ['ips', key]
      const e = this.entry(ipSchema, value, path, KNOWN_FIELDS.ip)
      if (!e) continue
      const badName = dockerNameError(e.container_name, 'container')
      if (badName) {
        this.problem([...path, 'container_name'], `container name "${e.container_name}": ${badName}`)
        continue
      }
      let ctr = this.ctrs.find((c) => c.name === e.container_name)
      if (!ctr) {
        const {label, renamed} = labels.take(e.container_name)
        if (renamed)
          this.explanations.push(
            `${pathKey(path)}: container ${e.container_name} labelled ${label} (its sanitised name clashed with another)`,
          )
        ctr = {name: e.container_name, label, attachments: [], selectors: new Set()}
        this.ctrs.push(ctr)
      }
      if (e.selector !== undefined) ctr.selectors.add(e.selector)
      const ipText = e.ip ?? key
      if (e.ip !== undefined && e.ip !== key)
        this.problem([...path, 'ip'], `the key says ${key} but ip says ${e.ip}; ${e.ip} is used`)
      const ip = parseIPv4(ipText)
      if (ip === undefined) {
        this.problem(path, `"${ipText}" is not an IPv4 address`)
        continue
      }
      const net = this.nets.find((n) => cidrContains(n.cidr, ip))
      if (!net) {
        this.problem(
          path,
          `${ipText} is in no declared subnet (${this.nets.map((n) => n.subnet).join(', ') || 'no networks'}); ${e.container_name} gets no attachment for it`,
        )
        continue
      }
      if (
        ip === networkOf(net.cidr) ||
        ip === broadcastOf(net.cidr) ||
        (net.gateway !== undefined && parseIPv4(net.gateway) === ip)
      ) {
        this.problem(path, `${ipText} is the network, broadcast or gateway address of ${net.subnet}`)
        continue
      }
      const other = taken.get(ipText)
      if (other) {
        this.problem(path, `${ipText} is already given to ${other}`)
        continue
      }
      if (ctr.attachments.some((a) => a.net === net)) {
        this.problem(
          path,
          `${e.container_name} already has an address on ${net.name}; Docker gives a container one address per network`,
        )
        continue
      }
      taken.set(ipText, e.container_name)
      ctr.attachments.push({net, ip: ipText})
    }
  }

  /** network-go's resolver: container_name, then selector, then prefix; over the ips section only. */
  resolve(name: string): Resolution {
    const mapped = this.opts.names?.[name]
    const wanted = mapped ?? name
    const via = mapped !== undefined ? `mapped to ${mapped}, ` : ''
    const exact = this.ctrs.filter((c) => c.name === wanted)
    if (exact.length > 0) return {containers: exact, via: `${via}container_name`}
    const bySelector = this.ctrs.filter((c) => c.selectors.has(wanted))
    if (bySelector.length > 0) return {containers: bySelector, via: `${via}selector`}
    const byPrefix = this.ctrs.filter(
      (c) => c.name.startsWith(wanted) || [...c.selectors].some((s) => s.startsWith(wanted)),
    )
    if (byPrefix.length > 0) return {containers: byPrefix, via: `${via}prefix`}
    const known = this.ctrs.map((c) => c.name).join(', ')
    return {
      error: `"${wanted}" matches no container_name or selector in ips${known ? ` (known: ${known})` : ''}; map it to a container with --map ${name}=CONTAINER_NAME`,
    }
  }

  /** The policy's own container: by container_name, then by selector. `how` says which name matched and how. */
  policyContainer(p: Policy, path: Path): {containers: Ctr[]; how: string} | undefined {
    const tries = [p.container_name, p.selector].filter((x): x is string => x !== undefined)
    if (tries.length === 0) {
      this.problem(path, 'the policy names no container (container_name or selector)')
      return undefined
    }
    let last: string | undefined
    for (const t of tries) {
      const r = this.resolve(t)
      if ('containers' in r)
        return {containers: r.containers, how: `${t} (${r.via}: ${r.containers.map((c) => c.name).join(', ')})`}
      last = r.error
    }
    this.problem([...path, p.container_name !== undefined ? 'container_name' : 'selector'], last!)
    return undefined
  }

  policies(raw: readonly unknown[]): void {
    raw.forEach((value, i) => {
      const path = ['policies', i]
      const p = this.entry(policySchema, value, path, KNOWN_FIELDS.policy)
      if (!p) return
      if (p.nat !== undefined && p.nat !== 'dnat')
        this.problem([...path, 'nat'], `nat: "${p.nat}" is not a policy type network-go documents (only "dnat")`)
      else if (p.nat === 'dnat') this.dnat(p, i)
      else if (p.from !== undefined) this.forward(p, i)
      else this.problem(path, 'the policy has neither "from" nor "nat": nothing to convert')
    })
  }

  private proto(p: Policy, path: Path, allowed: readonly string[]): string | undefined {
    const proto = (p.proto ?? 'tcp').toLowerCase()
    if (!allowed.includes(proto)) {
      this.problem([...path, 'proto'], `proto "${p.proto}" is not one of ${allowed.join(', ')}`)
      return undefined
    }
    return proto
  }

  private port(
    v: string | number | undefined,
    path: Path,
    field: string,
    range: boolean,
  ): {text: string; value: HclValue} | undefined | null {
    if (v === undefined) return null
    const m = /^([0-9]+)(?:[-:]([0-9]+))?$/.exec(String(v).trim())
    const a = m ? Number(m[1]) : NaN
    const b = m?.[2] !== undefined ? Number(m[2]) : a
    if (!m || a < 1 || b > 65535 || a > b || (!range && a !== b)) {
      this.problem(
        [...path, field],
        `${field} ${JSON.stringify(v)} is not a ${range ? 'port or port range' : 'port'} (1-65535)`,
      )
      return undefined
    }
    return a === b ? {text: String(a), value: a} : {text: `${a}-${b}`, value: `${a}-${b}`}
  }

  /** A name, IP or CIDR as a rule endpoint. */
  private endpoint(name: string, path: Path): {value: HclValue; text: string} | undefined {
    if (name === 'any' || name === '0.0.0.0/0') return {value: 'any', text: 'any'}
    if (parseIPv4(name) !== undefined) return {value: name, text: name}
    const c = parseCidr(name)
    if (c) {
      if (canonicalCidr(c) !== formatCidr(c)) {
        this.problem(path, `"${name}" has host bits set; did you mean "${canonicalCidr(c)}"?`)
        return undefined
      }
      return {value: name, text: name}
    }
    const r = this.resolve(name)
    if ('error' in r) {
      this.problem(path, r.error)
      return undefined
    }
    const refs = r.containers.map((c) => ref(`container.${c.label}`))
    return {
      value: refs.length === 1 ? refs[0]! : refs,
      text: `${name} (${r.via}: ${r.containers.map((c) => c.name).join(', ')})`,
    }
  }

  private forward(p: Policy, i: number): void {
    const path = ['policies', i]
    const own = this.policyContainer(p, path)
    const targets = own?.containers
    const from = this.endpoint(p.from!, [...path, 'from'])
    const proto = this.proto(p, path, ['tcp', 'udp', 'icmp'])
    const port = this.port(p.port, path, 'port', true)
    if (!targets || !from || !proto || port === undefined) return
    if (port !== null && proto === 'icmp') {
      this.problem([...path, 'port'], 'a port needs proto tcp or udp')
      return
    }
    const toName = p.container_name ?? p.selector!
    const fromPart = from.text === p.from && p.from !== 'any' ? addressPart(p.from) : p.from!
    const label = this.ruleLabels.take(
      [fromPart, 'to', toName, port?.text].filter((x) => x !== undefined).join('_'),
    ).label
    const to =
      targets.length === 1 ? ref(`container.${targets[0]!.label}`) : targets.map((t) => ref(`container.${t.label}`))
    const body: HclItem[] = [attribute('from', from.value), attribute('to', to), attribute('proto', proto)]
    if (port) body.push(attribute('port', port.value))
    if (p.service_name !== undefined) body.push(attribute('description', `network-go policy of ${p.service_name}`))
    const what = `from ${p.from} to ${toName} ${proto}/${port?.text ?? 'all'}`
    this.rules.push(
      block('rule', [label], body, [
        `policies[${i}]: ${what} (network-go: FORWARD/DOCKER-USER ACCEPT)`,
        `from: ${from.text}`,
        `to: ${own!.how}`,
      ]),
    )
    this.explanations.push(`policies[${i}]: ${what} → rule.${label}`)
  }

  private dnat(p: Policy, i: number): void {
    const path = ['policies', i]
    const resolved = this.policyContainer(p, path)
    const own = resolved?.containers
    const proto = this.proto(p, path, ['tcp', 'udp'])
    const port = this.port(p.port, path, 'port', false)
    const toPort = this.port(p.to_port, path, 'to_port', false)
    if (!own || !proto || port === undefined || toPort === undefined) return
    if (port === null) {
      this.problem(path, 'a dnat policy needs a port')
      return
    }
    let target = own
    let toHow = `the policy's container, ${resolved!.how}`
    if (p.to !== undefined) {
      const r = this.resolve(p.to)
      if ('error' in r) {
        this.problem([...path, 'to'], r.error)
        return
      }
      target = r.containers
      toHow = `${p.to} (${r.via}: ${r.containers.map((c) => c.name).join(', ')})`
    }
    if (target.length !== 1) {
      this.problem(
        [...path, p.to !== undefined ? 'to' : 'selector'],
        `"${p.to ?? p.selector}" matches ${target.length} containers (${target.map((c) => c.name).join(', ')}); a port forward sends to one`,
      )
      return
    }
    const dest = target[0]!
    const body: HclItem[] = []
    let where: string
    if (p.iface !== undefined) {
      const bad = interfaceNameError(p.iface, {wildcard: true})
      if (bad) {
        this.problem([...path, 'iface'], `iface "${p.iface}": ${bad}`)
        return
      }
      body.push(attribute('in_interface', p.iface))
      where = `on ${p.iface}`
    } else {
      if (own.length !== 1) {
        this.problem(
          path,
          `the policy's container matches ${own.length} containers (${own.map((c) => c.name).join(', ')}); a DNAT inside a container needs one`,
        )
        return
      }
      body.push(attribute('in_container', ref(`container.${own[0]!.label}`)))
      where = `inside ${own[0]!.name}`
    }
    body.push(attribute('proto', proto), attribute('port', port.value))
    const self = p.iface === undefined && dest === own[0]
    if (!self) body.push(attribute('to', ref(`container.${dest.label}`)))
    if (toPort && toPort.text !== port.text) body.push(attribute('to_port', toPort.value))
    const label = this.pfLabels.take(
      p.name ?? [p.iface ?? own[0]!.name, `${proto}${port.text}`, 'to', dest.name].join('_'),
    ).label
    const what = `dnat ${where} ${proto}/${port.text} to ${self ? 'itself' : dest.name}${toPort && toPort.text !== port.text ? `:${toPort.text}` : ''}`
    this.forwards.push(
      block('port_forward', [label], body, [
        `policies[${i}]: ${what} (network-go: nat PREROUTING DNAT${p.iface === undefined ? ' inside the container' : ''})`,
        `to: ${toHow}`,
      ]),
    )
    this.explanations.push(`policies[${i}]: ${what} → port_forward.${label}`)
  }

  document(file: string): string {
    const netBlocks = this.nets.map((n) => {
      const body: HclItem[] = []
      if (n.name !== n.label) body.push(attribute('name', n.name))
      body.push(attribute('subnet', n.subnet))
      if (n.gateway !== undefined) body.push(attribute('gateway', n.gateway))
      return block('network', [n.label], body, [`networks["${n.key}"]`])
    })
    const ctrBlocks = this.ctrs.map((c) => {
      const body: HclItem[] = []
      if (c.name !== c.label) body.push(attribute('name', c.name))
      for (const a of c.attachments) body.push(block('network', [a.net.label], [attribute('ipv4_address', a.ip)]))
      return block('container', [c.label], body, [
        `ips: ${c.attachments.map((a) => a.ip).join(', ') || 'no usable address'}`,
      ])
    })
    const header = [
      `Converted from ${file} (network-go networks.json) by \`dockwall import --from-networks-json\`.`,
      'Names in policies were resolved as network-go does: by container_name, then selector, then prefix, against "ips".',
      "network-go's ESTABLISHED,RELATED accept is dockwall's firewall block (on by default); each DNAT's accept comes with its port_forward.",
      ...(this.problems.length > 0
        ? [`${this.problems.length} problem(s) were reported; what they concern is not in this file.`]
        : []),
    ]
    return writeHcl({header, items: [...netBlocks, ...ctrBlocks, ...this.rules, ...this.forwards]})
  }
}

function valueAt(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string | number, unknown>)[seg]
  }
  return cur
}

function syntaxProblems(errors: readonly ParseError[], lines: LineMap): ConvertProblem[] {
  const seen = new Set<number>()
  return errors.flatMap((e) => {
    if (seen.has(e.offset)) return []
    seen.add(e.offset)
    return [{path: '', reason: `invalid JSON: ${printParseErrorCode(e.error)}`, ...lines.at(e.offset)}]
  })
}

export function convertNetworksJson(text: string, file: string, opts: ConvertOptions = {}): ConvertResult {
  const lines = new LineMap(text)
  const errors: ParseError[] = []
  const root = parseTree(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false})
  if (errors.length > 0 || !root) return {hcl: '', explanations: [], problems: syntaxProblems(errors, lines)}
  const json: unknown = JSON.parse(text)
  const top = fileSchema.safeParse(json)
  if (!top.success) {
    const where = top.error.issues[0]
    const path = where ? pathKey(where.path.filter((s): s is string | number => typeof s !== 'symbol')) : ''
    return {
      hcl: '',
      explanations: [],
      problems: [
        {
          path,
          reason: `not a networks.json: ${where?.message ?? 'unexpected shape'} (expected {"networks": {…}, "ips": {…}, "policies": […]})`,
          line: 1,
          column: 1,
        },
      ],
    }
  }
  const c = new Converter(root, lines, opts)
  for (const k of Object.keys(top.data))
    if (!KNOWN_FIELDS.file.includes(k)) c.problem([k], `unknown section "${k}" is ignored`)
  c.networks(top.data.networks ?? {})
  c.ips(top.data.ips ?? {})
  c.policies(top.data.policies ?? [])
  return {hcl: c.document(file), explanations: c.explanations, problems: c.problems}
}
