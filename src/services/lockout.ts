// The SSH lockout guard, evaluated rather than pattern-matched: the explain evaluator
// walks the operator's SSH connection (a new connection's first packet, the reply, the
// client's next packet) through the host namespace twice, once on the rules as read and
// once on the rules as the plan's transactions would leave them (simulated, nothing
// written), with every table of the client's family (raw and nat PREROUTING, INPUT,
// OUTPUT, POSTROUTING), dockwall's chains and every foreign rule, on each backend that
// holds rules (a packet crosses both). The plan is refused when it turns the connection
// from allowed into anything else, or sends new connections somewhere else (a DNAT of
// the SSH port, a Docker network whose subnet captures the client's address).
import {formatIp, parseCidr, parseIp} from '../explain/addr.js'
import {
  Explainer,
  ExplainInputError,
  interfacesFromIpAddr,
  routesFromIpRoute,
  type ExplainHost,
  type ExplainResult,
  type Interface,
  type NamespaceInput,
  type Route,
} from '../explain/index.js'
import {sysctlFlag} from '../explain/iproute.js'
import type {Backend, Family} from '../model/types.js'
import {BUILTIN_CHAINS, parseRuleset, type Ruleset} from '../netfilter/index.js'
import {simulateRestore} from '../netfilter/restore-sim.js'
import type {Change, FirewallTransaction, Plan} from '../plan/types.js'
import type {HostDump, HostFamilyDump} from '../refresh/host-dump.js'
import type {SshSession} from './ssh-session.js'

const BACKENDS: readonly Backend[] = ['nft', 'legacy']

/** The evaluator's view of one backend's rules: what the path looks like now and after the plan. */
export interface BackendCheck {
  backend: Backend
  before: ExplainResult
  after: ExplainResult
}

export type LockoutOutcome =
  /** The connection is allowed after the plan, to the same place as now. */
  | {kind: 'safe'}
  /** The session does not end in the managed namespace (its server address is not one of the namespace's). */
  | {kind: 'elsewhere'; reason: string}
  /** Not allowed after the plan, exactly as it is not now: the model does not see how the session gets in; the plan changes nothing of it. */
  | {kind: 'unverified'; check: BackendCheck}
  /** The plan cuts the session or new connections, or sends them elsewhere. */
  | {kind: 'cut'; check: BackendCheck; what: string}

export interface LockoutReport {
  session: SshSession
  /** The server address evaluated (SSH_CONNECTION's, or the host's address toward the client). */
  serverIp: string
  outcome: LockoutOutcome
  checks: BackendCheck[]
}

/** The plan's transactions that run in the host namespace, for one family. */
function hostTransactions(plan: Plan, family: Family): FirewallTransaction[] {
  return plan.firewall.filter((t) => t.namespace === 'host' && t.family === family)
}

/** Whether anything in the plan can change the path of a connection into the host. */
export function planTouchesHostPath(plan: Plan): boolean {
  return plan.firewall.some((t) => t.namespace === 'host') || plan.changes.some(changesRoutes)
}

/** Chains a connection into (or out of) the host crosses, as they appear in restore input. */
const INPUT_PATH = /(?:^|[\s:])(?:DOCKWALL-)?(?:INPUT|OUTPUT|PREROUTING)(?:\s|$)/m

/**
 * Whether the plan changes the operator's own path: rules of the host's input, output or
 * prerouting chains (dockwall's, or the jumps to them), or routes (a network created or
 * removed). Forward rules alone do not. Decides whether --confirm-within is on by default.
 */
export function planTouchesInputPath(plan: Plan): boolean {
  return (
    plan.firewall.some((t) => t.namespace === 'host' && INPUT_PATH.test(t.input)) || plan.changes.some(changesRoutes)
  )
}

