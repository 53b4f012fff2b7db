// Scans one namespace's rules for import: every line of the chains import looks at
// (filter FORWARD, DOCKER-USER, INPUT, OUTPUT; nat PREROUTING, POSTROUTING; raw PREROUTING) gets a
// fate: moved into dockwall's chain as a resource, left alone because Docker or
// dockwall owns it, covered by what dockwall writes anyway, or kept where it is with a
// reason (not expressible, or moving it would change the order it is evaluated in).
import {IptablesParseError, parseRule, type Rule} from '../netfilter/index.js'
import type {FirewallTable, NamespaceKey} from '../model/resources.js'
import {FAMILIES, type Family} from '../model/types.js'
import {familyTables, type ActualNamespace, type ActualTable, type ActualTables} from '../refresh/types.js'
import {type ChainRules, type Decision, expand, type Item, type Sequence, decideMoves} from './order.js'
import type {DockerHints} from './owners.js'
import {
  type ConvertedMasquerade,
  type ConvertedPortForward,
  type ConvertedRule,
  type CoveredRule,
  convertRule,
} from './rule-convert.js'

export type Converted = ConvertedRule | ConvertedPortForward | ConvertedMasquerade

export interface ScannedLine {
  namespace: NamespaceKey
  family: Family
  table: FirewallTable
  chain: string
  /** 0-based position in the chain. */
  position: number
  /** The rule's arguments after `-A CHAIN`, in normal form (as refresh read them). */
  spec: string
  /** True when another rule of the same chain has the same text (its import ID then uses the position). */
  duplicate: boolean
  fate:
    | {kind: 'move'; conversion: Converted; item: Item}
    | {kind: 'owned'; owner: 'docker' | 'dockwall'; reason: string}
    | {kind: 'covered'; conversion: CoveredRule}
    | {kind: 'kept'; reason: string}
}

export interface ScannedRoot {
  namespace: NamespaceKey
  family: Family
  table: FirewallTable
  root: string
  /** Undefined when the chains could not be parsed (every line is then kept). */
  seq?: Sequence
  decision?: Decision
}

export interface NamespaceScan {
  lines: ScannedLine[]
  roots: ScannedRoot[]
}

interface RootSpec {
  table: FirewallTable
  root: string
  /** Chains whose rules are import candidates. */
  chains: readonly string[]
}

const ROOTS: readonly RootSpec[] = [
  {table: 'filter', root: 'FORWARD', chains: ['FORWARD', 'DOCKER-USER']},
  {table: 'filter', root: 'INPUT', chains: ['INPUT']},
  {table: 'filter', root: 'OUTPUT', chains: ['OUTPUT']},
  {table: 'nat', root: 'PREROUTING', chains: ['PREROUTING']},
  {table: 'nat', root: 'POSTROUTING', chains: ['POSTROUTING']},
  // Docker 28's direct-access drops, and the ACCEPTs operators put before them.
  {table: 'raw', root: 'PREROUTING', chains: ['PREROUTING']},
]

/** The chains this scan reads, by table, for the header of generated files. */
export const SCANNED_CHAINS = {
  filter: ['FORWARD', 'DOCKER-USER', 'INPUT', 'OUTPUT'],
  nat: ['PREROUTING', 'POSTROUTING'],
  raw: ['PREROUTING'],
} as const

/**
 * A rule's arguments. refresh (toActualTables) derives them from the rule's key by
 * cutting `TABLE -A CHAIN `; a rule without arguments (`-A CUSTOM`, a counter) has no
 * trailing space there and comes back as the whole key, so cut that too.
 */
function argsOf(spec: string, table: string, chain: string): string {
  return spec === `${table} -A ${chain}` ? '' : spec
}

function parseTable(table: ActualTable, family: Family): Map<string, ChainRules> | {error: string} {
  const out = new Map<string, ChainRules>()
  for (const chain of table.chains) {
    const rules: Rule[] = []
    for (const [i, r] of chain.rules.entries()) {
      try {
        rules.push(parseRule(`-A ${chain.name} ${argsOf(r.spec, table.name, chain.name)}`, table.name, {family}))
      } catch (e) {
        if (e instanceof IptablesParseError)
          return {error: `rule #${i + 1} of ${chain.name} cannot be read (${e.message})`}
        throw e
      }
    }
    out.set(chain.name, {policy: chain.policy, rules})
  }
  return out
}

const isDockwall = (r: Rule): boolean =>
  r.chain.startsWith('DOCKWALL-') ||
  (r.target?.name.startsWith('DOCKWALL-') ?? false) ||
  (r.comment?.startsWith('dockwall:') ?? false)

/** Scans the namespace's iptables, then its ip6tables when refresh read them. */
export function scanNamespace(ns: ActualNamespace, docker: DockerHints): NamespaceScan {
  const out: NamespaceScan = {lines: [], roots: []}
  for (const family of FAMILIES) {
    const tables = familyTables(ns, family)
    if (!tables) continue
    const one = scanFamily(ns, family, tables, docker)
    out.lines.push(...one.lines)
    out.roots.push(...one.roots)
  }
  return out
}

