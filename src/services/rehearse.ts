// `dockwall test --rehearse`: the assertions proven with real packets, without touching
// the host. A private Docker engine starts in a scratch network namespace (src/sandbox,
// the machinery the e2e tests run on); the host's networks and stand-ins for its running
// containers (busybox, same names, same addresses, same published ports) are made there;
// the planned configuration is applied there, with a state file of its own; every flow of
// every assertion, as `explain --planned` resolved it on the host, is tried with a real
// connection (busybox nc; ping for icmp); then everything is torn down, also when the
// process is interrupted (the sandbox's SIGINT/SIGTERM hooks). What the scratch namespace
// does not hold (a port bound to one of the host's own addresses, rules others wrote in
// the host's chains, a client whose interface has no address) is said, never guessed.
import {join} from 'node:path'

import type Dockerode from 'dockerode'

import {
  ownerOf,
  type AssertionOutcome,
  type AssertionResult,
  type Endpoint,
  type ExplainHost,
  type FlowAnswer,
  type Interface,
} from '../explain/index.js'
import type {BackendSetting, DesiredModel} from '../model/types.js'
import {defaultEngine, inSubnet, Sandbox, type ExternalClient} from '../sandbox/index.js'
import type {NetnsTarget} from '../util/exec.js'
import {mapLimit} from '../util/pool.js'
import {applySession} from './apply.js'
import {readExplainHost} from './explain-host.js'
import {preparePlan, throwPlanErrors, type PreparedPlan} from './prepare.js'
import {openSession, type Session} from './session.js'

export type RehearsedVerdict = 'allow' | 'deny' | 'mixed'

export interface RehearsedFlow {
  from: string
  to: string
  /** Connected: something answered (`container.web:80`, `host:22`). */
  connected: boolean
  answeredBy?: string
  /** Why this flow was not tried (then `connected` is false and means nothing). */
  notTried?: string
}

export interface RehearsalAssertion {
  address: string
  question: string
  expect: 'allow' | 'deny'
  /** `explain --planned` on the host: what `dockwall test` without --rehearse reports. */
  predicted: AssertionOutcome
  /** What real packets did; absent when no flow could be tried. */
  verdict?: RehearsedVerdict
  flows: RehearsedFlow[]
  /** The rehearsed verdict is the expected one, and every flow was tried. */
  pass: boolean
  /** The rehearsal got what explain predicted. */
  agrees: boolean
}

export interface RehearsalReport {
  /** `Docker 20.10.24, legacy`. */
  engine: string
  hostEngine: string
  networks: number
  containers: number
  assertions: RehearsalAssertion[]
  /** What the rehearsal could not make as it is on the host. */
  notReproduced: string[]
  pass: boolean
}

/** What the rehearsal needs from the host, read while the session holds the lock. */
export interface HostPicture {
  model: DesiredModel
  backend: BackendSetting
  hostBackend: 'nft' | 'legacy'
  hostEngine: string
  networks: Dockerode.NetworkInspectInfo[]
  containers: Dockerode.ContainerInspectInfo[]
  /** The host namespace's interfaces (a client on one of them is made with its addresses). */
  interfaces: Interface[]
  /** Networks the plan creates or replaces: the apply makes them in the rehearsal. */
  plannedNetworks: string[]
  /** Docker's bridges on the host: a client "on" one of them is not a host interface to recreate. */
  bridges: string[]
  /** Rules in the host's chains that neither Docker nor dockwall wrote, by chain. */
  foreignRules: Map<string, number>
  assertions: AssertionResult[]
}

const DEFAULT_NETWORKS = new Set(['bridge', 'host', 'none'])
const ANY_ADDRESS = new Set(['', '0.0.0.0', '::'])
const PROBE_TIMEOUT_SEC = 2

