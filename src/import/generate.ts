// `dockwall import --all --generate-config-out FILE`: the configuration that describes
// what refresh found, plus an import block per resource so the first plan adopts
// instead of creating. Pure: it reads an ActualModel and returns text and lists.
//
// What it writes and why (the generated file's header says the same to its reader):
// - network blocks for non-default bridge networks (Docker's bridge, host and none are
//   Docker's own), imported by name;
// - container blocks for containers with a static address on one of them (their
//   attachments are imported), and for containers a rule refers to or whose namespace
//   holds imported rules (no attachments: their addresses are dynamic);
// - rule, port_forward and masquerade blocks for the operator's rules in filter
//   FORWARD, DOCKER-USER, INPUT, OUTPUT, nat PREROUTING, POSTROUTING and raw PREROUTING, on the host
//   and in every container namespace refresh read. Priorities 10, 20, 30… follow the
//   order the rules were evaluated in; a rule whose move into dockwall's chain could
//   change a verdict stays where it is and is reported (order.ts), like every rule
//   the language cannot express (rule-convert.ts).
// Behaviour that still changes (dockwall's own RELATED,ESTABLISHED accept, the accept
// a port_forward brings) is reported in `warnings` and in the file.
import {type Rule, writeRuleArgs} from '../netfilter/index.js'
import type {NamespaceKey} from '../model/resources.js'
import {addressFamily, FAMILIES, type Family} from '../model/types.js'
import type {ActualModel} from '../refresh/types.js'
import type {Cond} from './conditions.js'
import {ESTABLISHED_COND, parseNet} from './conditions.js'
import {containerBlock, type KnownContainerFull, networkBlock, scanDocker} from './docker-blocks.js'
import {attribute, block, type HclBlock, type HclItem, ref, writeHcl} from './hcl-writer.js'
import {formatImportId} from './id.js'
import {LabelAllocator, sanitizeLabel} from './labels.js'
import {
  type Item,
  type Sequence,
  establishedChanges,
  firstMatch,
  passedByMove,
  newOrder,
  policyDropsEstablished,
} from './order.js'
import {dockerHints, ownerOf} from './owners.js'
import {type BlockContext, type BuiltBlock, masqueradeBlock, portForwardBlock, ruleBlock} from './resource-blocks.js'
import type {ConvertedPortForward} from './rule-convert.js'
import {
  type Converted,
  type NamespaceScan,
  SCANNED_CHAINS,
  type ScannedLine,
  type ScannedRoot,
  scanNamespace,
} from './rule-scan.js'

export interface GenerateOptions {
  /** When refresh ran, for the header; left out when absent (so output is reproducible). */
  scannedAt?: Date
  /** The command line, for the header. */
  command?: string
}

export interface ImportEntry {
  to: string
  id: string
}

export interface LeftRule {
  namespace: NamespaceKey
  family: Family
  table: string
  chain: string
  /** `-A CHAIN args`, as iptables-save prints it. */
  line: string
  reason: string
}

export interface CoveredEntry {
  namespace: NamespaceKey
  family: Family
  table: string
  chain: string
  line: string
  /** `firewall` or the address of the port forward whose accept it is. */
  by: string
}

export interface GenerateResult {
  hcl: string
  imports: ImportEntry[]
  /** Rules left where they are, each with the reason; the import is partial when this is not empty. */
  unsupported: LeftRule[]
  /** Rules a dockwall resource already provides (they stay in place unless removed). */
  covered: CoveredEntry[]
  /** One line per choice made: what became which resource, labels, references. */
  explanations: string[]
  /** Traffic that will be treated differently once the generated configuration is applied. */
  warnings: string[]
}

const PRIORITY_STEP = 10
/** The priority src/plan/firewall.ts gives a port forward's accept. */
const PORT_FORWARD_PRIORITY = 100

interface Moved {
  line: ScannedLine
  conversion: Converted
  item: Item
  nsLabel?: string
}