function changesRoutes(c: Change): boolean {
  return c.type === 'network' && !c.forget && (c.action === 'create' || c.action === 'replace' || c.action === 'delete')
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** The bridge device Docker names for a network: its bridge.name option, else br-<first 12 of the id>. */
function bridgeName(attrs: Change['before'], id: string | undefined): string | undefined {
  const options = attrs?.options
  if (options && typeof options === 'object' && !Array.isArray(options)) {
    const name = str((options as Record<string, unknown>)['com.docker.network.bridge.name'])
    if (name) return name
  }
  return id ? `br-${id.slice(0, 12)}` : undefined
}

/** The gateway Docker gives a bridge: the declared one, else the subnet's first host. */
function gatewayAddress(subnet: string, gateway: string | undefined): string | undefined {
  const c = parseCidr(subnet)
  if (!c || c.prefix === null) return undefined
  const gw = gateway ?? formatIp({family: c.family, value: c.value + 1n})
  return `${gw}/${c.prefix}`
}

/**
 * The interfaces after the plan's Docker changes: a created or replaced network brings a
 * bridge holding its gateway (and with it the connected route of its subnet); a deleted or
 * replaced one takes its old bridge away.
 */
export function interfacesAfter(interfaces: readonly Interface[], plan: Plan, family: Family): Interface[] {
  let out = interfaces.map((i) => ({name: i.name, addresses: [...i.addresses]}))
  for (const c of plan.changes) {
    if (!changesRoutes(c)) continue
    if (c.action !== 'create') {
      const old = bridgeName(c.before, c.ids?.id)
      if (old) out = out.filter((i) => i.name !== old)
    }
    if (c.action === 'delete' || !c.after) continue
    const subnet = str(family === 'ipv6' ? c.after.ipv6_subnet : c.after.subnet)
    const gateway = str(family === 'ipv6' ? c.after.ipv6_gateway : c.after.gateway)
    const address = subnet ? gatewayAddress(subnet, gateway) : undefined
    if (!address) continue
    const name = bridgeName(c.after, undefined) ?? `br-new(${c.address})`
    out = out.filter((i) => i.name !== name)
    out.push({name, addresses: [address]})
  }
  return out
}

/** A save as the evaluator takes it: null unreadable, undefined no rules. */
function rulesOf(text: string | null, family: Family, keep?: ChainFilter): Ruleset | null | undefined {
  if (text === null) return null
  if (text.trim() === '') return undefined
  return parseRuleset(text, keep ? {family, chains: keep} : {family})
}

type ChainFilter = (table: string, chain: string) => boolean

const TARGET = /\s-(?:j|g|-jump|-goto)\s+(\S+)/

/**
 * The chains a connection to this host can cross without being forwarded: reachable by
 * jumps and gotos from every built-in chain but FORWARD, plus `extra` (chains the plan
 * deletes single rules from). Found from the text, so a host's forward rules (tens of
 * thousands on a large Docker host) are not parsed for a question about its own input;
 * a walk that turns out to be forwarded (a DNAT) is asked again with every rule.
 */
function localChains(text: string, extra: ReadonlySet<string>): ChainFilter {
  const edges = new Map<string, Set<string>>()
  let table = ''
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim()
    else if (line.startsWith('-A ')) {
      const chain = line.slice(3, line.indexOf(' ', 3) >>> 0)
      const target = TARGET.exec(line)?.[1]
      if (!target) continue
      const key = `${table} ${chain}`
      let set = edges.get(key)
      if (!set) edges.set(key, (set = new Set()))
      set.add(target)
    }
  }
  const reach = new Set<string>()
  const visit = (t: string, chain: string): void => {
    const key = `${t} ${chain}`
    if (reach.has(key)) return
    reach.add(key)
    for (const next of edges.get(key) ?? []) visit(t, next)
  }
  for (const [t, chains] of Object.entries(BUILTIN_CHAINS))
    for (const chain of chains) if (chain !== 'FORWARD') visit(t, chain)
  return (t, chain) => reach.has(`${t} ${chain}`) || extra.has(chain)
}

/** Chains the transactions delete single rules from: those need their rules as they are. */
function deletedFrom(txs: readonly FirewallTransaction[]): Set<string> {
  const out = new Set<string>()
  for (const tx of txs) for (const m of tx.input.matchAll(/^-D (\S+)/gm)) out.add(m[1]!)
  return out
}

/** Whether any packet of the walk was forwarded (or bridged): then FORWARD's chains matter. */
function forwarded(r: ExplainResult): boolean {
  return r.traces.some((t) =>
    t.steps.some((s) => s.kind === 'route' && (s.decision === 'forward' || s.decision === 'bridge')),
  )
}

function hostInput(
  rules: Ruleset | null | undefined,
  family: Family,
  interfaces: Interface[],
  routes: Route[],
  forwarding: boolean,
): ExplainHost {
  const ns: NamespaceInput = {
    id: 'host',
    rulesets: rules === undefined ? {} : {[family]: rules},
    interfaces,
    routes,
    forwarding: {ipv4: family === 'ipv4' && forwarding, ipv6: family === 'ipv6' && forwarding},
  }
  return {namespaces: [ns], segments: []}
}

