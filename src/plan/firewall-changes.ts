// Planning the iptables side. Per resource: compare the lines it should own with
// the lines carrying its `dockwall:<address>` comment. Per owned chain: compute the
// complete content (dockwall rewrites its chains whole, or edits a long one in place where
// few of its lines change), the jump, and the
// `iptables-restore --noflush` transaction for each (namespace, table).
import {FAMILIES, type Backend, type Family} from '../model/types.js'
import {familyTables, type ActualNamespace} from '../refresh/types.js'
import {chainKey, isOwnedChain, jumpSource, type ActualIndex, type IndexedLine, type JumpInfo} from './actual-index.js'
import {
  compareLines,
  JUMP_COMMENT,
  quoteComment,
  type DesiredLine,
  type OwnedChain,
  type RenderedResource,
} from './firewall.js'
import {reasonText, type ReasonCode} from './reasons.js'
import {
  FIREWALL_TABLES,
  sameRuleLine,
  type Attributes,
  type FirewallTable,
  type NamespaceKey,
  type ResourceType,
  type RuleLine,
  type StateResource,
} from '../model/resources.js'
import type {Change, Drift, FirewallTransaction} from './types.js'

/** Brings a rule spec of a family to iptables-save's normal form (src/netfilter). */
export type Normalize = (spec: string, family: Family) => string

export interface FirewallPlanInput {
  rendered: readonly RenderedResource[]
  /** Config-level attributes per address, shown as before/after. */
  attributes: ReadonlyMap<string, Attributes>
  index: ActualIndex
  prior: ReadonlyMap<string, StateResource>
  normalize: Normalize
  /** Addresses the user targeted (with their dependencies); null = everything. */
  targeted: ((address: string) => boolean) | null
  /** Foreign chains Docker will insert rules at the top of during this apply (nat POSTROUTING when it creates a network). */
  dockerInserts?: ReadonlySet<string>
  /** Why a managed rule the plan does not want is removed (not configured, or destroy). */
  removal: ReasonCode
}

export interface FirewallPlan {
  changes: Change[]
  drift: Drift[]
  transactions: FirewallTransaction[]
}

function foreignLinePresent(index: ActualIndex, l: RuleLine, norm: Normalize): boolean {
  const chain = familyTables(index.namespaces.get(l.namespace), l.family)?.[l.table]?.chains.find(
    (c) => c.name === l.chain,
  )
  const want = norm(l.spec, l.family)
  return chain?.rules.some((r) => norm(r.spec, l.family) === want) ?? false
}

const RULE_TYPES: ReadonlyArray<[string, ResourceType]> = [
  ['rule.', 'rule'],
  ['port_forward.', 'port_forward'],
  ['masquerade.', 'masquerade'],
]

export function ruleTypeOf(address: string): ResourceType | undefined {
  if (address === 'firewall') return 'firewall'
  return RULE_TYPES.find(([prefix]) => address.startsWith(prefix))?.[1]
}

/**
 * The address of an owned chain: `chain["host:DOCKWALL-FORWARD"]`. filter and nat chains
 * have distinct names and keep the short form; the raw table's DOCKWALL-PREROUTING shares
 * its name with nat's, so the table is part of its address (`chain["host:raw:…"]`); an
 * ip6tables chain says its family first (`chain["host:ipv6:DOCKWALL-INPUT"]`,
 * `chain["host:ipv6:raw:DOCKWALL-PREROUTING"]`).
 */
export function chainAddress(namespace: NamespaceKey, family: Family, table: FirewallTable, chain: string): string {
  const parts = [namespace, ...(family === 'ipv4' ? [] : [family]), ...(table === 'raw' ? ['raw'] : []), chain]
  return `chain["${parts.join(':')}"]`
}

function lineKey(l: RuleLine, norm: Normalize): string {
  return `${l.namespace}|${l.family}|${l.table}|${l.chain}|${norm(l.spec, l.family)}`
}

function sameLines(a: readonly RuleLine[], b: readonly RuleLine[], norm: Normalize): boolean {
  if (a.length !== b.length) return false
  // The same texts in the same order are the same lines in any form; only a difference needs the normal form.
  if (a.every((l, i) => sameRuleLine(l, b[i]!))) return true
  const ka = a.map((l) => lineKey(l, norm)).sort()
  const kb = b.map((l) => lineKey(l, norm)).sort()
  return ka.every((k, i) => k === kb[i])
}