function entryOf(l: ScannedLine): Omit<LeftRule, 'reason'> {
  return {namespace: l.namespace, family: l.family, table: l.table, chain: l.chain, line: `-A ${l.chain} ${l.spec}`}
}

/** `filter`, or `ip6tables filter`: how generated comments name a table. */
function tableName(l: {family: Family; table: string}): string {
  return l.family === 'ipv4' ? l.table : `ip6tables ${l.table}`
}

function where(l: Pick<ScannedLine, 'namespace' | 'family' | 'table' | 'chain' | 'position' | 'spec'>): string {
  return `${l.namespace} ${tableName(l)} ${l.chain} #${l.position + 1}: ${l.spec}`
}

function describeItem(i: Item): string {
  return `${i.chain} #${i.position + 1}: ${writeRuleArgs(i.rule)}`
}

function importIdOf(l: ScannedLine, kind: Converted['kind'], nsLabel: string | undefined): string {
  // Only filter and nat lines become resources; raw lines are Docker's, openings, or left alone.
  if (l.table === 'raw') throw new Error(`a raw line cannot be imported as a resource: ${l.spec}`)
  return formatImportId({
    kind,
    namespace: nsLabel === undefined ? 'host' : `container.${nsLabel}`,
    family: l.family,
    table: l.table,
    chain: l.chain,
    selector: l.duplicate ? {by: 'position', position: l.position + 1} : {by: 'text', spec: l.spec},
  })
}

const CHAIN_ORDER = {forward: 0, input: 1, output: 2} as const

/** The families dockwall writes in a namespace (src/plan/firewall.ts): IPv6 in a container only when it has an IPv6 address. */
function namespaceFamilies(actual: ActualModel, key: NamespaceKey): Family[] {
  if (key === 'host') return [...FAMILIES]
  const name = actual.namespaces.find((n) => n.key === key)?.container?.name
  const c = actual.docker.containers.find((x) => x.name === name)
  return c?.endpoints.some((e) => e.ipv6Address) ? [...FAMILIES] : ['ipv4']
}

