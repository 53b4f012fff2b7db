// Reading a network-go networks.json: each entry checked against network-go's (loose)
// schema with its path, then the networks and ips sections turned into dockwall's
// networks and containers, and names resolved the way network-go's resolver does.
// Every problem is recorded with its path and position, never thrown.
import {type Node, findNodeAtLocation} from 'jsonc-parser'

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
} from '../../config/ipv4.js'
import {type LineMap, type Path, pathKey} from '../../config/source.js'
import {dockerNameError} from '../../model/names.js'
import * as z from '../../util/zod.js'
import {LabelAllocator} from '../labels.js'

export interface ConvertProblem {
  /** Where in the file: `policies[0].from`, `ips["10.0.0.2"]`; empty for the whole file. */
  path: string
  reason: string
  line?: number
  column?: number
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
const portSchema = z.union([z.number().check(z.int()), z.string()], {
  error: 'expected a port number (or a "8000-8100" range)',
})
const networkSchema = z.looseObject(
  {network_name: z.optional(str), subnet: str, gateway: z.optional(str)},
  {error: 'expected an object'},
)
const ipSchema = z.looseObject(
  {ip: z.optional(str), container_name: str, selector: z.optional(str), service_name: z.optional(str)},
  {error: 'expected an object'},
)
export const policySchema = z.looseObject(
  {
    service_name: z.optional(str),
    container_name: z.optional(str),
    selector: z.optional(str),
    name: z.optional(str),
    from: z.optional(str),
    iface: z.optional(str),
    nat: z.optional(str),
    to: z.optional(str),
    port: z.optional(portSchema),
    to_port: z.optional(portSchema),
    proto: z.optional(str),
  },
  {error: 'expected an object'},
)
export const fileSchema = z.looseObject({
  networks: z.optional(z.record(z.string(), z.unknown())),
  ips: z.optional(z.record(z.string(), z.unknown())),
  policies: z.optional(z.array(z.unknown())),
})

export const KNOWN_FIELDS = {
  file: Object.keys(fileSchema.shape),
  network: Object.keys(networkSchema.shape),
  ip: Object.keys(ipSchema.shape),
  policy: Object.keys(policySchema.shape),
}

export type Policy = z.output<typeof policySchema>

export interface Net {
  key: string
  label: string
  name: string
  cidr: Cidr
  subnet: string
  gateway?: string
}

export interface Ctr {
  name: string
  label: string
  attachments: Array<{net: Net; ip: string}>
  /** Every ips entry of this container, for name resolution. */
  selectors: Set<string>
}

type Resolution = {containers: Ctr[]; via: string} | {error: string}

/** The networks and containers of a networks.json, and the problems found reading it. */
export class NetworkGoReader {
  readonly problems: ConvertProblem[] = []
  readonly explanations: string[] = []
  readonly nets: Net[] = []
  readonly ctrs: Ctr[] = []

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
  entry<S extends z.ZodMiniType>(
    schema: S,
    value: unknown,
    path: Path,
    known: readonly string[],
  ): z.output<S> | undefined {
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
}

function valueAt(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string | number, unknown>)[seg]
  }
  return cur
}