function plain(l: RuleLine): RuleLine {
  return {namespace: l.namespace, family: l.family, table: l.table, chain: l.chain, spec: l.spec}
}

/** Display order: by namespace, family, table and chain, keeping each chain's own order. */
function sortLines(lines: RuleLine[]): RuleLine[] {
  const k = (l: RuleLine): string => `${l.namespace === 'host' ? '' : l.namespace}|${l.family}|${l.table}|${l.chain}`
  return lines
    .map((l, i) => ({l, i}))
    .sort((a, b) => (k(a.l) < k(b.l) ? -1 : k(a.l) > k(b.l) ? 1 : a.i - b.i))
    .map((x) => x.l)
}

function countDiff(before: readonly RuleLine[], after: readonly RuleLine[], norm: Normalize): string {
  const b = new Set(before.map((l) => lineKey(l, norm)))
  const a = new Set(after.map((l) => lineKey(l, norm)))
  const added = [...a].filter((k) => !b.has(k)).length
  const removed = [...b].filter((k) => !a.has(k)).length
  return [
    added ? `${added} line${added === 1 ? '' : 's'} to add` : '',
    removed ? `${removed} line${removed === 1 ? '' : 's'} to remove` : '',
  ]
    .filter(Boolean)
    .join(', ')
}

const WRITTEN_AS = /--comment "?dockwall:([^"\s]+)"?/

/**
 * The address a resource's recorded lines carry in their `dockwall:` comment when it is
 * not the resource's own: the resource moved in the state (`dockwall state mv`) after
 * they were written. Undefined when they carry its own address (or none: an imported
 * rule still in its foreign chain). Every line of a resource carries the same comment,
 * so the first one tells, and its own address is checked first (a substring test).
 */
export function writtenAs(r: Pick<StateResource, 'address' | 'lines' | 'pendingMove'>): string | undefined {
  const spec = r.lines?.[0]?.spec
  if (spec === undefined || r.pendingMove) return undefined
  if (spec.includes(`dockwall:${r.address}"`) || spec.includes(`dockwall:${r.address} `)) return undefined
  const old = WRITTEN_AS.exec(spec)?.[1]
  return old !== undefined && old !== r.address && ruleTypeOf(old) ? old : undefined
}