export function generateConfig(actual: ActualModel, opts: GenerateOptions = {}): GenerateResult {
  const docker = scanDocker(actual.docker)
  const hints = dockerHints(actual.docker)
  const explanations = [...docker.explanations]
  const warnings: string[] = []
  const used = new Map<string, string>()
  const useContainer = (label: string, why: string): void => {
    if (!used.has(label)) used.set(label, why)
  }
  // ---- rules, namespace by namespace
  const {scans, extraContainers} = scanNamespaces(actual, docker.containers, hints)
  for (const u of actual.unreadable)
    explanations.push(`${u.key}: not scanned, its namespace could not be read (${u.reason})`)

  const moved: Moved[] = []
  const unsupported: LeftRule[] = []
  const covered: CoveredEntry[] = []
  const pendingAccepts: Array<{
    line: ScannedLine
    accept: Extract<ScannedLine['fate'], {kind: 'covered'}>['conversion']
  }> = []
  let dockerCount = 0
  let dockwallCount = 0
  const firewallCovered: ScannedLine[] = []
  // Left rules are reported in the order they were scanned, whatever decided their fate.
  const scanned = new Map<ScannedLine, number>()
  const leftAt = new Map<LeftRule, number>()
  const leave = (line: ScannedLine, reason: string): void => {
    const entry = {...entryOf(line), reason}
    leftAt.set(entry, scanned.get(line)!)
    unsupported.push(entry)
  }
  for (const {nsLabel, scan} of scans) {
    for (const line of scan.lines) {
      scanned.set(line, scanned.size)
      const f = line.fate
      if (f.kind === 'move')
        moved.push({line, conversion: f.conversion, item: f.item, ...(nsLabel !== undefined ? {nsLabel} : {})})
      else if (f.kind === 'kept') leave(line, f.reason)
      else if (f.kind === 'owned') {
        if (f.owner === 'docker') dockerCount++
        else dockwallCount++
      } else if (f.conversion.by === 'firewall') firewallCovered.push(line)
      else pendingAccepts.push({line, accept: f.conversion})
    }
  }
  // dockwall writes its RELATED,ESTABLISHED accept only when its host forward chain has content.
  const isHostForward = (m: Moved): boolean =>
    m.line.namespace === 'host' &&
    ((m.conversion.kind === 'rule' && m.conversion.chain === 'forward') ||
      (m.conversion.kind === 'port_forward' && m.conversion.to !== undefined))
  // Per family: dockwall's IPv4 and IPv6 forward chains are separate.
  const forwardContent = (family: Family): boolean => moved.some((m) => isHostForward(m) && m.line.family === family)
  for (const line of firewallCovered) {
    if (forwardContent(line.family)) covered.push({...entryOf(line), by: 'firewall'})
    else
      leave(
        line,
        'dockwall writes its RELATED,ESTABLISHED accept only when its forward chain has rules, and none are imported; this one stays',
      )
  }

  // ---- blocks for the moved rules, in a stable order: namespace, resource type, evaluation order
  const nsRank = new Map(scans.map((s, i) => [s.key, i]))
  const typeRank = (c: Converted): number =>
    c.kind === 'rule' ? CHAIN_ORDER[c.chain] : c.kind === 'port_forward' ? 3 : 4
  moved.sort(
    (a, b) =>
      nsRank.get(a.line.namespace)! - nsRank.get(b.line.namespace)! ||
      FAMILIES.indexOf(a.line.family) - FAMILIES.indexOf(b.line.family) ||
      typeRank(a.conversion) - typeRank(b.conversion) ||
      a.item.index - b.item.index,
  )
  const {resources, imports} = blocksFor(moved, actual, docker.index, useContainer, explanations)

  // ---- accepts that belong to an imported resource: a raw opening to its forward rule, a DNAT accept to its port forward
  // (Raw openings first, then DNAT accepts: the order the covered list has always had.)
  for (const kind of ['raw_opening', 'port_forward'] as const)
    for (const {line, accept} of pendingAccepts) {
      if (accept.by !== kind) continue
      const owner = acceptOwner(line, accept, resources)
      if (owner.address !== undefined) covered.push({...entryOf(line), by: owner.address})
      else leave(line, owner.reason)
    }

  unsupported.sort((a, b) => leftAt.get(a)! - leftAt.get(b)!)

  // ---- order and behaviour
  const passed = reorderIndex(scans)
  for (const r of resources) explainReorder(r, passed, explanations)
  warnings.push(...forwardOrderWarnings(scans, resources, hints, forwardContent))
  explanations.push(...containerForwardNotes(resources))

  // ---- Docker blocks (after the rules: references decide which containers are needed)
  const {networkBlocks, containerBlocks} = dockerBlocks(docker, used, extraContainers, explanations)

  const allImports = [
    ...networkBlocks.flatMap((b) => b.imports),
    ...containerBlocks.flatMap((b) => b.imports),
    ...imports,
  ]
  const items: HclItem[] = [
    ...networkBlocks.map((b) => b.block),
    ...containerBlocks.map((b) => b.block),
    ...resources.map((r) => r.built.block),
    ...allImports.map((imp, i) =>
      importBlock(
        imp,
        i === 0 ? ['Imports: the first plan adopts these objects instead of creating them.'] : undefined,
      ),
    ),
  ]
  const header = headerLines(
    actual,
    opts,
    {
      networks: networkBlocks.length,
      containers: containerBlocks.length,
      resources: resources.length,
      docker: dockerCount,
      dockwall: dockwallCount,
      unsupported: unsupported.length,
      covered: covered.length,
    },
    warnings,
  )
  const trailer = [
    ...(covered.length === 0 ? [] : coveredComment(covered)),
    ...(unsupported.length === 0 ? [] : leftOutComment(unsupported)),
  ]
  let hcl = writeHcl({header, items})
  if (trailer.length > 0) hcl += `\n${trailer.join('\n')}\n`
  return {hcl, imports: allImports, unsupported, covered, explanations, warnings}
}