/** Where an allowed connection ends: the same place before and after, or it was redirected. */
function endpoint(r: ExplainResult): string | undefined {
  if (r.verdict !== 'allow') return undefined
  const o = r.traces[0]?.outcome
  if (!o) return undefined
  return o.kind === 'delivered'
    ? `${o.namespace} ${o.address}:${o.port ?? ''}`
    : o.kind === 'left'
      ? `${o.namespace} via ${o.interface}`
      : undefined
}

/** What decides a connection that is not allowed, independent of rule positions (the plan inserts jumps). */
function decisionKey(r: ExplainResult): string {
  const d = r.decidedBy
  const which = r.traces[r.traces.length - 1]?.packet ?? ''
  switch (d.kind) {
    case 'rule':
      return `${r.verdict} ${which} rule ${d.rule.table} ${d.rule.text}`
    case 'policy':
      return `${r.verdict} ${which} policy ${d.chain.table} ${d.chain.chain} ${d.policy}`
    case 'unknown':
      return `${r.verdict} unknown ${[...new Set(d.rules.map((x) => `${x.table} ${x.text}`))].sort().join('|')}`
    default:
      return `${r.verdict} ${which} ${d.kind} ${d.reason}`
  }
}

/** The destination NAT the first packet meets (a DNAT or REDIRECT of the SSH port), as `to (by rule)`. */
function redirection(r: ExplainResult): string | undefined {
  for (const step of r.traces[0]?.steps ?? [])
    if (step.kind === 'nat' && (step.nat === 'DNAT' || step.nat === 'REDIRECT'))
      return `${step.to}${step.rule ? ` by ${step.rule.table} ${step.rule.text}` : ''}`
  return undefined
}

/** The sentence for what the plan would do to the session, from the packet the evaluator saw die. */
function cutWhat(after: ExplainResult, before: ExplainResult): string {
  const redirected = redirection(after)
  if (redirected !== undefined && redirected !== redirection(before))
    return `new SSH connections would be redirected to ${redirected}`
  if (after.verdict === 'allow')
    return `new SSH connections would reach ${endpoint(after) ?? 'somewhere else'} instead of ${endpoint(before) ?? 'this host'}`
  if (after.verdict === 'unknown')
    return 'whether your SSH connection still gets through cannot be decided after the plan'
  const packet = after.traces[after.traces.length - 1]?.packet
  if (packet === 'reply')
    return "the host's replies to your SSH client would be dropped: your current session would hang"
  if (packet === 'next') return "your SSH session's packets would be dropped: your current session would be cut"
  return 'new SSH connections from your address would be refused'
}

interface PathQuery {
  clientIp: string
  clientPort?: number
  serverIp: string
  port: number
}

function unknownResult(family: Family, reason: string): ExplainResult {
  return {
    verdict: 'unknown',
    summary: `unknown: ${reason}`,
    family,
    traces: [],
    decidedBy: {kind: 'unknown', reason, rules: []},
    accepts: [],
    unmodelled: [],
  }
}

/**
 * One family of the namespace that plays the host, before and after the plan: its rules
 * per backend (parsed once for paths into the host, once more with the forward chains
 * when a walk is forwarded), its interfaces and routes (a network the plan creates brings
 * a bridge and its subnet's route; one it deletes takes them away).
 */
class FamilyPaths {
  readonly interfaces: Interface[]
  readonly routes: Route[]
  readonly after: Interface[]
  readonly routesAfter: Route[]
  private readonly forwarding: boolean
  private readonly txs: FirewallTransaction[]
  private readonly backends: Backend[]
  private readonly hosts = new Map<string, {before: Explainer; after: Explainer}>()
  readonly probe: ReturnType<Explainer['network']['ns']>
  private readonly probeAfter: ReturnType<Explainer['network']['ns']>

  constructor(
    plan: Plan,
    private readonly dump: HostFamilyDump,
    addr: string,
    readonly family: Family,
  ) {
    this.interfaces = interfacesFromIpAddr(addr)
    this.routes = routesFromIpRoute(dump.routes, family)
    this.forwarding = sysctlFlag(dump.forwarding)
    this.txs = hostTransactions(plan, family)
    this.after = interfacesAfter(this.interfaces, plan, family)
    // Routes through a bridge the plan removes go with it.
    this.routesAfter = this.routes.filter((r) => this.after.some((i) => i.name === r.dev))
    this.probe = new Explainer(this.input(undefined, false)).network.ns('host')
    this.probeAfter = new Explainer(this.input(undefined, true)).network.ns('host')
    // Every backend holding rules, and the ones the plan writes: a packet must get through each.
    const backends = BACKENDS.filter(
      (b) => (dump.saves[b] ?? 'unreadable').trim() !== '' || this.txs.some((t) => t.backend === b),
    )
    this.backends = backends.length > 0 ? backends : ['nft']
  }