/** Per-resource changes for rule, port_forward, masquerade and firewall; `moves` are imported foreign lines to delete. */
function resourceChanges(input: FirewallPlanInput): {
  changes: Change[]
  drift: Drift[]
  effective: Map<string, DesiredLine[]>
  moves: RuleLine[]
  /** Lines on the host under an old address (the comment) that belong to a moved resource (the value). */
  claimedBy: Map<string, string>
} {
  const {index, prior, normalize: norm} = input
  const desired = new Map(input.rendered.map((r) => [r.address, r]))
  // A resource moved in the state owns the lines written under its old address: they are
  // its lines, to rewrite with its new address, not an orphan to delete and a rule to create.
  const claimedBy = new Map<string, string>()
  const movedFrom = new Map<string, string>()
  for (const p of prior.values()) {
    if (!ruleTypeOf(p.address)) continue
    const old = writtenAs(p)
    if (old !== undefined && !claimedBy.has(old)) {
      claimedBy.set(old, p.address)
      movedFrom.set(p.address, old)
    }
  }
  const linesOf = (address: string): IndexedLine[] => {
    const old = movedFrom.get(address)
    const own = claimedBy.has(address) ? [] : (index.byAddress.get(address) ?? [])
    return old === undefined ? own : [...own, ...(index.byAddress.get(old) ?? [])]
  }
  const addresses = new Set<string>([...desired.keys()])
  for (const a of index.byAddress.keys()) if (ruleTypeOf(a)) addresses.add(a)
  for (const p of prior.values()) if (ruleTypeOf(p.address)) addresses.add(p.address)

  const changes: Change[] = []
  const drift: Drift[] = []
  const moves: RuleLine[] = []
  const effective = new Map<string, DesiredLine[]>()
  for (const address of [...addresses].sort()) {
    const type = ruleTypeOf(address) as ResourceType
    const r = desired.get(address)
    const p0 = prior.get(address)
    const importing = p0?.pendingMove === true
    // An imported rule's prior lines are where it lives now, in a foreign chain: they move, they are not drift.
    const foreign = importing ? (p0?.lines ?? []).filter((l) => foreignLinePresent(index, l, norm)) : []
    if (importing && foreign.length === 0)
      drift.push({
        address,
        kind: 'deleted',
        summary: `the rule imported from ${p0?.lines?.[0]?.chain ?? 'a foreign chain'} is no longer there; it is created from the configuration`,
      })
    const p = importing ? undefined : p0
    const actual = linesOf(address).map(plain)
    const want = r?.lines ?? []
    const targeted = input.targeted === null || input.targeted(address)
    if (importing && targeted && r) for (const f of foreign) moves.push(f)

    if (p?.lines && p.lines.length > 0) {
      if (actual.length === 0)
        drift.push({
          address,
          kind: 'deleted',
          summary: `its ${p.lines.length} iptables line${p.lines.length === 1 ? ' was' : 's were'} removed outside dockwall (a firewall reload?)`,
        })
      else if (!sameLines(p.lines, actual, norm))
        drift.push({address, kind: 'changed', summary: 'its iptables lines were changed outside dockwall'})
    }

    // Lines the chain will hold for this address after apply.
    if (targeted) effective.set(address, want)
    else if (actual.length > 0) {
      const keep = linesOf(address).map((l, i) => ({
        ...plain(l),
        address,
        order: r?.lines[0]?.order ?? {group: 1, priority: Number.MAX_SAFE_INTEGER, index: i},
      }))
      effective.set(address, keep)
    }
    if (!targeted) continue

    const before = p?.attributes ?? (actual.length > 0 || foreign.length > 0 ? {} : null)
    const after = r ? (input.attributes.get(address) ?? {}) : null
    const base = {
      address,
      type,
      before,
      after,
      dependsOn: r?.dependsOn ?? [],
      lines: {before: sortLines([...foreign, ...actual]), after: sortLines(want.map(plain))},
      ...(importing ? {origin: 'imported' as const} : {}),
    }
    if (r?.deferred) {
      const reasons = [r.deferred]
      if (actual.length > 0) reasons.push(reasonText('removed-until-then'))
      changes.push({...base, action: 'deferred', reasons, ...(r.unwritable ? {unwritable: true as const} : {})})
    } else if (!r) {
      if (actual.length > 0) changes.push({...base, action: 'delete', reasons: [reasonText(input.removal)]})
      else if (p)
        changes.push({
          ...base,
          action: 'delete',
          reasons: [reasonText('already-gone')],
          forget: true as const,
        })
    } else if (want.length === 0 && actual.length === 0) {
      if (p)
        changes.push({
          ...base,
          action: 'delete',
          reasons: [reasonText('nothing-to-write')],
          forget: true as const,
        })
    } else if (actual.length === 0) {
      changes.push({...base, action: 'create', reasons: r.notes})
    } else if (want.length === 0) {
      changes.push({...base, action: 'delete', reasons: [reasonText('renders-nothing')]})
    } else if (sameLines(want, actual, norm)) {
      changes.push({...base, action: 'no-op', reasons: r.notes})
    } else {
      const old = movedFrom.get(address)
      const moved = old === undefined ? [] : [`moved in the state from ${old}: its lines' comments are rewritten`]
      changes.push({
        ...base,
        action: 'update',
        reasons: [...moved, countDiff(actual, want, norm), ...r.notes].filter(Boolean),
      })
    }
  }
  return {changes, drift, effective, moves, claimedBy}
}

interface ChainWork {
  namespace: NamespaceKey
  family: Family
  table: FirewallTable
  chain: OwnedChain
  /** null: the chain must not exist. */
  content: DesiredLine[] | null
  write: boolean
  jumpAdd?: {from: string; spec: string}
  jumpsRemove: JumpInfo[]
  remove: boolean
  change?: Change
  /** When `write`: the few lines to delete and insert in place of rewriting the chain whole. */
  edit?: ChainEdit
}

/**
 * A long chain's content changed in a few lines, or in none (a jump to restore): those lines
 * are deleted (by their text, so a rule that is no longer there fails the transaction instead
 * of another going) and inserted at their place, instead of the chain being declared (emptied)
 * and written whole. nft's restore of a chain rewrites each of its rules: changing one rule of
 * 20,000 took 1.1 s whole and 0.5 s in place (iptables-nft 1.8.9, 2 CPUs); short chains are
 * rewritten whole as before.
 */
