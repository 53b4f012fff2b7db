// Applies a plan's restore transactions to an in-memory ActualModel, the way
// iptables-restore --noflush would, so tests can check "apply then plan = no changes".
import {familyTables, type ActualModel, type ActualNamespace} from '../../../src/refresh/types.js'
import type {Plan} from '../../../src/plan/types.js'
import {actualRule} from './builders.js'

export function applyTransactions(actual: ActualModel, plan: Plan): ActualModel {
  const out: ActualModel = structuredClone(actual)
  for (const tx of plan.firewall) {
    const ns = out.namespaces.find((n) => n.key === tx.namespace) as ActualNamespace
    const table = familyTables(ns, tx.family)?.[tx.table]
    if (!table) throw new Error(`no ${tx.family} table ${tx.table}`)
    const chain = (name: string) => {
      const c = table.chains.find((x) => x.name === name)
      if (!c) throw new Error(`no chain ${name} in ${tx.namespace}/${tx.table}`)
      return c
    }
    for (const line of tx.input.split('\n')) {
      if (!line || line.startsWith('*') || line === 'COMMIT') continue
      let m: RegExpExecArray | null
      if ((m = /^:(\S+) - \[0:0\]$/.exec(line))) {
        const existing = table.chains.find((x) => x.name === m![1])
        if (existing) existing.rules = []
        else table.chains.push({name: m[1] as string, policy: null, rules: []})
      } else if ((m = /^-A (\S+) (.*)$/.exec(line))) chain(m[1] as string).rules.push(actualRule(m[2] as string))
      else if ((m = /^-I (\S+) (\d+) (.*)$/.exec(line))) {
        const c = chain(m[1] as string)
        const at = Number(m[2])
        if (at < 1 || at > c.rules.length + 1) throw new Error(`-I past the end: ${line}`)
        c.rules.splice(at - 1, 0, actualRule(m[3] as string))
      } else if ((m = /^-D (\S+) (.*)$/.exec(line))) {
        const c = chain(m[1] as string)
        const i = c.rules.findIndex((r) => r.spec === m![2])
        if (i < 0) throw new Error(`-D of a missing rule: ${line}`)
        c.rules.splice(i, 1)
      } else if ((m = /^-X (\S+)$/.exec(line))) {
        if (table.chains.some((c) => c.rules.some((r) => r.target === m![1])))
          throw new Error(`-X of a referenced chain: ${line}`)
        table.chains = table.chains.filter((c) => c.name !== m![1])
      } else throw new Error(`unexpected restore line: ${line}`)
    }
  }
  return out
}