/** Reads what the rehearsal recreates: Docker's networks and running containers, the host's interfaces and foreign rules. */
export async function readHostPicture(session: Session, prepared: PreparedPlan): Promise<HostPicture> {
  const docker = (await session.dockerWriter()).client
  const networks = await Promise.all(
    (await docker.listNetworks()).map(
      (n) => docker.getNetwork(n.Id).inspect() as Promise<Dockerode.NetworkInspectInfo>,
    ),
  )
  const containers = await Promise.all((await docker.listContainers()).map((c) => docker.getContainer(c.Id).inspect()))
  const explainHost = await readExplainHost(prepared.actual, session.host, prepared.hostSaves)
  const hostNs = prepared.actual.namespaces.find((n) => n.key === 'host')
  return {
    model: session.model,
    backend: session.backend,
    hostBackend: hostNs?.backend ?? 'nft',
    hostEngine: `Docker ${prepared.actual.docker.engine.version}`,
    networks: networks.filter((n) => n.Driver === 'bridge'),
    containers,
    interfaces: explainHost.namespaces.find((n) => n.id === 'host')?.interfaces ?? [],
    plannedNetworks: prepared.plan.changes
      .filter((c) => c.type === 'network' && (c.action === 'create' || c.action === 'replace'))
      .map((c) => networkName(c.after) ?? c.address),
    bridges: explainHost.dockerBridges ?? [],
    foreignRules: foreignRules(explainHost),
    assertions: prepared.assertions,
  }
}

function networkName(after: unknown): string | undefined {
  const name = (after as {name?: unknown} | null | undefined)?.name
  return typeof name === 'string' ? name : undefined
}

/** Rules of the host namespace that neither Docker nor dockwall wrote (outside dockwall's own chains). */
function foreignRules(host: ExplainHost): Map<string, number> {
  const out = new Map<string, number>()
  const ns = host.namespaces.find((n) => n.id === 'host')
  const bridges = new Set(host.dockerBridges ?? [])
  for (const [family, rs] of Object.entries(ns?.rulesets ?? {})) {
    for (const t of rs?.tables ?? []) {
      const position = new Map<string, number>()
      for (const r of t.rules) {
        const p = (position.get(r.chain) ?? 0) + 1
        position.set(r.chain, p)
        if (r.chain.startsWith('DOCKWALL-')) continue
        if (ownerOf(r, p, bridges).kind !== 'foreign') continue
        const key = `${family === 'ipv6' ? 'ip6tables' : 'iptables'} ${t.name} ${r.chain}`
        out.set(key, (out.get(key) ?? 0) + 1)
      }
    }
  }
  return out
}

export interface RehearseIO {
  /** One line per stage, as it starts (for a person waiting). */
  progress: (line: string) => void
}

/** Runs the rehearsal; the scratch namespace, engine and files are gone when it returns or throws. */
export async function rehearse(p: HostPicture, io: RehearseIO): Promise<RehearsalReport> {
  const notReproduced: string[] = []
  for (const [chain, n] of p.foreignRules)
    notReproduced.push(`${n} rule${n === 1 ? '' : 's'} in the host's ${chain} that neither Docker nor dockwall wrote`)
  io.progress('Rehearsal: starting a private Docker engine in a scratch network namespace...')
  // Rehearsals (and test sandboxes) whose process was killed outright: removed first.
  await Sandbox.gc()
  const sb = await Sandbox.start({
    backend: p.hostBackend,
    engine: defaultEngine(),
    fetchEngine: false,
    ip6tables: p.networks.some((n) => n.EnableIPv6),
  })
  try {
    const engine = `Docker ${sb.engine.version}, ${sb.backend}`
    if (!p.hostEngine.startsWith(`Docker ${sb.engine.major}.${sb.engine.minor}`))
      notReproduced.push(
        `the host runs ${p.hostEngine}, the rehearsal ${engine.split(',')[0]}: Docker's own rules may differ`,
      )
    io.progress(`Rehearsal: ${engine}; recreating the host's networks and containers...`)
    const networks = await recreateNetworks(sb, p, notReproduced)
    const containers = await recreateContainers(sb, p, networks, notReproduced)
    const clients = await recreateClients(sb, p, notReproduced)
    io.progress('Rehearsal: applying the planned configuration there...')
    await applyInRehearsal(sb, p)
    io.progress('Rehearsal: probing every assertion with real connections...')
    const assertions = await probeAssertions(sb, p, clients)
    return {
      engine,
      hostEngine: p.hostEngine,
      networks: networks.size,
      containers,
      assertions,
      notReproduced,
      pass: assertions.every((a) => a.pass),
    }
  } finally {
    io.progress('Rehearsal: tearing down the scratch namespace and its engine...')
    await sb.stop()
  }
}

