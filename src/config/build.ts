// Blocks → typed specs of the desired model. For each block: evaluate expressions,
// check the shape with zod, then convert and check each value (CIDRs, ports, names,
// interfaces, endpoints) with a position. Checks that need several blocks at once
// (overlapping subnets, duplicate IPs, routes) are in checks.ts.
import {resolve} from 'node:path'

import type {Diagnostic} from '../errors.js'
import {dockerNameError, interfaceNameError, networkLabelError, networkOptionError} from '../model/names.js'
import type {
  AssertEndpoint,
  AssertSpec,
  AttachmentSpec,
  ContainerSpec,
  Endpoint,
  Family,
  FirewallSpec,
  ImportSpec,
  Ipv6Settings,
  MasqueradeSpec,
  NetworkSpec,
  PortForwardSpec,
  PortRange,
  RouteSpec,
  RuleAction,
  RuleSpec,
  Settings,
  SourcePos,
} from '../model/types.js'
import {FAMILIES} from '../model/types.js'
import type * as z from '../util/zod.js'
import {type Block, bodiesOf} from './collect.js'
import {type EvalContext, type Ref, type Value, evaluate, isUnder} from './expressions.js'
import {check} from './issues.js'
import {formatCidr, formatIPv4} from './ipv4.js'
import {formatCidr6, formatIPv6} from './ipv6.js'
import {
  assertSchema,
  attachmentSchema,
  containerSchema,
  dockwallSchema,
  firewallSchema,
  importSchema,
  masqueradeSchema,
  networkSchema,
  portForwardSchema,
  routeSchema,
  ruleSchema,
  type NetworkBody,
} from './schema.js'
import {type Path, labeledBlockPath} from './source.js'
import {didYouMean} from './suggest.js'
import {
  type Labels,
  type Result,
  bool,
  cidr,
  cidr6,
  cidrAny,
  endpoint,
  familyName,
  integer,
  ipAny,
  ipv4,
  ipv6,
  port,
  portRange,
} from './values.js'

/** The longest --log-prefix iptables accepts (the kernel's buffer is 30 bytes with its NUL). */
const LOG_PREFIX_MAX = 29

/** A position, computed only when a message needs it (locating costs, most values are fine). */
type Where = () => SourcePos

/** Finds the position of an attribute of a spec, for checks that run after building. */
export type Locator = (rel?: Path) => SourcePos

export interface Built {
  settings?: Settings
  networks: NetworkSpec[]
  containers: ContainerSpec[]
  rules: RuleSpec[]
  portForwards: PortForwardSpec[]
  masquerades: MasqueradeSpec[]
  asserts: AssertSpec[]
  firewall?: FirewallSpec
  imports: Array<ImportSpec & {raw: string}>
  /**
   * Attribute positions by spec address, for the specs checks.ts reads positions of:
   * networks, containers, their attachments and routes, and imports (by their index in
   * `imports`, as `import[i]`). Not rules and the like: 20,000 closures nobody called.
   */
  locators: Map<string, Locator>
}

export interface BuildOptions {
  configDir: string
  evalCtx: EvalContext
  labels: Labels
}

class Builder {
  readonly diags: Diagnostic[] = []
  readonly out: Built = {
    networks: [],
    containers: [],
    rules: [],
    portForwards: [],
    masquerades: [],
    asserts: [],
    imports: [],
    locators: new Map(),
  }

  constructor(private readonly opts: BuildOptions) {}

  error(at: SourcePos, address: string, summary: string): void {
    this.diags.push({severity: 'error', summary, at, address})
  }

  warn(at: SourcePos, address: string, summary: string): void {
    this.diags.push({severity: 'warning', summary, at, address})
  }

