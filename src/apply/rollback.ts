// What `apply --confirm-within` restores when no one confirms: dockwall's own chains and
// the jumps into them, exactly as they were before the apply, one transaction per
// (namespace, family, backend, table), as apply writes them. Pure: the snapshot comes
// from the refreshed host the plan was made from; the restore input is computed against
// the table as it is when the rollback runs, so whatever happened in between (a
// partial apply, Docker re-inserting its own rules) is taken into account.
import type {Backend, Family} from '../model/types.js'
import type {FirewallTable, NamespaceKey} from '../model/resources.js'
import type {Ruleset} from '../netfilter/types.js'
import type {FirewallTransaction, Plan} from '../plan/types.js'
import type {ActualModel, ActualTable, ActualTables} from '../refresh/types.js'

const OWNED = 'DOCKWALL-'

/** One table's owned chains (in order, with their rules' specs) and the jumps into them from foreign chains. */
export interface TableSnapshot {
  namespace: NamespaceKey
  family: Family
  backend: Backend
  table: FirewallTable
  chains: {name: string; rules: string[]}[]
  /** `-A FROM SPEC` lines in foreign chains whose target is an owned chain, in chain order. */
  jumps: {from: string; spec: string}[]
}

const isOwned = (chain: string): boolean => chain.startsWith(OWNED)

function familyOf(tx: FirewallTransaction): Family {
  // A plan saved before IPv6 reads its transactions as IPv4 (src/plan/wire.ts); typed here the same way.
  return (tx.family as Family | undefined) ?? 'ipv4'
}

function snapshotOf(table: ActualTable | undefined): Pick<TableSnapshot, 'chains' | 'jumps'> {
  const chains: TableSnapshot['chains'] = []
  const jumps: TableSnapshot['jumps'] = []
  for (const c of table?.chains ?? []) {
    if (isOwned(c.name)) chains.push({name: c.name, rules: c.rules.map((r) => r.spec)})
    else for (const r of c.rules) if (r.target && isOwned(r.target)) jumps.push({from: c.name, spec: r.spec})
  }
  return {chains, jumps}
}

/**
 * The owned chains and jumps, as the refreshed host holds them, of every table the plan's
 * transactions write (a stale backend's tables included): what a rollback restores.
 */
export function snapshotForPlan(plan: Plan, actual: ActualModel): TableSnapshot[] {
  const out: TableSnapshot[] = []
  const seen = new Set<string>()
  for (const tx of plan.firewall) {
    const family = familyOf(tx)
    const key = `${tx.namespace} ${family} ${tx.backend} ${tx.table}`
    if (seen.has(key)) continue
    seen.add(key)
    const ns = actual.namespaces.find((n) => n.key === tx.namespace)
    // IPv6 transactions restore what ip6tables held.
    const ofFamily = (t: {tables: ActualTables; tables6?: ActualTables}): ActualTables =>
      (family === 'ipv6' ? t.tables6 : t.tables) ?? {}
    const tables =
      ns?.backend === tx.backend ? ofFamily(ns) : ns?.stale?.backend === tx.backend ? ofFamily(ns.stale) : {}
    out.push({namespace: tx.namespace, family, backend: tx.backend, table: tx.table, ...snapshotOf(tables[tx.table])})
  }
  return out
}

/** The same snapshot of a table as it is now (parsed iptables-save output). */
export function snapshotOfRuleset(ruleset: Ruleset, table: string): Pick<TableSnapshot, 'chains' | 'jumps'> {
  const t = ruleset.tables.find((x) => x.name === table)
  const chains: TableSnapshot['chains'] = []
  const jumps: TableSnapshot['jumps'] = []
  if (!t) return {chains, jumps}
  const prefix = `${table} -A `
  const specOf = (key: string, chain: string): string => key.slice(`${prefix}${chain} `.length)
  for (const decl of t.chains) if (isOwned(decl.name)) chains.push({name: decl.name, rules: []})
  for (const r of t.rules) {
    if (isOwned(r.chain)) {
      let c = chains.find((x) => x.name === r.chain)
      if (!c) chains.push((c = {name: r.chain, rules: []}))
      c.rules.push(specOf(r.key, r.chain))
    } else if (r.target && isOwned(r.target.name)) jumps.push({from: r.chain, spec: specOf(r.key, r.chain)})
  }
  return {chains, jumps}
}

/**
 * The restore input (`--noflush`) that turns the table's owned chains and jumps from
 * `now` back into `before`, or null when they are equal. Jumps that are gone are put back
 * at the top of their chain (where apply puts them); chains that did not exist are
 * emptied and removed after the jumps to them.
 */
export function rollbackInput(
  table: string,
  now: Pick<TableSnapshot, 'chains' | 'jumps'>,
  before: Pick<TableSnapshot, 'chains' | 'jumps'>,
): string | null {
  const jumpKey = (j: {from: string; spec: string}): string => `${j.from} ${j.spec}`
  const beforeJumps = new Set(before.jumps.map(jumpKey))
  const nowJumps = new Set(now.jumps.map(jumpKey))
  const sameChain = (a: {rules: string[]} | undefined, b: {rules: string[]} | undefined): boolean =>
    a !== undefined && b !== undefined && a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i])
  const declare: string[] = []
  const fill: string[] = []
  for (const c of before.chains) {
    if (
      sameChain(
        c,
        now.chains.find((x) => x.name === c.name),
      )
    )
      continue
    declare.push(`:${c.name} - [0:0]`)
    for (const r of c.rules) fill.push(`-A ${c.name} ${r}`)
  }
  const drop = now.chains.filter((c) => !before.chains.some((b) => b.name === c.name))
  for (const c of drop) declare.push(`:${c.name} - [0:0]`)
  const deleteJumps = now.jumps.filter((j) => !beforeJumps.has(jumpKey(j))).map((j) => `-D ${j.from} ${j.spec}`)
  // Back on top in their original order: inserting the last first leaves the first on top.
  const insertJumps = before.jumps
    .filter((j) => !nowJumps.has(jumpKey(j)))
    .reverse()
    .map((j) => `-I ${j.from} 1 ${j.spec}`)
  const removeChains = drop.map((c) => `-X ${c.name}`)
  const lines = [...declare, ...fill, ...deleteJumps, ...insertJumps, ...removeChains]
  if (lines.length === 0) return null
  return `*${table}\n${lines.join('\n')}\nCOMMIT\n`
}