async function recreateNetworks(sb: Sandbox, p: HostPicture, notes: string[]): Promise<Set<string>> {
  const made = new Set<string>()
  for (const n of p.networks) {
    if (DEFAULT_NETWORKS.has(n.Name)) {
      const theirs = (await sb.docker.getNetwork(n.Name).inspect()) as Dockerode.NetworkInspectInfo
      const a = subnetsOf(n).join(', ')
      const b = subnetsOf(theirs).join(', ')
      if (a !== b) notes.push(`Docker's default network has ${a} on the host, ${b} in the rehearsal`)
      continue
    }
    // The apply makes these (created or replaced by the plan).
    if (p.plannedNetworks.includes(n.Name)) continue
    await sb.docker.createNetwork({
      Name: n.Name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: n.Internal,
      EnableIPv6: n.EnableIPv6,
      Options: n.Options ?? {},
      Labels: n.Labels ?? {},
      IPAM: {
        Driver: 'default',
        Config: (n.IPAM?.Config ?? []).map((c) => ({
          Subnet: c.Subnet,
          ...(c.Gateway ? {Gateway: c.Gateway} : {}),
          ...(c.IPRange ? {IPRange: c.IPRange} : {}),
        })),
      },
    })
    made.add(n.Name)
  }
  return made
}