type DockerBlocks = Record<'networkBlocks' | 'containerBlocks', Array<{block: HclBlock; imports: ImportEntry[]}>>

/** Networks, and the containers that have a static address or that the rules need. */
function dockerBlocks(
  docker: ReturnType<typeof scanDocker>,
  used: ReadonlyMap<string, string>,
  extra: ReadonlyMap<string, string>,
  explanations: string[],
): DockerBlocks {
  const networkBlocks = docker.networks.map((n) => {
    const b = networkBlock(n)
    explanations.push(`Docker network ${n.net.name} → network.${n.label}`)
    return {block: b.block, imports: [{to: `network.${n.label}`, id: b.importId}]}
  })
  const containers: Array<{k: KnownContainerFull; why: string}> = []
  for (const k of docker.containers) {
    if (k.hasStatic) containers.push({k, why: 'static address'})
    else if (used.has(k.label)) containers.push({k, why: used.get(k.label)!})
  }
  const containerBlocks = containers.map(({k, why}) => {
    const b = containerBlock(
      k,
      k.hasStatic,
      why === 'static address'
        ? 'it has a static address; its attachments are imported'
        : `${why} (its addresses are dynamic, so no attachment is declared)`,
    )
    explanations.push(`Docker container ${k.container.name} → container.${k.label} (${why})`)
    return b
  })
  for (const [label, name] of extra) {
    if (!used.has(label)) continue
    containerBlocks.push({
      block: block('container', [label], label === name ? [] : [attribute('name', name)], [
        `Docker container ${name}: its namespace was read but Docker did not list it`,
      ]),
      imports: [],
    })
  }
  return {networkBlocks, containerBlocks}
}

function importBlock(imp: ImportEntry, comments?: readonly string[]): HclBlock {
  return block('import', [], [attribute('to', ref(imp.to)), attribute('id', imp.id)], comments)
}

/** For every moved item, the question passedByMove answers in its root's sequence. */
function reorderIndex(
  scans: ReadonlyArray<{key: NamespaceKey; scan: NamespaceScan}>,
): Map<Item, () => {count: number; first?: Item}> {
  const out = new Map<Item, () => {count: number; first?: Item}>()
  for (const {scan} of scans)
    for (const root of scan.roots) {
      if (!root.seq || !root.decision) continue
      const passed = passedByMove(root.seq, root.decision)
      for (const item of root.decision.moving) out.set(item, () => passed(item))
    }
  return out
}

/** Rules that stay behind dockwall's chain but used to come first (or the reverse): no verdict changes, but a reader should know. */
function explainReorder(
  r: {built: BuiltBlock; m: Moved},
  passed: ReadonlyMap<Item, () => {count: number; first?: Item}>,
  out: string[],
): void {
  const found = passed.get(r.m.item)?.()
  if (!found?.first) return
  const first = found.first
  const dir = first.index < r.m.item.index ? 'before' : 'after'
  out.push(
    `${r.built.address}: now evaluated ${dir} ${found.count} rule(s) that stay in place (first: ${describeItem(first)}); they cannot match the same packets or decide them the same way, so no verdict changes`,
  )
}