function scanFamily(ns: ActualNamespace, family: Family, tables: ActualTables, docker: DockerHints): NamespaceScan {
  const lines: ScannedLine[] = []
  const roots: ScannedRoot[] = []
  const parsed = new Map<string, Map<string, ChainRules> | {error: string}>()
  for (const spec of ROOTS) {
    const tableName = spec.table
    const table = tables[tableName]
    if (!table) continue
    if (!parsed.has(spec.table)) parsed.set(spec.table, parseTable(table, family))
    const chains = parsed.get(spec.table)!
    const present = spec.chains.filter((c) => table.chains.some((t) => t.name === c))
    if (present.length === 0) continue
    const base = (chain: string, position: number, spec: string, dup: boolean): Omit<ScannedLine, 'fate'> => ({
      namespace: ns.key,
      family,
      table: tableName,
      chain,
      position,
      spec,
      duplicate: dup,
    })
    const rawLines = present.flatMap((chain) => {
      const rules = table.chains.find((c) => c.name === chain)!.rules
      const times = new Map<string, number>()
      for (const r of rules) times.set(r.spec, (times.get(r.spec) ?? 0) + 1)
      return rules.map((r, position) => ({
        chain,
        position,
        spec: argsOf(r.spec, table.name, chain),
        dup: times.get(r.spec)! > 1,
      }))
    })
    if ('error' in chains) {
      for (const l of rawLines)
        lines.push({
          ...base(l.chain, l.position, l.spec, l.dup),
          fate: {kind: 'kept', reason: `the ${table.name} table could not be read completely: ${chains.error}`},
        })
      roots.push({namespace: ns.key, family, table: spec.table, root: spec.root})
      continue
    }
    const jumpFrom = spec.root === 'FORWARD' && chains.has('DOCKER-USER') ? 'DOCKER-USER' : spec.root
    const seq = expand(chains, spec.root, jumpFrom, isDockwall)
    // Where each rule appears in the expanded order (a chain jumped to twice appears twice).
    const itemsAt = new Map<string, Item[]>()
    for (const i of seq.items) {
      const key = `${i.chain}#${i.position}`
      const list = itemsAt.get(key)
      if (list) list.push(i)
      else itemsAt.set(key, [i])
    }
    const pending: Array<{line: Omit<ScannedLine, 'fate'>; conversion: Converted; item: Item}> = []
    const head = new Set<Item>()
    const fated: ScannedLine[] = []
    for (const l of rawLines) {
      const rule = chains.get(l.chain)!.rules[l.position]!
      const line = base(l.chain, l.position, l.spec, l.dup)
      const c = convertRule(rule, {namespace: ns.key, family, docker})
      if (c.kind === 'owned') fated.push({...line, fate: {kind: 'owned', owner: c.owner, reason: c.reason}})
      else if (c.kind === 'covered') {
        fated.push({...line, fate: {kind: 'covered', conversion: c}})
        if (c.by === 'firewall') for (const i of itemsAt.get(`${l.chain}#${l.position}`) ?? []) head.add(i)
      } else if (c.kind === 'unsupported') fated.push({...line, fate: {kind: 'kept', reason: c.reason}})
      else {
        const items = itemsAt.get(`${l.chain}#${l.position}`) ?? []
        if (items.length === 1) pending.push({line, conversion: c, item: items[0]!})
        else if (items.length === 0)
          fated.push({
            ...line,
            fate: {kind: 'kept', reason: `it is never evaluated: ${l.chain} is not reached from ${spec.root}`},
          })
        else
          fated.push({
            ...line,
            fate: {
              kind: 'kept',
              reason: `${l.chain} is reached from ${items.length} places, so the rule has no single place in the order`,
            },
          })
      }
    }
    const decision = decideMoves(seq, new Set(pending.map((p) => p.item)), head)
    for (const p of pending) {
      const k = decision.kept.get(p.item)
      if (!k) fated.push({...p.line, fate: {kind: 'move', conversion: p.conversion, item: p.item}})
      else {
        const other =
          k.because === p.item
            ? ''
            : ` (kept because of ${k.because.chain} #${k.because.position + 1}: ${table.chains.find((c) => c.name === k.because.chain)?.rules[k.because.position]?.spec ?? '?'})`
        fated.push({
          ...p.line,
          fate: {
            kind: 'kept',
            reason: `moving it into dockwall's chain would change the order it is evaluated in: ${k.why}${other}`,
          },
        })
      }
    }
    const order = new Map(rawLines.map((l, i) => [`${l.chain}#${l.position}`, i]))
    fated.sort((a, b) => order.get(`${a.chain}#${a.position}`)! - order.get(`${b.chain}#${b.position}`)!)
    for (const f of fated) lines.push(f)
    roots.push({namespace: ns.key, family, table: spec.table, root: spec.root, seq, decision})
  }
  return {lines, roots}
}
