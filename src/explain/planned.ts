// The host as it would be after a plan: a plan's restore transactions (`iptables-restore
// --noflush` input, one table each) played onto the rulesets read now, by
// src/netfilter/restore-sim.ts (the lockout guard's simulation, same semantics). Pure;
// `explain --planned` and the assertions evaluate the result.
import {simulateRestore} from '../netfilter/restore-sim.js'
import type {Family} from '../netfilter/types.js'
import type {ExplainHost, NamespaceId} from './types.js'

/** One restore transaction to play: its namespace (in the host's ids), family and input. */
export interface PlannedTransaction {
  namespace: NamespaceId
  family: Family
  /** `*table` ... `COMMIT`. */
  input: string
}

export interface PlannedHost {
  host: ExplainHost
  /** Namespaces the transactions write to that the host does not hold (a container that is not running). */
  skipped: NamespaceId[]
  /** Tables whose input iptables-restore would refuse: left as they were, as the kernel would. */
  failed: Array<{namespace: NamespaceId; table: string; error: string}>
}

/** The host after the transactions, in order; the host given is left as it was. */
export function plannedHost(host: ExplainHost, transactions: readonly PlannedTransaction[]): PlannedHost {
  const namespaces = host.namespaces.map((n) => ({...n, rulesets: {...n.rulesets}}))
  const skipped: NamespaceId[] = []
  const failed: PlannedHost['failed'] = []
  for (const tx of transactions) {
    const ns = namespaces.find((n) => n.id === tx.namespace)
    if (!ns) {
      if (!skipped.includes(tx.namespace)) skipped.push(tx.namespace)
      continue
    }
    const current = ns.rulesets[tx.family]
    // Unreadable stays unreadable: what it would hold after the plan is unknown too.
    if (current === null) continue
    const r = simulateRestore(current ?? {tables: []}, tx.input, tx.family)
    ns.rulesets[tx.family] = r.ruleset
    for (const f of r.failed) failed.push({namespace: tx.namespace, ...f})
  }
  return {host: {...host, namespaces}, skipped, failed}
}