interface ChainEdit {
  /** Position (1-based) of the first inserted line, after the deletes. */
  at: number
  remove: string[]
  insert: string[]
  /** The inserted lines go at the chain's end (`-A`, as `-I` one past the end is refused by some versions). */
  atEnd: boolean
}

/** Chains this long are edited in place when few of their lines change. */
export const EDIT_MIN_LINES = 256
/** At most this many lines deleted and inserted, and at most this share of the chain, for an edit. */
const EDIT_MAX_LINES = 256
const EDIT_MAX_SHARE = 0.05

function chainEdit(
  have: readonly IndexedLine[],
  want: readonly DesiredLine[],
  family: Family,
  norm: Normalize,
): ChainEdit | undefined {
  if (have.length < EDIT_MIN_LINES || want.length === 0) return undefined
  const same = (a: string, b: string): boolean => a === b || norm(a, family) === norm(b, family)
  const max = Math.min(have.length, want.length)
  let p = 0
  while (p < max && same(have[p]!.spec, want[p]!.spec)) p++
  let s = 0
  while (s < max - p && same(have[have.length - 1 - s]!.spec, want[want.length - 1 - s]!.spec)) s++
  const remove = have.slice(p, have.length - s).map((l) => l.spec)
  const insert = want.slice(p, want.length - s).map((l) => l.spec)
  const changed = remove.length + insert.length
  // Nothing to change in the chain (only its jump is written): an empty edit.
  if (changed > EDIT_MAX_LINES || changed > EDIT_MAX_SHARE * have.length) return undefined
  // A delete by text takes the first rule with that text: only safe when no kept line has it.
  const removed = new Set(remove)
  let seen = 0
  for (const l of have) if (removed.has(l.spec)) seen++
  if (seen !== remove.length) return undefined
  return {at: p + 1, remove, insert, atEnd: s === 0}
}

/** Whether applying the change rewrites iptables lines (deferred or forgotten resources with no lines do not). */
export function touchesFirewall(c: Change): boolean {
  if (c.type === 'network' || c.type === 'attachment' || c.type === 'route') return false
  if (c.action === 'no-op' || c.forget) return false
  if (c.action === 'deferred') return (c.lines?.before.length ?? 0) > 0
  return true
}

export function jumpSpec(chain: string): string {
  return `-m comment --comment ${quoteComment(JUMP_COMMENT)} -j ${chain}`
}