  private input(rules: Ruleset | null | undefined, after: boolean): ExplainHost {
    return hostInput(
      rules,
      this.family,
      after ? this.after : this.interfaces,
      after ? this.routesAfter : this.routes,
      this.forwarding,
    )
  }

  private explainers(backend: Backend, full: boolean): {before: Explainer; after: Explainer} {
    const key = `${backend} ${full}`
    let e = this.hosts.get(key)
    if (!e) {
      const text = this.dump.saves[backend]
      const mine = this.txs.filter((t) => t.backend === backend)
      const keep = !full && text ? localChains(text, deletedFrom(mine)) : undefined
      const before = rulesOf(text, this.family, keep)
      let after = before
      if (before !== null)
        for (const tx of mine) after = simulateRestore(after ?? {tables: []}, tx.input, this.family).ruleset
      e = {before: new Explainer(this.input(before, false)), after: new Explainer(this.input(after, true))}
      this.hosts.set(key, e)
    }
    return e
  }

  /** The interface a client's packets arrive on: where the host routes its address (before the plan, unless that device goes). */
  clientInterface(clientIp: string, after: boolean): string | undefined {
    const ip = parseIp(clientIp)!
    const now = this.probe.route(ip)
    if (now.kind !== 'unicast') return undefined
    if (!after || this.after.some((i) => i.name === now.dev)) return now.dev
    const later = this.probeAfter.route(ip)
    return later.kind === 'unicast' ? later.dev : now.dev
  }

  /** The connection walked on each backend, before and after the plan. */
  check(q: PathQuery): BackendCheck[] {
    return this.backends.map((backend) => {
      const run = (full: boolean): BackendCheck => {
        const e = this.explainers(backend, full)
        return {
          backend,
          before: this.explain(e.before, q, false),
          after: this.explain(e.after, q, true),
        }
      }
      const quick = run(false)
      return forwarded(quick.before) || forwarded(quick.after) ? run(true) : quick
    })
  }

  private explain(explainer: Explainer, q: PathQuery, after: boolean): ExplainResult {
    const iface = this.clientInterface(q.clientIp, after)
    if (iface === undefined) return unknownResult(this.family, `no route toward ${q.clientIp}`)
    try {
      return explainer.explain({
        from: {kind: 'client', address: q.clientIp, interface: iface},
        to: q.serverIp,
        proto: 'tcp',
        port: q.port,
        ...(q.clientPort !== undefined ? {sourcePort: q.clientPort} : {}),
      })
    } catch (error) {
      if (!(error instanceof ExplainInputError)) throw error
      return unknownResult(this.family, error.message)
    }
  }
}

function familyOf(dump: HostDump, family: Family): HostFamilyDump {
  const fam = dump.families.find((f) => f.family === family)
  if (!fam) throw new Error(`the host dump has no ${family} part`)
  return fam
}

/**
 * Evaluates the plan against the session. Pure: `dump` is what src/refresh/host-dump.ts
 * read in the namespace that plays the host.
 */
