// The host as it would be after a plan: a plan's restore transactions (`iptables-restore
// --noflush` input, one table each) played onto the rulesets read now, with the
// semantics src/netfilter/write.ts documents for RestoreOp. Pure; `explain --planned`
// and `dockwall test` evaluate the result.
import {parseRule} from '../netfilter/parse.js'
import type {Family, Rule, Ruleset, Table} from '../netfilter/types.js'
import {BUILTIN_CHAINS} from '../netfilter/types.js'
import type {ExplainHost, NamespaceId} from './types.js'

/** One restore transaction to play: its namespace (in the host's ids), family and input. */
export interface PlannedTransaction {
  namespace: NamespaceId
  family: Family
  /** `*table` ... `COMMIT`. */
  input: string
}

/** Thrown when the input cannot be played (a line iptables-restore would also refuse): the plan is not what was read. */
export class PlannedRestoreError extends Error {}

function emptyTable(name: string): Table {
  return {name, chains: (BUILTIN_CHAINS[name] ?? []).map((c) => ({name: c, policy: 'ACCEPT'})), rules: []}
}

/** Plays one table's restore input onto a copy of `ruleset` (the ruleset itself is left as it was). */
export function applyRestoreInput(ruleset: Ruleset | undefined, input: string, family: Family): Ruleset {
  const tables = (ruleset?.tables ?? []).map((t) => ({...t, chains: [...t.chains], rules: [...t.rules]}))
  let table: Table | undefined
  // Rules grouped by chain while a table is edited; written back in chain order at COMMIT.
  let byChain = new Map<string, Rule[]>()
  const chainOf = (name: string): Rule[] => {
    const rules = byChain.get(name)
    if (!rules) throw new PlannedRestoreError(`${table?.name ?? '?'}: no chain ${name}`)
    return rules
  }
  for (const raw of input.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('*')) {
      const name = line.slice(1)
      table = tables.find((t) => t.name === name)
      if (!table) tables.push((table = emptyTable(name)))
      byChain = new Map(table.chains.map((c) => [c.name, [] as Rule[]]))
      for (const r of table.rules) byChain.get(r.chain)?.push(r)
      continue
    }
    if (!table) throw new PlannedRestoreError(`restore line before a table: ${line}`)
    if (line === 'COMMIT') {
      table.rules = table.chains.flatMap((c) => byChain.get(c.name) ?? [])
      table = undefined
      continue
    }
    const decl = /^:(\S+) (\S+)/.exec(line)
    if (decl) {
      const [, name, policy] = decl as unknown as [string, string, string]
      const existing = table.chains.find((c) => c.name === name)
      if (existing && existing.policy !== '-') {
        // A built-in chain: the policy changes (`-` keeps it), the rules stay.
        if (policy !== '-') existing.policy = policy
      } else if (existing) byChain.set(name, [])
      else {
        table.chains.push({name, policy: '-'})
        byChain.set(name, [])
      }
      continue
    }
    const op = /^(-[AIDX]) (\S+)(?: (.*))?$/.exec(line)
    if (!op) throw new PlannedRestoreError(`unexpected restore line: ${line}`)
    const [, verb, chain, rest = ''] = op as unknown as [string, string, string, string | undefined]
    if (verb === '-X') {
      if ((byChain.get(chain)?.length ?? 0) > 0) throw new PlannedRestoreError(`-X of a chain with rules: ${line}`)
      table.chains = table.chains.filter((c) => c.name !== chain)
      byChain.delete(chain)
      continue
    }
    const rules = chainOf(chain)
    if (verb === '-I') {
      const m = /^(\d+)(?: (.*))?$/.exec(rest)
      const position = m ? Number(m[1]) : 1
      const spec = m ? (m[2] ?? '') : rest
      rules.splice(Math.min(position - 1, rules.length), 0, parseRule(`-A ${chain} ${spec}`, table.name, {family}))
      continue
    }
    const rule = parseRule(`-A ${chain} ${rest}`, table.name, {family})
    if (verb === '-A') rules.push(rule)
    else {
      const i = rules.findIndex((r) => r.key === rule.key)
      if (i < 0) throw new PlannedRestoreError(`-D of a rule that is not there: ${line}`)
      rules.splice(i, 1)
    }
  }
  if (table) throw new PlannedRestoreError(`table ${table.name} has no COMMIT`)
  return {tables}
}

/**
 * The host after the transactions, in order. A namespace the host does not hold (a
 * container that is not running) is skipped and returned, for the caller to report.
 */
export function plannedHost(
  host: ExplainHost,
  transactions: readonly PlannedTransaction[],
): {host: ExplainHost; skipped: NamespaceId[]} {
  const namespaces = host.namespaces.map((n) => ({...n, rulesets: {...n.rulesets}}))
  const skipped: NamespaceId[] = []
  for (const tx of transactions) {
    const ns = namespaces.find((n) => n.id === tx.namespace)
    if (!ns) {
      if (!skipped.includes(tx.namespace)) skipped.push(tx.namespace)
      continue
    }
    const current = ns.rulesets[tx.family]
    // Unreadable stays unreadable: what it would hold after the plan is unknown too.
    if (current === null) continue
    ns.rulesets[tx.family] = applyRestoreInput(current, tx.input, tx.family)
  }
  return {host: {...host, namespaces}, skipped}
}