function chainWork(
  ns: NamespaceKey,
  family: Family,
  table: FirewallTable,
  chain: OwnedChain,
  content: DesiredLine[],
  input: FirewallPlanInput,
  actualNs: ActualNamespace | undefined,
  drift: Drift[],
  contentChanged: boolean,
): ChainWork {
  const {index, normalize: norm} = input
  const address = chainAddress(ns, family, table, chain)
  const actualLines = index.ownedChains.get(chainKey(ns, family, table, chain))
  const jumps = index.jumps.filter(
    (j) => j.namespace === ns && j.family === family && j.table === table && j.to === chain,
  )
  const work: ChainWork = {
    namespace: ns,
    family,
    table,
    chain,
    content: content.length > 0 ? content : null,
    write: false,
    jumpsRemove: [],
    remove: false,
  }
  const reasons: string[] = []
  // Owned chains are rewritten whole, with or without --target: a foreign line in one always goes.
  const foreign = index.foreign.filter(
    (l) => l.namespace === ns && l.family === family && l.table === table && l.chain === chain,
  )

  if (content.length === 0) {
    if (!actualLines && jumps.length === 0) return work
    if (input.targeted !== null && !input.targeted(address)) return work
    work.remove = Boolean(actualLines)
    work.jumpsRemove = jumps
    reasons.push(
      actualLines
        ? `no dockwall rules left in ${chain}: remove the chain and its jump`
        : `remove the stray jump to ${chain}`,
    )
    work.change = {
      address,
      type: 'chain',
      action: 'delete',
      before: {namespace: ns, family, table, chain, jumps: jumps.map((j) => j.from)},
      after: null,
      reasons,
      dependsOn: [],
      lines: {before: jumps.map((j) => jumpLine(j)), after: []},
    }
    return work
  }

  const from = jumpSource(familyTables(actualNs, family), table, chain)
  const good = jumps.find((j) => j.from === from && j.position === 0)
  const misplaced = jumps.filter((j) => j !== good)
  if (!good) work.jumpAdd = {from, spec: jumpSpec(chain)}
  work.jumpsRemove = misplaced
  if (good && ns === 'host' && input.dockerInserts?.has(from)) {
    // Move it (delete, insert at 1) in the same transaction, after Docker has inserted its rules.
    work.jumpsRemove = [...misplaced, good]
    work.jumpAdd = {from, spec: good.spec}
    reasons.push(`keep the jump first in ${from} (Docker inserts its own rules at the top when it creates a network)`)
  }
  if (actualLines && !good) {
    const where = jumps.length > 0 ? `not first in ${from}` : `missing from ${from}`
    drift.push({address, kind: 'jump-missing', summary: `the jump to ${chain} is ${where}`})
    reasons.push(jumps.length > 0 ? `move the jump to the top of ${from}` : `restore the jump at the top of ${from}`)
  }
  for (const f of foreign) {
    drift.push({
      address,
      kind: 'foreign-rule',
      summary: `a rule dockwall did not write was inserted in ${chain}: ${f.spec}`,
      line: plain(f),
    })
  }
  if (foreign.length > 0)
    reasons.push(`remove ${foreign.length} rule${foreign.length === 1 ? '' : 's'} not written by dockwall`)
  // Equal texts are equal in normal form: normalize (about 10 µs a line) only lines whose texts differ.
  const have = actualLines ?? []
  const orderDiffers =
    have.length !== content.length ||
    have.some((l, i) => l.spec !== content[i]!.spec && norm(l.spec, family) !== norm(content[i]!.spec, family))
  work.write = !actualLines || orderDiffers || contentChanged
  if (actualLines && orderDiffers && !contentChanged && foreign.length === 0)
    reasons.push("restore the order of dockwall's rules")
  if (!actualLines) {
    reasons.push(`create ${chain} and jump to it from the top of ${from}`)
    work.change = {
      address,
      type: 'chain',
      action: 'create',
      before: null,
      after: {namespace: ns, family, table, chain, jump_from: from},
      reasons,
      dependsOn: [],
      lines: {before: [], after: [{namespace: ns, family, table, chain: from, spec: jumpSpec(chain)}]},
    }
  } else if (reasons.length > 0) {
    work.write = true
    work.change = {
      address,
      type: 'chain',
      action: 'update',
      before: {namespace: ns, family, table, chain, jump_from: jumps[0]?.from ?? null},
      after: {namespace: ns, family, table, chain, jump_from: from},
      reasons,
      dependsOn: [],
      // After: the jumps that stay, so a kept jump does not read as removed.
      lines: {
        before: [...foreign.map(plain), ...jumps.map((j) => jumpLine(j))],
        after: [
          ...jumps.filter((j) => !work.jumpsRemove.includes(j)).map((j) => jumpLine(j)),
          ...(work.jumpAdd ? [{namespace: ns, family, table, chain: from, spec: work.jumpAdd.spec}] : []),
        ],
      },
    }
  }
  if (work.write && actualLines && content.length > 0) {
    const edit = chainEdit(actualLines, content, family, norm)
    if (edit) work.edit = edit
  }
  return work
}

function jumpLine(j: JumpInfo): RuleLine {
  return {namespace: j.namespace, family: j.family, table: j.table, chain: j.from, spec: j.spec}
}

function transactionInput(table: string, works: readonly ChainWork[], moves: readonly RuleLine[]): string {
  const out = [`*${table}`]
  // Declaring a chain with --noflush creates it or empties it; a chain written whole is declared
  // and then listed in full, an edited one (ChainEdit) only has its changed lines deleted and inserted.
  for (const w of works) if ((w.write && !w.edit) || w.remove) out.push(`:${w.chain} - [0:0]`)
  for (const w of works) {
    if (!w.write) continue
    const edit = w.edit
    if (!edit) {
      for (const l of w.content ?? []) out.push(`-A ${w.chain} ${l.spec}`)
      continue
    }
    for (const spec of edit.remove) out.push(`-D ${w.chain} ${spec}`)
    edit.insert.forEach((spec, i) =>
      out.push(edit.atEnd ? `-A ${w.chain} ${spec}` : `-I ${w.chain} ${edit.at + i} ${spec}`),
    )
  }
  // Imported rules leave their foreign chain in the same transaction that writes them into ours: no gap.
  for (const m of moves) out.push(`-D ${m.chain} ${m.spec}`)
  for (const w of works) for (const j of w.jumpsRemove) out.push(`-D ${j.from} ${j.spec}`)
  for (const w of works) if (w.jumpAdd) out.push(`-I ${w.jumpAdd.from} 1 ${w.jumpAdd.spec}`)
  for (const w of works) if (w.remove) out.push(`-X ${w.chain}`)
  out.push('COMMIT', '')
  return out.join('\n')
}