export function evaluateLockout(plan: Plan, session: SshSession, dump: HostDump): LockoutReport {
  const family = session.family
  const paths = new FamilyPaths(plan, familyOf(dump, family), dump.addr, family)
  const probe = paths.probe
  // The client's packets come in where the host routes its address now (a new bridge capturing it changes where replies go, not where the client is).
  const back = probe.route(parseIp(session.clientIp)!)
  const elsewhere = (serverIp: string, reason: string): LockoutReport => ({
    session,
    serverIp,
    checks: [],
    outcome: {kind: 'elsewhere', reason},
  })
  if (back.kind !== 'unicast')
    return elsewhere(
      session.serverIp ?? '',
      back.kind === 'local'
        ? `${session.clientIp} is an address of the managed namespace itself`
        : `the managed namespace has no ${family} route toward ${session.clientIp}`,
    )
  // The server address: SSH_CONNECTION's, else the one the host answers the client from.
  let serverIp = session.serverIp
  if (serverIp === undefined) {
    const src = back.src ?? probe.sourceFor(back.dev, back.nextHop)
    if (!src) return elsewhere('', `the managed namespace has no ${family} address on ${back.dev}`)
    serverIp = formatIp(src)
  }
  if (!probe.isLocal(parseIp(serverIp)!))
    return elsewhere(serverIp, `${serverIp} is not an address of the managed namespace`)

  const checks = paths.check({
    clientIp: session.clientIp,
    ...(session.clientPort !== undefined ? {clientPort: session.clientPort} : {}),
    serverIp,
    port: session.serverPort,
  })
  let unverified: BackendCheck | undefined
  for (const check of checks) {
    const {before, after: a} = check
    if (a.verdict === 'allow') {
      if (before.verdict === 'allow' && endpoint(a) !== endpoint(before))
        return {session, serverIp, checks, outcome: {kind: 'cut', check, what: cutWhat(a, before)}}
      continue
    }
    if (decisionKey(a) === decisionKey(before)) {
      unverified ??= check
      continue
    }
    return {session, serverIp, checks, outcome: {kind: 'cut', check, what: cutWhat(a, before)}}
  }
  return {session, serverIp, checks, outcome: unverified ? {kind: 'unverified', check: unverified} : {kind: 'safe'}}
}

// ---------------------------------------------------------------- without a session (watch)

/** A stand-in SSH client: a neighbour on one of the host's networks, or a remote address behind its default route. */
export interface PathProbe {
  family: Family
  clientIp: string
  serverIp: string
  /** Allowed through every backend, before and after the plan. */
  before: boolean
  after: boolean
  /** The walk after the plan (of the first backend that did not allow it). */
  result: ExplainResult
}

export interface LastPathReport {
  port: number
  probes: PathProbe[]
  /** Some probe reached SSH before the plan, and none after it. */
  lost: boolean
}

/** Interfaces that are not a way in for an operator: loopback, Docker's bridges and their veths. */
function isInfrastructure(name: string): boolean {
  return name === 'lo' || name === 'docker0' || name.startsWith('br-') || name.startsWith('veth')
}

const REMOTE: Readonly<Record<Family, string>> = {ipv4: '203.0.113.77', ipv6: '2001:db8:ffff::77'}

/** A neighbour address in an interface's prefix that is not one of the namespace's own. */
function neighbour(paths: FamilyPaths, address: string): string | undefined {
  const c = parseCidr(address)
  if (!c || c.prefix === null || c.prefix >= (paths.family === 'ipv4' ? 31 : 127)) return undefined
  for (let k = 2n; k < 10n; k++) {
    const ip = {family: paths.family, value: c.value + k}
    if (!paths.probe.isLocal(ip)) return formatIp(ip)
  }
  return undefined
}

/**
 * Whether the plan takes away the last path to SSH (`port`) when no session is known
 * (watch runs as a daemon): stand-in clients on each of the host's own networks and one
 * behind each default route, each walked to the host's address on that side.
 */
export function evaluateLastPath(plan: Plan, dump: HostDump, port: number): LastPathReport {
  const probes: PathProbe[] = []
  for (const fam of dump.families) {
    const paths = new FamilyPaths(plan, fam, dump.addr, fam.family)
    const pairs: {clientIp: string; serverIp: string}[] = []
    for (const iface of paths.interfaces) {
      if (isInfrastructure(iface.name)) continue
      for (const address of iface.addresses) {
        const ip = parseIp(address.split('/')[0]!)
        const client = ip?.family === fam.family ? neighbour(paths, address) : undefined
        if (ip && client) pairs.push({clientIp: client, serverIp: formatIp(ip)})
      }
    }
    const remote = parseIp(REMOTE[fam.family])!
    const route = paths.probe.route(remote)
    if (route.kind === 'unicast' && !isInfrastructure(route.dev)) {
      const src = route.src ?? paths.probe.sourceFor(route.dev, route.nextHop)
      if (src) pairs.push({clientIp: REMOTE[fam.family], serverIp: formatIp(src)})
    }
    for (const p of pairs) {
      const checks = paths.check({...p, port})
      const failed = checks.find((c) => c.after.verdict !== 'allow') ?? checks[0]!
      probes.push({
        family: fam.family,
        ...p,
        before: checks.every((c) => c.before.verdict === 'allow'),
        after: checks.every((c) => c.after.verdict === 'allow'),
        result: failed.after,
      })
    }
  }
  return {port, probes, lost: probes.some((p) => p.before) && !probes.some((p) => p.after)}
}