function subnetsOf(n: Dockerode.NetworkInspectInfo): string[] {
  return (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').sort()
}

/** A busybox stand-in for each running container: same name, addresses and published ports. */
async function recreateContainers(
  sb: Sandbox,
  p: HostPicture,
  networks: ReadonlySet<string>,
  notes: string[],
): Promise<number> {
  let count = 0
  for (const c of p.containers) {
    const name = c.Name.replace(/^\//, '')
    const mode = c.HostConfig.NetworkMode ?? ''
    if (mode === 'host' || mode.startsWith('container:')) {
      notes.push(
        `container ${name} shares ${mode === 'host' ? "the host's" : 'another container’s'} network namespace: no stand-in`,
      )
      continue
    }
    const endpoints = Object.entries(c.NetworkSettings.Networks ?? {}).filter(
      ([net]) => networks.has(net) || net === 'bridge',
    )
    if (endpoints.length === 0) {
      notes.push(`container ${name} is on no network the rehearsal has: no stand-in`)
      continue
    }
    const ports: Record<string, Array<{HostPort: string; HostIp?: string}>> = {}
    for (const [key, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
      for (const b of (bindings ?? []) as Array<{HostIp?: string; HostPort?: string}>) {
        if (!ANY_ADDRESS.has(b.HostIp ?? '')) {
          notes.push(`container ${name} publishes ${key} on the host's address ${b.HostIp}: not in the rehearsal`)
          continue
        }
        ;(ports[key] ??= []).push({HostPort: b.HostPort ?? '', ...(b.HostIp ? {HostIp: b.HostIp} : {})})
      }
    }
    const endpointConfig = (net: string, e: Dockerode.NetworkInfo): Dockerode.EndpointSettings => {
      // Docker's default network takes no static address.
      if (net === 'bridge') return {}
      const v4 = e.IPAMConfig?.IPv4Address || e.IPAddress
      const v6 = e.IPAMConfig?.IPv6Address || e.GlobalIPv6Address
      return {
        IPAMConfig: {...(v4 ? {IPv4Address: v4} : {}), ...(v6 ? {IPv6Address: v6} : {})},
        ...(e.Aliases ? {Aliases: e.Aliases.filter((a: string) => !c.Id.startsWith(a))} : {}),
      }
    }
    const [[firstNet, firstEp], ...rest] = endpoints as [
      [string, Dockerode.NetworkInfo],
      ...Array<[string, Dockerode.NetworkInfo]>,
    ]
    const created = await sb.docker.createContainer({
      name,
      Image: sb.standInImage,
      Cmd: ['sleep', '1000000'],
      StopTimeout: 1,
      ExposedPorts: Object.fromEntries(Object.keys(ports).map((k) => [k, {}])),
      HostConfig: {NetworkMode: firstNet, PortBindings: ports},
      NetworkingConfig: {EndpointsConfig: {[firstNet]: endpointConfig(firstNet, firstEp)}},
    })
    for (const [net, ep] of rest)
      await sb.docker.getNetwork(net).connect({Container: created.id, EndpointConfig: endpointConfig(net, ep)})
    await created.start()
    const info = await created.inspect()
    for (const [net, ep] of endpoints) {
      const got = info.NetworkSettings.Networks?.[net]?.IPAddress
      if (ep.IPAddress && got !== ep.IPAddress)
        notes.push(`container ${name} has ${ep.IPAddress} on ${net} on the host, ${got || 'none'} in the rehearsal`)
    }
    count++
  }
  return count
}

/** A client namespace behind each host interface an assertion's client arrives on, with the interface's addresses. */
async function recreateClients(sb: Sandbox, p: HostPicture, notes: string[]): Promise<Map<string, ExternalClient>> {
  const clients = new Map<string, ExternalClient>()
  for (const f of allFlows(p)) {
    const from = f.query.from
    if (from.kind !== 'client') continue
    const key = clientKey(from)
    if (clients.has(key)) continue
    const iface = from.interface ?? onLink(p.interfaces, from.address)?.name
    const host = p.interfaces.find((i) => i.name === iface)
    if (iface && p.bridges.includes(iface)) {
      notes.push(`a client at ${from.address} on Docker's bridge ${iface}: only containers are recreated there`)
      continue
    }
    if (!iface || !host || host.addresses.length === 0) {
      notes.push(
        `a client at ${from.address}${iface ? ` on ${iface}` : ''}: the host interface it arrives on has no address to recreate`,
      )
      continue
    }
    clients.set(
      key,
      await sb.addExternalClient({ifname: iface, at: {sandboxAddresses: host.addresses, clientAddress: from.address}}),
    )
  }
  return clients
}

function clientKey(e: Extract<Endpoint, {kind: 'client'}>): string {
  return `${e.interface ?? ''}|${e.address}`
}

function onLink(interfaces: readonly Interface[], address: string): Interface | undefined {
  return interfaces.find((i) => i.name !== 'lo' && i.addresses.some((a) => inSubnet(a, address)))
}

function allFlows(p: HostPicture): FlowAnswer[] {
  return p.assertions.flatMap((a) => (a.planned.kind === 'answered' ? a.planned.answer.flows : []))
}

/** The plan, made and applied in the rehearsal as `dockwall apply` would (no guard, no prompt), with a state of its own. */
async function applyInRehearsal(sb: Sandbox, p: HostPicture): Promise<void> {
  const session = await openSession({
    config: p.model.files[0] ?? '.',
    state: join(sb.root, 'rehearsal.state.json'),
    lockTimeoutMs: 0,
    netns: sb.netnsPath,
    dockerHost: sb.dockerHost,
    backend: p.backend,
    operation: 'rehearse',
    warn: () => {},
    model: {...p.model, asserts: []},
  })
  try {
    const prepared = await preparePlan(session, {mode: 'normal', targets: []})
    throwPlanErrors(prepared)
    await applySession(session, prepared.plan, prepared.actual, () => {})
  } finally {
    await session.close()
  }
}

async function probeAssertions(
  sb: Sandbox,
  p: HostPicture,
  clients: ReadonlyMap<string, ExternalClient>,
): Promise<RehearsalAssertion[]> {
  const flows = allFlows(p)
  // Listeners on every port a flow names, and the ports a DNAT or a published port may lead to, in every stand-in.
  const ports = new Set<number>()
  for (const f of flows) if (f.query.port !== undefined && f.query.proto === 'tcp') ports.add(f.query.port)
  for (const pf of p.model.portForwards) if (pf.proto === 'tcp') ports.add(pf.toPort)
  for (const c of p.containers)
    for (const key of Object.keys(c.HostConfig.PortBindings ?? {}))
      if (key.endsWith('/tcp')) ports.add(Number(key.split('/')[0]))
  const names = (await sb.docker.listContainers()).map((c) => c.Names[0]!.replace(/^\//, ''))
  await mapLimit(
    names.flatMap((n) => [...ports].map((port) => [n, port] as const)),
    8,
    ([n, port]) => sb.listen(n, port),
  )
  for (const port of ports) await sb.listenIn({kind: 'path', path: sb.netnsPath}, port, 'host')
  for (const client of clients.values())
    for (const port of ports) await sb.listenIn({kind: 'path', path: client.netnsPath}, port, `client.${client.ifname}`)
  const pids = new Map<string, number>()
  for (const n of names) pids.set(n, await sb.containerPid(n))

  return mapLimit(p.assertions, 4, async (a): Promise<RehearsalAssertion> => {
    const base = {address: a.address, question: a.question, expect: a.expect, predicted: a.planned}
    if (a.planned.kind !== 'answered') return {...base, flows: [], pass: false, agrees: false}
    const tried = await mapLimit(a.planned.answer.flows, 8, (f) => probeFlow(sb, f, pids, clients))
    const done = tried.filter((t) => t.notTried === undefined)
    const verdict: RehearsedVerdict | undefined =
      done.length === 0
        ? undefined
        : done.every((t) => t.connected)
          ? 'allow'
          : done.some((t) => t.connected)
            ? 'mixed'
            : 'deny'
    const r: RehearsalAssertion = {
      ...base,
      flows: tried,
      pass: verdict === a.expect && done.length === tried.length,
      agrees: verdict !== undefined && verdict === a.planned.verdict,
    }
    if (verdict) r.verdict = verdict
    return r
  })
}

async function probeFlow(
  sb: Sandbox,
  f: FlowAnswer,
  pids: ReadonlyMap<string, number>,
  clients: ReadonlyMap<string, ExternalClient>,
): Promise<RehearsedFlow> {
  const out = {from: f.fromLabel, to: f.toLabel}
  const from = f.query.from
  let netns: NetnsTarget
  if (from.kind === 'client') {
    const client = clients.get(clientKey(from))
    if (!client) return {...out, connected: false, notTried: 'its client could not be recreated'}
    netns = {kind: 'path', path: client.netnsPath}
  } else if (from.namespace === 'host') netns = {kind: 'path', path: sb.netnsPath}
  else {
    const pid = pids.get(from.namespace.replace(/^container\./, ''))
    if (pid === undefined) return {...out, connected: false, notTried: `${from.namespace} has no stand-in`}
    netns = {kind: 'pid', pid}
  }
  if (f.query.proto === 'udp')
    return {...out, connected: false, notTried: 'udp: the stand-ins answer tcp and icmp only'}
  if (f.query.proto === 'icmp') return {...out, connected: await sb.ping(netns, f.query.to, PROBE_TIMEOUT_SEC)}
  const reply = await sb.connectIn(netns, f.query.to, f.query.port ?? 0, PROBE_TIMEOUT_SEC)
  const m = /^dockwall-ok (\S+) (\d+)/.exec(reply)
  if (!m) return {...out, connected: false}
  const who = m[1]!.startsWith('client.') || m[1] === 'host' ? m[1]! : `container.${m[1]}`
  return {...out, connected: true, answeredBy: `${who}:${m[2]}`}
}