/** `norm` remembering its answers: the planner may ask for the same spec several times. */
function memoNormalize(norm: Normalize): Normalize {
  const seen: Record<Family, Map<string, string>> = {ipv4: new Map(), ipv6: new Map()}
  return (spec, family) => {
    let out = seen[family].get(spec)
    if (out === undefined) {
      out = norm(spec, family)
      seen[family].set(spec, out)
    }
    return out
  }
}

export function planFirewall(
  given: FirewallPlanInput,
  /** The backend a namespace's family is written with; undefined when that family was not read there. */
  backendOf: (ns: NamespaceKey, family: Family) => Backend | undefined,
): FirewallPlan {
  const input: FirewallPlanInput = {...given, normalize: memoNormalize(given.normalize)}
  const {changes, drift, effective, moves, claimedBy} = resourceChanges(input)
  const changedAddresses = new Set(changes.filter(touchesFirewall).map((c) => c.address))

  // Group effective lines per (namespace, family, table, chain).
  interface ChainEntry {
    ns: NamespaceKey
    family: Family
    table: FirewallTable
    chain: OwnedChain
    lines: DesiredLine[]
    addresses: Set<string>
  }
  const chains = new Map<string, ChainEntry>()
  const ensure = (ns: NamespaceKey, family: Family, table: FirewallTable, chain: OwnedChain): ChainEntry => {
    const key = chainKey(ns, family, table, chain)
    let entry = chains.get(key)
    if (!entry) {
      entry = {ns, family, table, chain, lines: [], addresses: new Set()}
      chains.set(key, entry)
    }
    return entry
  }
  for (const [address, lines] of effective) {
    for (const l of lines) {
      if (!isOwnedChain(l.table, l.chain)) continue
      const e = ensure(l.namespace, l.family, l.table, l.chain)
      e.lines.push(l)
      e.addresses.add(address)
    }
  }
  // Chains that exist now must be visited too (to delete them or clean them up).
  for (const c of input.index.ownedChainsByKey.values()) ensure(c.namespace, c.family, c.table, c.chain)
  for (const j of input.index.jumps) ensure(j.namespace, j.family, j.table, j.to)
  // Lines of changed resources that are leaving a chain mark that chain as changed too.
  for (const [written, lines] of input.index.byAddress.entries()) {
    const address = claimedBy.get(written) ?? written
    if (!changedAddresses.has(address)) continue
    for (const x of lines as IndexedLine[])
      if (isOwnedChain(x.table, x.chain)) ensure(x.namespace, x.family, x.table, x.chain).addresses.add(address)
  }

  const works: ChainWork[] = []
  const entryOrder = (e: ChainEntry): string => chainKey(e.ns, e.family, e.table, e.chain)
  for (const e of [...chains.values()].sort((a, b) => (entryOrder(a) < entryOrder(b) ? -1 : 1))) {
    e.lines.sort(compareLines)
    const contentChanged = [...e.addresses].some((a) => changedAddresses.has(a))
    const w = chainWork(
      e.ns,
      e.family,
      e.table,
      e.chain,
      e.lines,
      input,
      input.index.namespaces.get(e.ns),
      drift,
      contentChanged,
    )
    if (w.change) changes.push(w.change)
    if (w.write || w.remove || w.jumpAdd || w.jumpsRemove.length > 0) works.push(w)
  }

  // One transaction per (namespace, family, table): host first, IPv4 before IPv6, filter
  // before nat so a DNAT never lands before the accept that lets it through, raw last so an
  // opening past Docker's raw drops never lands before the filter rules that decide the flow.
  interface Group {
    namespace: NamespaceKey
    family: Family
    table: FirewallTable
    works: ChainWork[]
    moves: RuleLine[]
  }
  const groups = new Map<string, Group>()
  const group = (namespace: NamespaceKey, family: Family, table: FirewallTable): Group => {
    const key = `${namespace}|${family}|${table}`
    let g = groups.get(key)
    if (!g) {
      g = {namespace, family, table, works: [], moves: []}
      groups.set(key, g)
    }
    return g
  }
  for (const w of works) group(w.namespace, w.family, w.table).works.push(w)
  for (const m of moves) group(m.namespace, m.family, m.table).moves.push(m)
  const rank = (g: Group): [string, number, number] => [
    g.namespace === 'host' ? '' : g.namespace,
    g.family === 'ipv4' ? 0 : 1,
    FIREWALL_TABLES.indexOf(g.table),
  ]
  const ordered = [...groups.values()].sort((a, b) => {
    const [na, fa, ta] = rank(a)
    const [nb, fb, tb] = rank(b)
    return na < nb ? -1 : na > nb ? 1 : fa - fb || ta - tb
  })
  const transactions: FirewallTransaction[] = []
  for (const g of ordered) {
    const backend = backendOf(g.namespace, g.family)
    if (!backend) continue
    const addresses = new Set<string>()
    for (const w of g.works) {
      if (w.change) addresses.add(w.change.address)
      const entry = chains.get(chainKey(w.namespace, w.family, w.table, w.chain))
      for (const a of entry?.addresses ?? []) if (changedAddresses.has(a)) addresses.add(a)
    }
    transactions.push({
      namespace: g.namespace,
      family: g.family,
      backend,
      table: g.table,
      input: transactionInput(g.table, g.works, g.moves),
      addresses: [...addresses].sort(),
    })
  }
  if (input.targeted === null) staleCleanup(input, changes, drift, transactions)
  return {changes, drift, transactions}
}

