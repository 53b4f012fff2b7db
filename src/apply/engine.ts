// Walks a plan: Docker creates and updates forward along dependencies, then the
// firewall transactions (one iptables-restore per namespace and table), then
// Docker deletes backwards. A failed step skips its dependents ("upstream
// failed"); independent Docker operations run in parallel with a bound. The
// state is saved after every step, so a crash mid-apply leaves an accurate record.
import type {StateResource} from '../model/resources.js'
import {touchesFirewall} from '../plan/firewall-changes.js'
import {countChange, emptySummary} from '../plan/summary.js'
import type {Family} from '../model/types.js'
import type {Change, FirewallTransaction, Plan} from '../plan/types.js'
import {Semaphore} from '../util/pool.js'
import type {ApplyEvent, ApplyListener} from './events.js'
import type {HostOps} from './host-ops.js'
import {recordChange} from './record.js'

export interface ApplyOptions {
  ops: HostOps
  listener: ApplyListener
  /** Persists the resources after each step (atomic write); awaited before the next step is reported done. */
  save: (resources: Map<string, StateResource>) => Promise<void>
  /**
   * Optional: prepares, while the iptables transactions run, the save that follows them,
   * for the resources as they will be if every transaction commits. When they all
   * commit, its commit() is that save; otherwise it is discarded and `save` runs.
   * (A large state costs about as much to encode and sync as the restore of its rules.)
   */
  stage?: (resources: ReadonlyMap<string, StateResource>) => Promise<StagedSave>
  concurrency?: number
}

export interface StagedSave {
  commit(): Promise<void>
  discard(): Promise<void>
}

export interface ApplyResult {
  ok: boolean
  resources: Map<string, StateResource>
  failed: {address: string; error: string}[]
  skipped: {address: string; reason: string}[]
  /** Per transaction: committed or not, so the user knows exactly what happened. */
  transactions: {
    namespace: string
    family: Family
    table: string
    backend: string
    committed: boolean
    error?: string
  }[]
}

const VERB: Record<string, string> = {
  create: 'Creating',
  update: 'Updating',
  replace: 'Replacing',
  delete: 'Destroying',
}

/** A Docker-side step (networks, attachments, routes). Forgotten objects only change the state. */
function isDockerStep(c: Change): boolean {
  return (
    (c.type === 'network' || c.type === 'attachment' || c.type === 'route') &&
    c.action !== 'no-op' &&
    c.action !== 'deferred'
  )
}

function describe(c: Change): string {
  if (c.forget) return 'Forgetting (state only)'
  return VERB[c.action] ?? c.action
}

interface Node {
  change: Change
  deps: string[]
  phase: 'forward' | 'backward'
}

function buildNodes(plan: Plan): {forward: Node[]; backward: Node[]} {
  const docker = plan.changes.filter(isDockerStep)
  const addresses = new Set(docker.map((c) => c.address))
  const forward: Node[] = []
  const backward: Node[] = []
  for (const c of docker) {
    if (c.action === 'delete') {
      // Reverse edges: X is deleted after everything that depends on X is deleted.
      const dependents = docker
        .filter((d) => d.action === 'delete' && d.dependsOn.includes(c.address))
        .map((d) => d.address)
      backward.push({change: c, deps: dependents, phase: 'backward'})
    } else {
      forward.push({
        change: c,
        deps: c.dependsOn.filter((d) => addresses.has(d) && docker.find((x) => x.address === d)?.action !== 'delete'),
        phase: 'forward',
      })
    }
  }
  return {forward, backward}
}

async function walk(
  nodes: Node[],
  run: (n: Node) => Promise<void>,
  failedSet: Set<string>,
  skip: (n: Node, because: string) => void,
  limit: number,
): Promise<void> {
  const done = new Map<string, Promise<boolean>>()
  const sem = new Semaphore(limit)
  const byAddress = new Map(nodes.map((n) => [n.change.address, n]))
  const start = (n: Node): Promise<boolean> => {
    let p = done.get(n.change.address)
    if (p) return p
    p = (async () => {
      const depsOk = await Promise.all(
        n.deps.map((d) => {
          const dn = byAddress.get(d)
          return dn ? start(dn) : Promise.resolve(!failedSet.has(d))
        }),
      )
      const bad = n.deps.find((_, i) => !depsOk[i])
      if (bad) {
        skip(n, bad)
        return false
      }
      return sem.use(async () => {
        try {
          await run(n)
          return true
        } catch {
          return false
        }
      })
    })()
    done.set(n.change.address, p)
    return p
  }
  await Promise.all(nodes.map(start))
}