  /** Evaluates and shape-checks one body; undefined when it has errors (already reported). */
  body<S extends z.ZodMiniObject>(
    block: Block,
    base: Path,
    address: string,
    raw: Record<string, unknown>,
    schema: S,
    keep: readonly string[] = [],
  ): z.output<S> | undefined {
    const at = (rel: Path, onName = false): SourcePos =>
      onName ? block.src.positions.locateName([...base, ...rel]) : block.src.positions.locate([...base, ...rel])
    let toEval = raw
    let kept: Record<string, unknown> | undefined
    if (keep.length > 0) {
      toEval = {}
      kept = {}
      for (const [k, v] of Object.entries(raw)) (keep.includes(k) ? kept : toEval)[k] = v
    }
    // evaluate() copies what it walks: `raw` is not changed.
    const ev = evaluate(toEval, this.opts.evalCtx)
    for (const p of ev.problems) this.error(at(p.path), address, p.message)
    const input = kept ? {...(ev.value as Record<string, Value>), ...kept} : ev.value
    const r = check(schema, input, fieldsOf(schema))
    // A value that failed to evaluate is left out of `input`: do not also call it missing.
    const problems = r.problems.filter((p) => !isUnder(p.path, ev.failed))
    for (const p of problems) this.error(at(p.path, p.onName), address, p.message)
    if (ev.problems.length > 0 || r.problems.length > 0 || ev.failed.length > 0) return undefined
    return r.data
  }

  /** Records the error of a failed conversion; returns the value or undefined. */
  take<T>(r: Result<T>, at: Where, address: string, prefix = ''): T | undefined {
    if (r.ok) return r.value
    this.error(at(), address, prefix + r.error)
    return undefined
  }

  interfaceName(name: string | undefined, at: Where, address: string, field: string): string | undefined {
    if (name === undefined) return undefined
    const bad = interfaceNameError(name, {wildcard: true})
    if (bad) this.error(at(), address, `${field} "${name}": ${bad}`)
    return name
  }

  endpoints(
    v: Ref | string | Array<Ref | string>,
    at: (rel: Path) => SourcePos,
    field: string,
    address: string,
  ): Endpoint[] | undefined {
    const list = Array.isArray(v) ? v : [v]
    if (list.length === 0) {
      this.error(at([field]), address, `${field} is an empty list; leave it out or write "any"`)
      return undefined
    }
    let okAll = true
    // map, not push into []: the list is kept in the model, and map sizes it exactly (a
    // pushed-to [] keeps room for 17 items: about 5 MB for 20,000 rules' from and to).
    const found = list.map((item, i) => {
      const e = this.take(
        endpoint(item, this.opts.labels),
        () => at(Array.isArray(v) ? [field, i] : [field]),
        address,
        `${field}: `,
      )
      if (!e) okAll = false
      return e
    })
    if (!okAll) return undefined
    const out = found as Endpoint[]
    if (out.length > 1 && out.some((e) => e.kind === 'any')) {
      this.error(at([field]), address, `${field}: "any" cannot be combined with other values`)
      return undefined
    }
    return out
  }

  /**
   * Literal addresses of one family only at one end and of the other only at the other end
   * match no packet: an error at `second`. References and "any" may stand for either family.
   */
  shareFamily(
    first: readonly Endpoint[],
    second: readonly Endpoint[],
    at: Where,
    address: string,
    firstField: string,
    secondField: string,
  ): boolean {
    if ((familyMask(first) & familyMask(second)) !== 0) return true
    const a = literalFamilies(first)
    const b = literalFamilies(second)
    const only = (s: readonly Family[]): string => s.map(familyName).join(' and ')
    this.error(
      at(),
      address,
      `${secondField} is ${only(b)} only and ${firstField} is ${only(a)} only: no packet matches both (write a rule per family)`,
    )
    return false
  }

  /**
   * A rule's log_prefix: only with action = "log", at most the 29 characters the kernel
   * keeps, printable ASCII without quotes or backslashes (iptables-save would escape them).
   * Undefined when not set; null after an error (reported).
   */
  logPrefix(prefix: string | undefined, action: RuleAction, at: Where, address: string): string | undefined | null {
    if (prefix === undefined) return undefined
    if (action !== 'log') {
      this.error(at(), address, `log_prefix is only used with action = "log"; action is "${action}"`)
      return null
    }
    if (prefix === '') {
      this.error(at(), address, 'log_prefix is empty; leave it out for log lines without a prefix')
      return null
    }
    if (prefix.length > LOG_PREFIX_MAX) {
      this.error(at(), address, `log_prefix is ${prefix.length} characters; the kernel keeps at most ${LOG_PREFIX_MAX}`)
      return null
    }
    if (!/^[ !#-&(-[\]-~]*$/.test(prefix)) {
      this.error(at(), address, 'log_prefix may hold printable ASCII characters except quotes and backslashes')
      return null
    }
    return prefix
  }

  /** `family = "ipv6"` with an end that names IPv4 literals only (or the reverse) matches nothing: an error at `family`. */
  familyFits(
    family: Family | undefined,
    ends: ReadonlyArray<readonly Endpoint[]>,
    at: Where,
    address: string,
  ): boolean {
    if (family === undefined) return true
    const bad = ends.find((e) => (familyMask(e) & familyBit(family)) === 0)
    if (!bad) return true
    const other = literalFamilies(bad).map(familyName).join(' and ')
    this.error(at(), address, `family = "${family}", but an end of it has ${other} addresses only`)
    return false
  }

  containerRef(v: Ref | undefined, at: Where, address: string, field: string): string | undefined {
    if (v === undefined) return undefined
    if (v.kind !== 'container') {
      this.error(at(), address, `${field} must be a container (container.NAME), got ${v.kind}.${v.name}`)
      return undefined
    }
    return v.name
  }

  dockwall(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, dockwallSchema)
    if (!d) return
    this.out.settings = {backend: d.backend, statePath: resolve(this.opts.configDir, d.state)}
  }