/**
 * dockwall chains left in the backend a namespace no longer uses (Docker started writing there
 * with the other one): removed after the new ones are written, so there is no gap, and the
 * namespace's failed transactions stop this one (the engine skips the rest of a namespace).
 */
function staleCleanup(
  input: FirewallPlanInput,
  changes: Change[],
  drift: Drift[],
  transactions: FirewallTransaction[],
): void {
  for (const ns of [...input.index.namespaces.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const stale = ns.stale
    if (!stale) continue
    for (const family of FAMILIES)
      for (const table of FIREWALL_TABLES) {
        const chains = familyTables(stale, family)?.[table]?.chains ?? []
        const owned = chains.filter((c) => isOwnedChain(table, c.name))
        const jumps = chains.flatMap((c) =>
          isOwnedChain(table, c.name)
            ? []
            : c.rules
                .filter((r) => r.target && isOwnedChain(table, r.target))
                .map((r) => ({from: c.name, spec: r.spec})),
        )
        if (owned.length === 0 && jumps.length === 0) continue
        const lines = [
          '*' + table,
          ...jumps.map((j) => `-D ${j.from} ${j.spec}`),
          ...owned.map((c) => `:${c.name} - [0:0]`),
          ...owned.map((c) => `-X ${c.name}`),
          'COMMIT',
          '',
        ]
        const addresses: string[] = []
        for (const c of owned.length > 0 ? owned : [{name: jumps[0]?.spec.split(' -j ')[1] ?? 'DOCKWALL'}]) {
          const tool = family === 'ipv4' ? 'iptables' : 'ip6tables'
          const address = `${chainAddress(ns.key, family, table, c.name)}@${stale.backend}`
          addresses.push(address)
          const summary = `dockwall's ${c.name} is in ${tool}-${stale.backend}, but this namespace now uses ${tool}-${ns.backend} (${ns.backendReason})`
          drift.push({address, kind: 'changed', summary})
          changes.push({
            address,
            type: 'chain',
            action: 'delete',
            before: {namespace: ns.key, family, table, chain: c.name, backend: stale.backend},
            after: null,
            reasons: [`${summary}: it is rewritten there and removed here`],
            dependsOn: [],
          })
        }
        transactions.push({
          namespace: ns.key,
          family,
          backend: stale.backend,
          table,
          input: lines.join('\n'),
          addresses,
        })
      }
  }
}