/** Warnings about the firewall block's RELATED,ESTABLISHED accept, which dockwall puts first in its forward chain. */
function establishedWarnings(
  seq: Sequence,
  moving: ReadonlySet<Item>,
  hints: ReturnType<typeof dockerHints>,
): string[] {
  const out: string[] = []
  const affected = establishedChanges(seq, moving, ESTABLISHED_COND)
  const dockers = affected.filter((i) => ownerOf(i.rule, hints)?.owner === 'docker')
  for (const i of affected) {
    if (dockers.includes(i)) continue
    out.push(
      `${describeItem(i)}: replies and related packets it ${i.outcome.kind === 'decides' ? `used to ${i.outcome.target.split(' ')[0]!.toLowerCase()}` : 'may have stopped'} are accepted first once dockwall's forward chain starts with its RELATED,ESTABLISHED accept`,
    )
  }
  if (dockers.length > 0) {
    out.push(
      `Docker's own rules (${dockers.length}, e.g. ${describeItem(dockers[0]!)}) used to drop replies of connections that were accepted in one direction only (for example across two networks); dockwall's RELATED,ESTABLISHED accept now lets those replies through`,
    )
  }
  if (policyDropsEstablished(seq, ESTABLISHED_COND)) {
    out.push(
      `${seq.root}'s policy is ${seq.policy} and no rule accepted every reply: replies that reached the policy (connections accepted one way only) are now accepted by dockwall's RELATED,ESTABLISHED accept`,
    )
  }
  return out
}

function hostCidr(ip: string): NonNullable<Cond['dst']> {
  return parseNet(`${ip}${addressFamily(ip) === 'ipv4' ? '/32' : '/128'}`)!
}

const ACCEPT_RULE: Rule = {
  table: 'filter',
  chain: 'DOCKWALL-FORWARD',
  matches: [],
  target: {kind: 'jump', name: 'ACCEPT', options: []},
  key: '',
}

/** Warnings about the accept each port_forward brings: it changes nothing only if the forwarded traffic was accepted before. */
function portForwardWarnings(
  root: ScannedRoot,
  resources: ReadonlyArray<{built: BuiltBlock; m: Moved; priority?: number}>,
  pfs: ReadonlyArray<{built: BuiltBlock; m: Moved}>,
): string[] {
  const seq = root.seq!
  const moving = root.decision!.moving
  const out: string[] = []
  const rules = resources.filter(
    (r) =>
      r.m.line.namespace === 'host' &&
      r.m.line.family === root.family &&
      r.m.conversion.kind === 'rule' &&
      r.m.conversion.chain === 'forward',
  )
  const accepts: Item[] = pfs.map((p) => {
    const c = p.m.conversion as ConvertedPortForward
    const cond: Cond = {
      dst: hostCidr(c.to!),
      proto: c.proto,
      dports: [{from: c.toPort, to: c.toPort}],
      ...(c.inInterface ? {inIf: c.inInterface} : {}),
      ...(c.source ? {src: parseNet(c.source)!} : {}),
      partial: false,
    }
    return {
      index: -1,
      chain: 'DOCKWALL-FORWARD',
      position: -1,
      rule: ACCEPT_RULE,
      cond,
      outcome: {kind: 'decides', target: 'ACCEPT'},
      frames: [],
      dead: false,
    }
  })
  // The order src/plan/firewall.ts gives: by priority, port forwards (100) before rules of equal priority.
  const block = [
    ...rules.filter((r) => r.priority! < PORT_FORWARD_PRIORITY).map((r) => r.m.item),
    ...accepts,
    ...rules.filter((r) => r.priority! >= PORT_FORWARD_PRIORITY).map((r) => r.m.item),
  ]
  const after = newOrder(seq, moving, block)
  pfs.forEach((p, i) => {
    const cls: Cond = {...accepts[i]!.cond, states: new Set(['NEW']), dnat: true}
    const before = firstMatch(seq.items, cls, seq.policy, 'ACCEPT')
    const now = firstMatch(after, cls, seq.policy, 'ACCEPT')
    if (before.kind === 'decided' && now.kind === 'decided' && before.target === now.target) return
    const c = p.m.conversion as ConvertedPortForward
    const what = `${p.built.address}: dockwall accepts the forwarded traffic (to ${c.to}:${c.toPort}) in its forward chain`
    if (before.kind === 'decided')
      out.push(`${what}; before import ${describeItem(before.item!)} decided it (${before.target})`)
    else if (before.kind === 'uncertain')
      out.push(
        `${what}; before import it was not certainly accepted (the first rule that may match it: ${describeItem(before.item)})`,
      )
    else
      out.push(`${what}; before import no rule accepted it, ${seq.root}'s policy (${before.policy ?? 'none'}) decided`)
  })
  return out
}