  network(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, networkSchema)
    if (!d) return
    const at = locatorOf(b)
    const label = b.label!
    const name = d.name ?? label
    const badName = dockerNameError(name, 'network')
    if (badName)
      this.error(
        at(d.name === undefined ? [] : ['name']),
        b.address,
        `${d.name === undefined ? `the label is the Docker name unless name is set; ` : ''}network name "${name}": ${badName}`,
      )
    const subnet = this.take(cidr(d.subnet, {use: 'ipv6_subnet'}), () => at(['subnet']), b.address, 'subnet: ')
    if (subnet && subnet.prefix > 30)
      this.error(
        at(['subnet']),
        b.address,
        `subnet ${formatCidr(subnet)} is too small for a gateway and containers (use /30 or larger)`,
      )
    let gateway: string | undefined
    if (d.gateway !== undefined) {
      const g = this.take(ipv4(d.gateway, {use: 'ipv6_gateway'}), () => at(['gateway']), b.address, 'gateway: ')
      if (g !== undefined) gateway = formatIPv4(g)
    }
    let ipRange: string | undefined
    if (d.ip_range !== undefined) {
      const r = this.take(cidr(d.ip_range, {use: 'ipv6_ip_range'}), () => at(['ip_range']), b.address, 'ip_range: ')
      if (r) ipRange = formatCidr(r)
    }
    const v6 = this.ipv6Settings(d, at, b.address)
    // Values Docker judges at create time, checked here so that a replace never deletes a
    // network and then fails to create its successor on bad input.
    const labels = stringify(d.labels)
    const options = stringify(d.options)
    let badMap = false
    for (const [field, map, judge] of [
      ['labels', labels, networkLabelError],
      ['options', options, networkOptionError],
    ] as const) {
      for (const [key, value] of Object.entries(map)) {
        const bad = judge(key, value)
        if (!bad) continue
        badMap = true
        this.error(
          at([field, key]),
          b.address,
          `${field}[${JSON.stringify(key)}] = ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}: ${bad}`,
        )
      }
    }
    if (!subnet || v6 === null || badMap) return
    const spec: NetworkSpec = {
      address: b.address,
      label,
      name,
      driver: 'bridge',
      subnet: formatCidr(subnet),
      ...(gateway !== undefined ? {gateway} : {}),
      ...(ipRange !== undefined ? {ipRange} : {}),
      ...(v6 !== undefined ? {ipv6: v6} : {}),
      internal: bool(d.internal),
      labels,
      options,
      at: b.at,
    }
    this.out.networks.push(spec)
    this.out.locators.set(b.address, at)
  }

  /**
   * A network's IPv6 settings: undefined without IPv6, null after an error (reported).
   * `ipv6` defaults to true when ipv6_subnet is given: writing the subnet says what is meant.
   */
  ipv6Settings(d: NetworkBody, at: (rel?: Path) => SourcePos, address: string): Ipv6Settings | undefined | null {
    const enabled = d.ipv6 === undefined ? d.ipv6_subnet !== undefined : bool(d.ipv6)
    const given = (['ipv6_subnet', 'ipv6_gateway', 'ipv6_ip_range'] as const).filter((k) => d[k] !== undefined)
    if (!enabled) {
      if (given.length === 0) return undefined
      this.error(
        at(['ipv6']),
        address,
        `ipv6 = false, but ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set`,
      )
      return null
    }
    let failed = false
    const out: Ipv6Settings = {}
    if (d.ipv6_subnet !== undefined) {
      const c = this.take(cidr6(d.ipv6_subnet, {use: 'subnet'}), () => at(['ipv6_subnet']), address, 'ipv6_subnet: ')
      if (c === undefined) failed = true
      else if (c.prefix > 126) {
        this.error(
          at(['ipv6_subnet']),
          address,
          `ipv6_subnet ${formatCidr6(c)} is too small for a gateway and containers (use /126 or larger)`,
        )
        failed = true
      } else out.subnet = formatCidr6(c)
    }
    for (const [key, field] of [
      ['gateway', 'ipv6_gateway'],
      ['ipRange', 'ipv6_ip_range'],
    ] as const) {
      const text = d[field]
      if (text === undefined) continue
      if (d.ipv6_subnet === undefined) {
        // Docker takes a gateway or range only with the subnet it belongs to (one IPAM config entry).
        this.error(
          at([field]),
          address,
          `${field} needs ipv6_subnet: Docker takes it only with the subnet it is part of`,
        )
        failed = true
        continue
      }
      if (key === 'gateway') {
        const g = this.take(ipv6(text, {use: 'gateway'}), () => at([field]), address, `${field}: `)
        if (g === undefined) failed = true
        else out.gateway = formatIPv6(g)
      } else {
        const r = this.take(cidr6(text, {use: 'ip_range'}), () => at([field]), address, `${field}: `)
        if (r === undefined) failed = true
        else out.ipRange = formatCidr6(r)
      }
    }
    return failed ? null : out
  }

  container(b: Block): void {
    // Nested blocks are evaluated and checked on their own, with their own paths.
    const d = this.body(b, b.path, b.address, b.body, containerSchema, ['network', 'route'])
    const at = locatorOf(b)
    const label = b.label!
    const attachments = this.attachments(b, at)
    const routes = this.routes(b, at)
    if (!d || !attachments || !routes) return
    const name = d.name ?? label
    const badName = dockerNameError(name, 'container')
    if (badName)
      this.error(
        at(d.name === undefined ? [] : ['name']),
        b.address,
        `${d.name === undefined ? `the label is the Docker name unless name is set; ` : ''}container name "${name}": ${badName}`,
      )
    this.out.containers.push({address: b.address, label, name, attachments, routes, at: b.at})
    this.out.locators.set(b.address, at)
  }

  /** A container's `network "<label>" { … }` blocks; null when one has an error (reported). */
  attachments(b: Block, at: (rel?: Path) => SourcePos): AttachmentSpec[] | null {
    const nets = b.body.network
    if (nets === undefined) return []
    if (typeof nets !== 'object' || nets === null || Array.isArray(nets)) {
      this.error(
        at(['network']),
        b.address,
        'network must be written as blocks: network "LABEL" { ipv4_address = "…" }',
      )
      return null
    }
    const out: AttachmentSpec[] = []
    let ok = true
    for (const [netLabel, value] of Object.entries(nets as Record<string, unknown>)) {
      const bodies = bodiesOf(value, b.src)
      const address = `${b.address}.network.${netLabel}`
      if (!bodies) {
        this.error(
          at(['network', netLabel]),
          address,
          `a network block inside a container takes exactly one label: network "${netLabel}" { ... }`,
        )
        ok = false
        continue
      }
      bodies.forEach((body, i) => {
        const a = this.attachment(b, netLabel, body, i, at)
        if (a) out.push(a)
        else ok = false
      })
    }
    return ok ? out : null
  }

  /** The i-th `network "<netLabel>"` block of a container (only the first may be); null on an error (reported). */
  attachment(
    b: Block,
    netLabel: string,
    body: Record<string, unknown>,
    i: number,
    at: (rel?: Path) => SourcePos,
  ): AttachmentSpec | null {
    const address = `${b.address}.network.${netLabel}`
    const base = labeledBlockPath(b.path, 'network', netLabel, i)
    const natt = (rel: Path = []): SourcePos => b.src.positions.locate([...base, ...rel])
    if (i > 0) {
      this.error(natt(), address, `${address} is declared twice; the first is at ${fmt(at(['network', netLabel]))}`)
      return null
    }
    if (!this.opts.labels.networks.has(netLabel)) {
      const hint = didYouMean(netLabel, this.opts.labels.networks)
      this.error(
        natt(),
        address,
        `attachment to undeclared network "${netLabel}"${hint || `: declare it with a network "${netLabel}" block`}`,
      )
      return null
    }
    const a = this.body(b, base, address, body, attachmentSchema)
    if (!a) return null
    let ok = true
    let ip: string | undefined
    if (a.ipv4_address !== undefined) {
      const n = this.take(
        ipv4(a.ipv4_address, {use: 'ipv6_address'}),
        () => natt(['ipv4_address']),
        address,
        'ipv4_address: ',
      )
      if (n === undefined) ok = false
      else ip = formatIPv4(n)
    }
    let ip6: string | undefined
    if (a.ipv6_address !== undefined) {
      const n = this.take(
        ipv6(a.ipv6_address, {use: 'ipv4_address'}),
        () => natt(['ipv6_address']),
        address,
        'ipv6_address: ',
      )
      if (n === undefined) ok = false
      else ip6 = formatIPv6(n)
    }
    a.aliases.forEach((alias, j) => {
      const bad = dockerNameError(alias, 'network')
      if (bad) this.error(natt(['aliases', j]), address, `alias "${alias}": ${bad.replace('network name', 'alias')}`)
    })
    this.out.locators.set(address, natt)
    if (!ok) return null
    return {
      address,
      container: b.label!,
      network: netLabel,
      ...(ip !== undefined ? {ipv4Address: ip} : {}),
      ...(ip6 !== undefined ? {ipv6Address: ip6} : {}),
      aliases: a.aliases,
      at: natt(),
    }
  }

  /** A container's `route { … }` blocks; null when one has an error (reported). */
  routes(b: Block, at: (rel?: Path) => SourcePos): RouteSpec[] | null {
    const raw = b.body.route
    if (raw === undefined) return []
    const bodies = bodiesOf(raw, b.src)
    if (!bodies) {
      this.error(at(['route']), b.address, 'route must be written as blocks: route { destination = "…", via = "…" }')
      return null
    }
    const out: RouteSpec[] = []
    const seen = new Map<string, SourcePos>()
    let ok = true
    bodies.forEach((body, i) => {
      const r = this.route(b, body, i, seen)
      if (r) out.push(r)
      else ok = false
    })
    return ok ? out : null
  }

  /** The i-th `route` block of a container; `seen` holds the destinations of those before it. Null on an error (reported). */
  route(b: Block, body: Record<string, unknown>, i: number, seen: Map<string, SourcePos>): RouteSpec | null {
    const base = [...b.path, 'route', i]
    const ratt = (rel: Path = []): SourcePos => b.src.positions.locate([...base, ...rel])
    const fallback = `${b.address}.route[${i}]`
    const r = this.body(b, base, fallback, body, routeSchema)
    if (!r) return null
    const dest = this.take(cidrAny(r.destination), () => ratt(['destination']), fallback, 'destination: ')
    const via = this.take(ipAny(r.via), () => ratt(['via']), fallback, 'via: ')
    if (!dest || via === undefined) return null
    if (via.family !== dest.family) {
      this.error(
        ratt(['via']),
        fallback,
        `via ${via.text} is ${familyName(via.family)} but the destination ${dest.text} is ${familyName(dest.family)}; a route's gateway has the destination's family`,
      )
      return null
    }
    const destination = dest.text
    const address = `${b.address}.route[${JSON.stringify(destination)}]`
    const prev = seen.get(destination)
    if (prev) {
      this.error(ratt(['destination']), address, `a second route to ${destination}; the first is at ${fmt(prev)}`)
      return null
    }
    seen.set(destination, ratt())
    this.out.locators.set(address, ratt)
    return {address, container: b.label!, destination, via: via.text, family: dest.family, at: ratt()}
  }

  rule(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, ruleSchema)
    if (!d) return
    const at = locatorOf(b)
    const A = b.address
    let failed = false
    const need = <T>(v: T | undefined): T | undefined => {
      if (v === undefined) failed = true
      return v
    }
    const from = need(this.endpoints(d.from, at, 'from', A))
    const to = need(this.endpoints(d.to, at, 'to', A))
    if (d.port !== undefined && d.ports !== undefined) {
      this.error(at(['port']), A, 'use either port or ports, not both')
      failed = true
    }
    const rawPorts =
      d.port !== undefined ? [d.port] : d.ports === undefined ? [] : Array.isArray(d.ports) ? d.ports : [d.ports]
    const portField = d.port !== undefined ? 'port' : 'ports'
    // map: an array of its exact size, kept in the model (see endpoints); an undefined
    // item has failed the rule (need), which is then not kept.
    const ports = rawPorts.map((p, i) =>
      // Port messages start with "port …" already: no field prefix.
      need(
        this.take(
          portRange(p),
          () => at(Array.isArray(d.ports) && portField === 'ports' ? ['ports', i] : [portField]),
          A,
        ),
      ),
    )
    // Ports imply tcp (as Docker's -p does); without ports the rule matches every protocol.
    const proto = d.proto ?? (rawPorts.length > 0 ? 'tcp' : 'all')
    if (rawPorts.length > 0 && (proto === 'icmp' || proto === 'all')) {
      this.error(at([portField]), A, `${portField} can only be used with proto "tcp" or "udp"; proto is "${proto}"`)
      failed = true
    }
    const priority = need(this.take(integer(d.priority, 'priority'), () => at(['priority']), A))
    const inInterface = this.interfaceName(d.in_interface, () => at(['in_interface']), A, 'in_interface')
    const outInterface = this.interfaceName(d.out_interface, () => at(['out_interface']), A, 'out_interface')
    if (d.chain === 'output' && inInterface !== undefined) {
      this.error(
        at(['in_interface']),
        A,
        'in_interface cannot be used with chain = "output" (locally sent packets have no input interface)',
      )
      failed = true
    }
    if (d.chain === 'input' && outInterface !== undefined) {
      this.error(
        at(['out_interface']),
        A,
        'out_interface cannot be used with chain = "input" (packets for this host have no output interface)',
      )
      failed = true
    }
    const inContainer = this.containerRef(d.in_container, () => at(['in_container']), A, 'in_container')
    const logPrefix = this.logPrefix(d.log_prefix, d.action, () => at(['log_prefix']), A)
    if (logPrefix === null) failed = true
    if (from && to && !this.shareFamily(from, to, () => at(['to']), A, 'from', 'to')) failed = true
    if (from && to && !this.familyFits(d.family, [from, to], () => at(['family']), A)) failed = true
    if (failed || from === undefined || to === undefined || priority === undefined) return
    const spec: Omit<RuleSpec, 'at'> & {at?: SourcePos} = {
      address: A,
      label: b.label!,
      chain: d.chain,
      from,
      to,
      proto,
      ports: ports as PortRange[],
      action: d.action,
      priority,
    }
    // Set one by one, in the key order the model always had (`at` last): a spread of {}
    // for each field left out cost an object copy each, 20,000 rules times six.
    if (inInterface !== undefined) spec.inInterface = inInterface
    if (outInterface !== undefined) spec.outInterface = outInterface
    if (inContainer !== undefined) spec.inContainer = inContainer
    if (logPrefix) spec.logPrefix = logPrefix
    if (d.family !== undefined) spec.family = d.family
    if (d.description !== undefined) spec.description = d.description
    spec.at = b.at
    this.out.rules.push(spec as RuleSpec)
  }

  portForward(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, portForwardSchema)
    if (!d) return
    const at = locatorOf(b)
    const A = b.address
    let failed = false
    if ((d.in_interface === undefined) === (d.in_container === undefined)) {
      this.error(
        at(d.in_interface === undefined ? [] : ['in_container']),
        A,
        d.in_interface === undefined
          ? 'set one of in_interface (a host interface) or in_container (container.NAME)'
          : 'set only one of in_interface and in_container',
      )
      failed = true
    }
    const inInterface = this.interfaceName(d.in_interface, () => at(['in_interface']), A, 'in_interface')
    const inContainer = this.containerRef(d.in_container, () => at(['in_container']), A, 'in_container')
    if (d.in_container !== undefined && inContainer === undefined) failed = true
    const p = this.take(port(d.port), () => at(['port']), A)
    const toPort = d.to_port === undefined ? p : this.take(port(d.to_port), () => at(['to_port']), A, 'to_port: ')
    let to: Endpoint | undefined
    if (d.to === undefined) {
      if (inContainer !== undefined) to = {kind: 'container', container: inContainer}
      else if (d.in_interface !== undefined) {
        this.error(at(), A, 'to is required with in_interface: the destination container (container.NAME) or IP')
        failed = true
      }
    } else {
      const e = this.take(endpoint(d.to, this.opts.labels), () => at(['to']), A, 'to: ')
      if (e && (e.kind === 'any' || e.kind === 'network' || (e.kind === 'cidr' && !isHostCidr(e)))) {
        this.error(
          at(['to']),
          A,
          `to must be one container (container.NAME) or one IP address, got ${e.kind === 'any' ? '"any"' : e.kind === 'network' ? `network.${e.network}` : e.cidr}`,
        )
        failed = true
      } else if (!e) failed = true
      else to = e
    }
    const from = this.endpoints(d.from, at, 'from', A)
    if (from && to && !this.shareFamily([to], from, () => at(['from']), A, 'to', 'from')) failed = true
    if (from && to && !this.familyFits(d.family, [[to], from], () => at(['family']), A)) failed = true
    if (failed || p === undefined || toPort === undefined || to === undefined || from === undefined) return
    this.out.portForwards.push({
      address: A,
      label: b.label!,
      ...(inInterface !== undefined ? {inInterface} : {}),
      ...(inContainer !== undefined ? {inContainer} : {}),
      proto: d.proto,
      port: p,
      to,
      toPort,
      from,
      ...(d.family !== undefined ? {family: d.family} : {}),
      at: b.at,
    })
  }

  masquerade(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, masqueradeSchema)
    if (!d) return
    const at = locatorOf(b)
    const A = b.address
    const source = this.take(endpoint(d.source, this.opts.labels), () => at(['source']), A, 'source: ')
    const destination =
      d.destination === undefined
        ? undefined
        : this.take(endpoint(d.destination, this.opts.labels), () => at(['destination']), A, 'destination: ')
    const outInterface = this.interfaceName(d.out_interface, () => at(['out_interface']), A, 'out_interface')
    const inContainer = this.containerRef(d.in_container, () => at(['in_container']), A, 'in_container')
    if (!source || (d.destination !== undefined && !destination) || (d.in_container !== undefined && !inContainer))
      return
    if (
      destination &&
      !this.shareFamily([source], [destination], () => at(['destination']), A, 'source', 'destination')
    )
      return
    if (!this.familyFits(d.family, [[source], ...(destination ? [[destination]] : [])], () => at(['family']), A)) return
    this.out.masquerades.push({
      address: A,
      label: b.label!,
      source,
      ...(destination ? {destination} : {}),
      ...(outInterface !== undefined ? {outInterface} : {}),
      ...(inContainer !== undefined ? {inContainer} : {}),
      ...(d.family !== undefined ? {family: d.family} : {}),
      at: b.at,
    })
  }

  /** An assertion's from or to: a reference, "host", "external:IF", an IP or a CIDR ("any" is no one place to ask about). */
  assertEndpoint(v: Ref | string, at: Where, address: string, field: string): AssertEndpoint | undefined {
    if (v === 'host') return {kind: 'host'}
    if (typeof v === 'string' && v.startsWith('external:')) {
      const iface = v.slice('external:'.length)
      const bad = interfaceNameError(iface, {wildcard: false})
      if (bad) {
        this.error(at(), address, `${field} "${v}": ${bad}`)
        return undefined
      }
      return {kind: 'external', interface: iface}
    }
    if (v === 'any') {
      this.error(
        at(),
        address,
        `${field} = "any" is not one place to ask about: write container.NAME, network.NAME, "host", "external:IF", an IP or a CIDR`,
      )
      return undefined
    }
    const e = this.take(endpoint(v, this.opts.labels), at, address, `${field}: `)
    if (!e || e.kind === 'any') return undefined
    return e
  }

  assert(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, assertSchema)
    if (!d) return
    const at = locatorOf(b)
    const A = b.address
    const from = this.assertEndpoint(d.from, () => at(['from']), A, 'from')
    const to = this.assertEndpoint(d.to, () => at(['to']), A, 'to')
    let failed = from === undefined || to === undefined
    let p: number | undefined
    if (d.proto === 'icmp') {
      if (d.port !== undefined) {
        this.error(at(['port']), A, 'icmp has no port: leave port out')
        failed = true
      }
    } else if (d.port === undefined) {
      this.error(at(), A, `port is required with proto = "${d.proto}"`)
      failed = true
    } else {
      p = this.take(port(d.port), () => at(['port']), A, 'port: ')
      if (p === undefined) failed = true
    }
    const inInterface = this.interfaceName(d.in_interface, () => at(['in_interface']), A, 'in_interface')
    if (from && to && from.kind === 'cidr' && to.kind === 'cidr' && from.family !== to.family) {
      this.error(
        at(['to']),
        A,
        `to is ${familyName(to.family)} and from is ${familyName(from.family)}: no packet is both`,
      )
      failed = true
    }
    if (failed || !from || !to) return
    this.out.asserts.push({
      address: A,
      label: b.label!,
      from,
      to,
      proto: d.proto,
      ...(p !== undefined ? {port: p} : {}),
      ...(inInterface !== undefined ? {inInterface} : {}),
      expect: d.expect,
      ...(d.description !== undefined ? {description: d.description} : {}),
      at: b.at,
    })
  }

  firewall(b: Block): void {
    const d = this.body(b, b.path, b.address, b.body, firewallSchema)
    if (!d) return
    const at = locatorOf(b)
    const sshPort = this.take(port(d.ssh_port), () => at(['ssh_port']), b.address, 'ssh_port: ')
    if (sshPort === undefined) return
    const allowSsh = bool(d.allow_ssh)
    if (!allowSsh && b.body.ssh_port !== undefined)
      this.warn(at(['ssh_port']), b.address, 'ssh_port has no effect with allow_ssh = false')
    this.out.firewall = {
      forwardPolicy: d.forward_policy,
      inputPolicy: d.input_policy,
      sshPort: allowSsh ? sshPort : null,
      at: b.at,
    }
  }

  import(b: Block): void {
    // `to` is an address, not a value: it is read by checks.ts, not evaluated.
    const d = this.body(b, b.path, b.address, b.body, importSchema, ['to'])
    if (!d) return
    const at = locatorOf(b)
    this.out.locators.set(`import[${this.out.imports.length}]`, at)
    this.out.imports.push({to: d.to, raw: d.to, id: d.id, at: b.at})
  }
}