/** One transaction's place: (namespace, family, table). Lines and transactions meet on it. */
function tableKey(t: {namespace: string; family: Family; table: string}): string {
  return `${t.namespace}|${t.family}|${t.table}`
}

/** `host/filter`, and `host/ipv6/filter` for ip6tables: how the views name a transaction. */
export function transactionLabel(t: {namespace: string; family: Family; table: string}): string {
  return t.family === 'ipv4' ? `${t.namespace}/${t.table}` : `${t.namespace}/${t.family}/${t.table}`
}

export async function applyPlan(
  plan: Plan,
  prior: ReadonlyMap<string, StateResource>,
  opts: ApplyOptions,
): Promise<ApplyResult> {
  const emit = (e: ApplyEvent): void => opts.listener(e)
  const resources = new Map(prior)
  const result: ApplyResult = {ok: true, resources, failed: [], skipped: [], transactions: []}
  const failedSet = new Set<string>()
  const started = Date.now()
  // What succeeded, counted as the plan was (src/plan/summary.ts).
  const succeeded = emptySummary()
  const count = (c: Change): void => countChange(succeeded, c)
  // Saves are serialised: each one writes the whole state as of that moment.
  let saving: Promise<void> = Promise.resolve()
  const save = (): Promise<void> => (saving = saving.then(() => opts.save(resources)))

  const {forward, backward} = buildNodes(plan)
  const firewallChanges = plan.changes.filter((c) => touchesFirewall(c))
  const stateOnly = plan.changes.filter((c) => !isDockerStep(c) && !touchesFirewall(c) && c.action !== 'deferred')
  const total =
    forward.length +
    backward.length +
    firewallChanges.length +
    stateOnly.filter((c) => c.action !== 'no-op' || c.importing).length
  emit({type: 'apply_start', total})

  const runDocker = async (n: Node): Promise<void> => {
    const c = n.change
    const t0 = Date.now()
    emit({type: 'change_start', address: c.address, action: c.action, description: describe(c)})
    try {
      const outcome = c.forget ? undefined : await opts.ops.dockerChange(c)
      recordChange(resources, c, outcome)
      await save()
      count(c)
      emit({type: 'change_done', address: c.address, action: c.action, elapsedMs: Date.now() - t0})
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      failedSet.add(c.address)
      result.failed.push({address: c.address, error: message})
      emit({type: 'change_failed', address: c.address, action: c.action, elapsedMs: Date.now() - t0, error: message})
      throw err
    }
  }
  const skip = (n: Node, because: string): void => {
    failedSet.add(n.change.address)
    const reason = `upstream failed: ${because}`
    result.skipped.push({address: n.change.address, reason})
    emit({type: 'change_skipped', address: n.change.address, action: n.change.action, reason})
  }

  await walk(forward, runDocker, failedSet, skip, opts.concurrency ?? 4)

  // Firewall: one transaction at a time, in plan order. A failed transaction rolls its whole table back;
  // later transactions of the same namespace are skipped so each namespace stays consistent.
  const committed = new Set<string>()
  const failedNs = new Set<string>()
  const batchLabel = 'iptables'
  if (firewallChanges.length > 0)
    emit({
      type: 'batch_start',
      label: batchLabel,
      changes: firewallChanges.length,
      transactions: plan.firewall.map(transactionLabel),
    })
  for (const c of firewallChanges)
    emit({type: 'change_start', address: c.address, action: c.action, description: describe(c)})
  // What the state will record if every transaction commits (recordChange is deterministic: the same as recorded below).
  let staged: Promise<StagedSave | undefined> | undefined
  if (opts.stage && plan.firewall.length > 0) {
    await saving
    const ifCommitted = new Map(resources)
    for (const c of firewallChanges) recordChange(ifCommitted, c)
    for (const c of stateOnly) recordChange(ifCommitted, c)
    // Started before the first restore; the stage works in small steps, so the restore's input
    // (piped from this process) keeps flowing. A stage that fails only means the usual save below.
    staged = opts.stage(ifCommitted).catch(() => undefined)
  }
  const t0 = Date.now()
  for (const tx of plan.firewall) {
    if (failedNs.has(tx.namespace)) {
      result.transactions.push({
        namespace: tx.namespace,
        family: tx.family,
        table: tx.table,
        backend: tx.backend,
        committed: false,
        error: 'skipped: an earlier transaction in this namespace failed',
      })
      continue
    }
    try {
      await opts.ops.restore(tx)
      committed.add(tableKey(tx))
      result.transactions.push({
        namespace: tx.namespace,
        family: tx.family,
        table: tx.table,
        backend: tx.backend,
        committed: true,
      })
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      failedNs.add(tx.namespace)
      result.transactions.push({
        namespace: tx.namespace,
        family: tx.family,
        table: tx.table,
        backend: tx.backend,
        committed: false,
        error: message,
      })
    }
  }
  // Per transaction, the addresses it names, as sets: a plan of 20,000 rules asks 20,000 times.
  const carried = plan.firewall.map((t) => ({tx: t, key: tableKey(t), addresses: new Set(t.addresses)}))
  const firstOfKey = new Map<string, FirewallTransaction>()
  for (const {tx, key} of carried) if (!firstOfKey.has(key)) firstOfKey.set(key, tx)
  for (const c of firewallChanges) {
    const tables = new Set([...(c.lines?.before ?? []), ...(c.lines?.after ?? [])].map(tableKey))
    // The transactions that carry this change: by its lines' tables, and by name (chain changes have no lines).
    const carriers = carried
      .filter(({tx, key, addresses}) => addresses.has(c.address) || (firstOfKey.get(key) === tx && tables.has(key)))
      .map(({tx}) => tx)
    const ok = carriers.every((t) =>
      result.transactions.some(
        (r) =>
          r.namespace === t.namespace &&
          r.family === t.family &&
          r.table === t.table &&
          r.committed &&
          r.backend === t.backend,
      ),
    )
    if (ok) {
      recordChange(resources, c)
      count(c)
      emit({type: 'change_done', address: c.address, action: c.action, elapsedMs: Date.now() - t0})
    } else {
      // Record exactly what is on the host: new lines where the table committed, old lines where it did not.
      const kept = (c.lines?.before ?? []).filter((l) => !committed.has(tableKey(l)))
      const written = (c.lines?.after ?? []).filter((l) => committed.has(tableKey(l)))
      const prev = resources.get(c.address)
      if (prev || written.length > 0)
        resources.set(c.address, {
          ...(prev ?? {address: c.address, type: c.type, ids: {}, attributes: c.before ?? {}}),
          lines: [...kept, ...written],
        })
      const errors = result.transactions
        .filter((t) => !t.committed && tables.has(tableKey(t)))
        .map((t) => `${transactionLabel(t)}: ${t.error}`)
      const message = errors.join('; ') || 'not committed'
      failedSet.add(c.address)
      result.failed.push({address: c.address, error: message})
      emit({type: 'change_failed', address: c.address, action: c.action, elapsedMs: Date.now() - t0, error: message})
    }
  }
  if (firewallChanges.length > 0) emit({type: 'batch_done', label: batchLabel, elapsedMs: Date.now() - t0})
  for (const c of stateOnly) {
    recordChange(resources, c)
    count(c)
    if (c.action !== 'no-op' || c.importing) {
      emit({
        type: 'change_start',
        address: c.address,
        action: c.action,
        description: c.importing ? 'Importing' : describe(c),
      })
      emit({type: 'change_done', address: c.address, action: c.action, elapsedMs: 0, detail: 'state only'})
    }
  }
  const prepared = await staged
  const allCommitted = plan.firewall.every((tx) => committed.has(tableKey(tx)))
  if (prepared && allCommitted) await (saving = saving.then(() => prepared.commit()))
  else {
    await prepared?.discard()
    if (plan.firewall.length > 0 || stateOnly.length > 0) await save()
  }

  await walk(backward, runDocker, failedSet, skip, opts.concurrency ?? 4)
  await saving

  result.ok = result.failed.length === 0 && result.skipped.length === 0
  emit({
    type: 'apply_done',
    ok: result.ok,
    imported: succeeded.import,
    added: succeeded.add,
    changed: succeeded.change,
    destroyed: succeeded.destroy,
    failed: result.failed.length,
    skipped: result.skipped.length,
    elapsedMs: Date.now() - started,
  })
  return result
}