interface Counts {
  networks: number
  containers: number
  resources: number
  docker: number
  dockwall: number
  unsupported: number
  covered: number
}

function headerLines(actual: ActualModel, opts: GenerateOptions, n: Counts, warnings: readonly string[]): string[] {
  const when = opts.scannedAt ? ` on ${opts.scannedAt.toISOString()}` : ''
  const host = actual.namespaces.find((x) => x.key === 'host')
  const inside = actual.namespaces.filter((x) => x.key !== 'host').map((x) => x.container?.name ?? x.key)
  const lines = [
    `Generated by \`${opts.command ?? 'dockwall import --all'}\`${when}.`,
    `Docker ${actual.docker.engine.version || '(version unknown)'}${host ? `, iptables backend ${host.backend}` : ''}.`,
    '',
    'Scanned:',
    `- Docker networks other than bridge, host and none (${n.networks} described), and containers (${n.containers} described):`,
    '  those with a static address get their attachments imported; those a rule refers to are declared by name only.',
    `- iptables filter ${SCANNED_CHAINS.filter.join(', ')}, nat ${SCANNED_CHAINS.nat.join(', ')} and raw ${SCANNED_CHAINS.raw.join(', ')} on the host${inside.length > 0 ? ` and inside ${inside.join(', ')}` : ''}; chains they jump to are read to know the evaluation order.`,
    '- the same chains of ip6tables on the host and inside containers with an IPv6 address; their rules get family = "ipv6".',
    '',
    'Left out:',
    `- Docker's own rules (${n.docker}): its chains, jumps to them, the lines it writes for each bridge and its raw drops. Docker recreates them.`,
    ...(n.dockwall > 0 ? [`- dockwall's own rules (${n.dockwall}).`] : []),
    ...(n.covered > 0
      ? [
          `- ${n.covered} rule(s) covered by what dockwall writes anyway (its RELATED,ESTABLISHED accept, a port forward's accept, a rule's raw opening).`,
        ]
      : []),
    n.unsupported > 0
      ? `- ${n.unsupported} rule(s) that stay where they are, listed at the end of this file with the reason.`
      : '- nothing else: every rule of those chains is described below.',
    '',
    `Rules (${n.resources} resources): labels are [CONTAINER_]CHAIN_N[_FROM][_to_TO][_PROTOPORTS][_ACTION] for rules,`,
    '[CONTAINER_]IFACE_PROTOPORT_to_TARGET for port forwards and masq_SOURCE[_to_DEST][_OUTIF] for masquerades.',
    `Priorities ${PRIORITY_STEP}, ${2 * PRIORITY_STEP}, ${3 * PRIORITY_STEP}… keep the order the rules were evaluated in (FORWARD and DOCKER-USER together).`,
    "dockwall's forward chain is jumped to from the top of DOCKER-USER: a rule that could decide differently once moved there stays in place.",
    'Addresses are written as container.X or network.X where that means exactly the same addresses.',
    'Import IDs: [container.LABEL/][TABLE:]CHAIN:RULE-TEXT (or CHAIN:#N for a rule whose text repeats), CONTAINER/NETWORK, NETWORK.',
  ]
  if (warnings.length > 0) {
    lines.push('', 'After apply, traffic changes here (review before applying):', ...warnings.map((w) => `- ${w}`))
  }
  return lines
}

function coveredComment(covered: readonly CoveredEntry[]): string[] {
  const lines = [
    '# Rules covered by what dockwall writes (they stay in place; with the configuration applied, removing them changes nothing):',
  ]
  for (const c of covered)
    lines.push(
      `#   ${c.namespace} ${tableName(c)}: ${c.line}`,
      `#     covered by ${c.by === 'firewall' ? "the firewall block's RELATED,ESTABLISHED accept" : c.table === 'raw' ? `the raw opening ${c.by} brings` : `the accept ${c.by} brings`}`,
    )
  return lines
}