const FIELDS = new WeakMap<z.ZodMiniObject, readonly string[]>()

/** The attribute names of a body schema, for "did you mean" (computed once per schema). */
function fieldsOf(schema: z.ZodMiniObject): readonly string[] {
  let fields = FIELDS.get(schema)
  if (!fields) FIELDS.set(schema, (fields = Object.keys(schema.shape)))
  return fields
}

/**
 * Positions under a block, for messages and for the checks after building. A function of
 * its own, so that the closure (kept in `locators`) holds the block and nothing of the
 * builder method that made it.
 */
function locatorOf(b: Block): Locator {
  return (rel: Path = []) => (rel.length === 0 ? b.at : b.src.positions.locate([...b.path, ...rel]))
}

/** One address: /32 for IPv4, /128 for IPv6. */
function isHostCidr(e: Extract<Endpoint, {kind: 'cidr'}>): boolean {
  return e.cidr.endsWith(e.family === 'ipv4' ? '/32' : '/128')
}

/** A family's bit in familyMask (1: IPv4, 2: IPv6). */
function familyBit(f: Family): number {
  return 1 << FAMILIES.indexOf(f)
}

/** The families an endpoint list can match, as bits: a literal's own, both for references and "any". */
function familyMask(eps: readonly Endpoint[]): number {
  let m = 0
  for (const e of eps) m |= e.kind === 'cidr' ? familyBit(e.family) : 3
  return m
}

/** familyMask's families by name, for messages. */
function literalFamilies(eps: readonly Endpoint[]): Family[] {
  const m = familyMask(eps)
  return FAMILIES.filter((f) => (m & familyBit(f)) !== 0)
}

function stringify(m: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]))
}

function fmt(at: SourcePos): string {
  return `${at.file}:${at.line}`
}

export function buildSpecs(blocks: readonly Block[], opts: BuildOptions): {built: Built; diagnostics: Diagnostic[]} {
  const b = new Builder(opts)
  for (const block of blocks) {
    switch (block.type) {
      case 'dockwall':
        b.dockwall(block)
        break
      case 'network':
        b.network(block)
        break
      case 'container':
        b.container(block)
        break
      case 'rule':
        b.rule(block)
        break
      case 'port_forward':
        b.portForward(block)
        break
      case 'masquerade':
        b.masquerade(block)
        break
      case 'assert':
        b.assert(block)
        break
      case 'firewall':
        b.firewall(block)
        break
      case 'import':
        b.import(block)
        break
      case 'variable':
        break // evaluated before everything else (index.ts)
    }
  }
  return {built: b.out, diagnostics: b.diags}
}
