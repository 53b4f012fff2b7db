// The adapter from refresh's model: an ActualNamespace's tables (chains in order, rules as
// normal-form specs) back into the Ruleset the evaluator reads. Refresh reads filter and
// nat today; raw, mangle and the IPv6 tables pass through the same way once it reads them.
import {parseRule} from '../netfilter/parse.js'
import type {Family, Rule, Ruleset, Table} from '../netfilter/types.js'
import type {ActualChain} from '../refresh/types.js'

/** Any table refresh holds: a name and its chains in iptables-save order. */
export interface ActualTableLike {
  name: string
  chains: readonly ActualChain[]
}

export function rulesetFromActual(tables: Iterable<ActualTableLike | undefined>, family: Family): Ruleset {
  const out: Table[] = []
  for (const t of tables) {
    if (!t) continue
    const rules: Rule[] = []
    for (const c of t.chains) for (const r of c.rules) rules.push(parseRule(`-A ${c.name} ${r.spec}`, t.name, {family}))
    out.push({
      name: t.name,
      chains: t.chains.map((c) => ({name: c.name, policy: c.policy ?? '-'})),
      rules,
    })
  }
  return {tables: out}
}