function leftOutComment(left: readonly LeftRule[]): string[] {
  const lines = ['# Rules left where they are (not imported):']
  for (const l of left) {
    lines.push(`#   ${l.namespace} ${tableName(l)}: ${l.line}`, `#     ${l.reason}`)
  }
  return lines
}

type PendingAccept = Extract<ScannedLine['fate'], {kind: 'covered'}>['conversion']

/**
 * The imported resource an accept belongs to: a raw ACCEPT operators wrote for Docker 28
 * opens the way for a forward accept rule; a conntrack DNAT accept is part of a port
 * forward. Without one, why the line stays.
 */
function acceptOwner(
  line: ScannedLine,
  accept: PendingAccept,
  resources: ReadonlyArray<{built: BuiltBlock; m: Moved}>,
): {address: string; reason?: undefined} | {address?: undefined; reason: string} {
  const here = (m: Moved): boolean => m.line.namespace === line.namespace && m.line.family === line.family
  if (accept.by === 'raw_opening') {
    const o = accept.opening
    const rule = resources.find(({m}) => {
      const c = m.conversion
      return (
        here(m) &&
        c.kind === 'rule' &&
        c.chain === 'forward' &&
        c.action === 'accept' &&
        c.source === o.source &&
        c.destination === o.destination &&
        c.inInterface === o.inInterface &&
        c.proto === o.proto &&
        JSON.stringify(c.ports) === JSON.stringify(o.ports)
      )
    })
    return rule
      ? {address: rule.built.address}
      : {
          reason:
            'a raw ACCEPT with no imported forward accept it opens the way for is not modelled (dockwall writes raw openings only for its forward rules)',
        }
  }
  if (accept.by === 'port_forward') {
    const a = accept.accept
    const pf = resources.find(({m}) => {
      const c = m.conversion
      return (
        here(m) &&
        c.kind === 'port_forward' &&
        c.to !== undefined &&
        `${c.to}${line.family === 'ipv4' ? '/32' : '/128'}` === a.destination &&
        c.proto === a.proto &&
        c.toPort === a.port &&
        c.inInterface === a.inInterface &&
        c.source === a.source
      )
    })
    return pf
      ? {address: pf.built.address}
      : {
          reason:
            'a conntrack DNAT accept with no imported port forward it belongs to is not modelled (dockwall writes such an accept only as part of a port_forward)',
        }
  }
  return {reason: `an accept covered by ${accept.by} is not modelled`}
}

/** One block per moved line (rules numbered per namespace, family and chain, priorities spaced), with its import entry. */
function blocksFor(
  moved: readonly Moved[],
  actual: ActualModel,
  index: BlockContext['index'],
  useContainer: BlockContext['useContainer'],
  explanations: string[],
): {resources: Array<{built: BuiltBlock; m: Moved; priority?: number}>; imports: ImportEntry[]} {
  const allocs = {rule: new LabelAllocator(), port_forward: new LabelAllocator(), masquerade: new LabelAllocator()}
  const counters = new Map<string, number>()
  const resources: Array<{built: BuiltBlock; m: Moved; priority?: number}> = []
  const imports: ImportEntry[] = []
  for (const m of moved) {
    const ctx: BlockContext = {
      index,
      family: m.line.family,
      namespaceFamilies: namespaceFamilies(actual, m.line.namespace),
      ...(m.nsLabel !== undefined ? {inContainer: m.nsLabel} : {}),
      useContainer,
    }
    if (m.nsLabel !== undefined) useContainer(m.nsLabel, 'rules in its namespace are imported')
    const c = m.conversion
    let built: BuiltBlock
    let priority: number | undefined
    if (c.kind === 'rule') {
      const key = `${m.line.namespace}|${m.line.family}|${c.chain}`
      const n = (counters.get(key) ?? 0) + 1
      counters.set(key, n)
      priority = n * PRIORITY_STEP
      built = ruleBlock(c, n, priority, ctx, allocs.rule)
    } else if (c.kind === 'port_forward') built = portForwardBlock(c, ctx, allocs.port_forward)
    else built = masqueradeBlock(c, ctx, allocs.masquerade)
    const comments = [`from ${where(m.line)}`, ...built.notes]
    resources.push({
      built: {...built, block: {...built.block, comments}},
      m,
      ...(priority !== undefined ? {priority} : {}),
    })
    imports.push({to: built.address, id: importIdOf(m.line, c.kind, m.nsLabel)})
    explanations.push(`${where(m.line)} → ${built.address}${priority !== undefined ? ` (priority ${priority})` : ''}`)
  }
  return {resources, imports}
}

/** Per family, where the host's forward chain gets dockwall's content: what the move changes for established traffic and port forwards. */
function forwardOrderWarnings(
  scans: ReadonlyArray<{key: NamespaceKey; scan: NamespaceScan}>,
  resources: ReadonlyArray<{built: BuiltBlock; m: Moved; priority?: number}>,
  hints: ReturnType<typeof dockerHints>,
  forwardContent: (family: Family) => boolean,
): string[] {
  const out: string[] = []
  for (const family of FAMILIES) {
    const hostForward = scans
      .find((s) => s.key === 'host')
      ?.scan.roots.find((r) => r.family === family && r.table === 'filter' && r.root === 'FORWARD')
    const hostPfs = resources.filter(
      (r) =>
        r.m.line.namespace === 'host' &&
        r.m.line.family === family &&
        r.m.conversion.kind === 'port_forward' &&
        r.m.conversion.to !== undefined,
    )
    if (hostForward?.seq && hostForward.decision && forwardContent(family)) {
      for (const w of establishedWarnings(hostForward.seq, hostForward.decision.moving, hints)) out.push(w)
      for (const w of portForwardWarnings(hostForward, resources, hostPfs)) out.push(w)
    }
  }
  return out
}

/** A port forward inside a container: dockwall also writes its accept in that container's forward chain. */
function containerForwardNotes(resources: ReadonlyArray<{built: BuiltBlock; m: Moved}>): string[] {
  const out: string[] = []
  for (const r of resources) {
    const c = r.m.conversion
    if (r.m.line.namespace !== 'host' && c.kind === 'port_forward' && c.to !== undefined) {
      out.push(
        `${r.built.address}: dockwall also writes an accept for the forwarded traffic in the container's own forward chain (it matters only if the container routes it)`,
      )
    }
  }
  return out
}

/**
 * Every namespace's lines scanned, each container namespace with the label of its
 * container block; containers the snapshot lacks get a label of their own (label →
 * Docker name in extraContainers).
 */
function scanNamespaces(
  actual: ActualModel,
  containers: ReturnType<typeof scanDocker>['containers'],
  hints: ReturnType<typeof dockerHints>,
): {scans: Array<{key: NamespaceKey; nsLabel?: string; scan: NamespaceScan}>; extraContainers: Map<string, string>} {
  const byName = new Map(containers.map((k) => [k.container.name, k]))
  const extraContainers = new Map<string, string>()
  const scans: Array<{key: NamespaceKey; nsLabel?: string; scan: NamespaceScan}> = []
  for (const ns of actual.namespaces) {
    let nsLabel: string | undefined
    if (ns.key !== 'host') {
      const name = ns.container?.name ?? ns.key.slice('container.'.length)
      nsLabel = byName.get(name)?.label
      if (nsLabel === undefined) {
        nsLabel = sanitizeLabel(name)
        extraContainers.set(nsLabel, name)
      }
    }
    scans.push({key: ns.key, ...(nsLabel !== undefined ? {nsLabel} : {}), scan: scanNamespace(ns, hints)})
  }
  return {scans, extraContainers}
}
