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
  /**
   * Called before each operation that changes the host (a Docker change, an iptables-restore);
   * throws to stop it. Apply passes the state lock's check: a run whose lock was force-unlocked
   * stops before its next change, not only before its next state write (issue 15).
   */
  beforeHostChange?: () => Promise<void>
  /**
   * Called after the forward Docker steps when one created or replaced an attachment: Docker
   * then gave the container addresses the plan could not know (a dynamic address, a first
   * IPv6 one), and rules about that container must match them (issue 14: else the next plan
   * is never empty after an apply). Returns the plan made again against the host as it is
   * now and the resources recorded so far, or undefined to keep the plan's firewall part.
   */
  replanFirewall?: (resources: ReadonlyMap<string, StateResource>) => Promise<Plan | undefined>
  /**
   * Checks the plan made again (replanFirewall) once it is the one to be written: throws to
   * refuse it, and then no rule is written. Apply passes the SSH lockout guard, which had only
   * seen the reviewed plan: the rules planned again carry addresses it could not know.
   */
  checkReplanned?: (plan: Plan) => Promise<void>
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

/** A change apply only records: neither a Docker step nor a firewall one, and not deferred. */
function isStateOnly(c: Change): boolean {
  return !isDockerStep(c) && !touchesFirewall(c) && c.action !== 'deferred'
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
  return new ApplyRun(plan, prior, opts).run()
}

/**
 * One apply: the Docker steps that come before the firewall (forward), the firewall
 * transactions with the state-only changes, then the Docker steps that must wait for the
 * firewall to let go (backward). The state is saved after each step.
 */
class ApplyRun {
  private readonly resources: Map<string, StateResource>
  private readonly result: ApplyResult
  private readonly failedSet = new Set<string>()
  // What succeeded, counted as the plan was (src/plan/summary.ts).
  private readonly succeeded = emptySummary()
  // Saves are serialised: each one writes the whole state as of that moment.
  private saving: Promise<void> = Promise.resolve()

  constructor(
    private readonly plan: Plan,
    prior: ReadonlyMap<string, StateResource>,
    private readonly opts: ApplyOptions,
  ) {
    this.resources = new Map(prior)
    this.result = {ok: true, resources: this.resources, failed: [], skipped: [], transactions: []}
  }

  async run(): Promise<ApplyResult> {
    const {plan, opts, result} = this
    const started = Date.now()
    const {forward, backward} = buildNodes(plan)
    const firewallChanges = plan.changes.filter((c) => touchesFirewall(c))
    const stateOnly = plan.changes.filter(isStateOnly)
    const total =
      forward.length +
      backward.length +
      firewallChanges.length +
      stateOnly.filter((c) => c.action !== 'no-op' || c.importing).length
    this.emit({type: 'apply_start', total})

    const docker = (n: Node): Promise<void> => this.docker(n)
    const skip = (n: Node, because: string): void => this.skip(n, because)
    await walk(forward, docker, this.failedSet, skip, opts.concurrency ?? 4)
    const again = await this.replan(forward)
    if (again)
      await this.firewall(again.firewall, again.changes.filter(touchesFirewall), again.changes.filter(isStateOnly))
    else await this.firewall(plan.firewall, firewallChanges, stateOnly)
    await walk(backward, docker, this.failedSet, skip, opts.concurrency ?? 4)
    await this.saving

    result.ok = result.failed.length === 0 && result.skipped.length === 0
    const s = this.succeeded
    this.emit({
      type: 'apply_done',
      ok: result.ok,
      imported: s.import,
      added: s.add,
      changed: s.change,
      destroyed: s.destroy,
      implied: {added: s.implied.add, changed: s.implied.change, destroyed: s.implied.destroy},
      failed: result.failed.length,
      skipped: result.skipped.length,
      elapsedMs: Date.now() - started,
    })
    return result
  }

  /**
   * The firewall part planned again once Docker has assigned addresses (opts.replanFirewall),
   * when every forward step succeeded and one of them attached a container. Taken only if it
   * changes no declared resource the reviewed plan left alone: it may fill in addresses, not
   * widen what was approved.
   */
  private async replan(forward: readonly Node[]): Promise<Plan | undefined> {
    const hook = this.opts.replanFirewall
    if (!hook || this.failedSet.size > 0) return undefined
    if (!forward.some((n) => n.change.type === 'attachment' && n.change.action !== 'delete')) return undefined
    const again = await hook(this.resources)
    if (!again) return undefined
    const reviewed = new Set(this.plan.changes.filter((c) => c.action !== 'no-op').map((c) => c.address))
    const widens = again.changes.some(
      (c) => touchesFirewall(c) && c.type !== 'chain' && c.action !== 'no-op' && !reviewed.has(c.address),
    )
    if (widens) return undefined
    await this.opts.checkReplanned?.(again)
    return again
  }

  private emit(e: ApplyEvent): void {
    this.opts.listener(e)
  }

  private count(c: Change): void {
    countChange(this.succeeded, c)
  }

  private save(): Promise<void> {
    return (this.saving = this.saving.then(() => this.opts.save(this.resources)))
  }

  private fail(c: Change, message: string, t0: number): void {
    this.failedSet.add(c.address)
    this.result.failed.push({address: c.address, error: message})
    this.emit({type: 'change_failed', address: c.address, action: c.action, elapsedMs: Date.now() - t0, error: message})
  }

  private async docker(n: Node): Promise<void> {
    const c = n.change
    const t0 = Date.now()
    this.emit({type: 'change_start', address: c.address, action: c.action, description: describe(c)})
    try {
      if (!c.forget) await this.opts.beforeHostChange?.()
      const outcome = c.forget ? undefined : await this.opts.ops.dockerChange(c)
      recordChange(this.resources, c, outcome)
      await this.save()
      this.count(c)
      this.emit({type: 'change_done', address: c.address, action: c.action, elapsedMs: Date.now() - t0})
    } catch (err) {
      this.fail(c, err instanceof Error ? err.message : String(err), t0)
      throw err
    }
  }

  private skip(n: Node, because: string): void {
    this.failedSet.add(n.change.address)
    const reason = `upstream failed: ${because}`
    this.result.skipped.push({address: n.change.address, reason})
    this.emit({type: 'change_skipped', address: n.change.address, action: n.change.action, reason})
  }

  /** The firewall transactions, each change recorded as its tables committed, then the state-only changes; one save. */
  private async firewall(
    transactions: readonly FirewallTransaction[],
    firewallChanges: Change[],
    stateOnly: Change[],
  ): Promise<void> {
    const {result} = this
    const batchLabel = 'iptables'
    if (firewallChanges.length > 0)
      this.emit({
        type: 'batch_start',
        label: batchLabel,
        changes: firewallChanges.length,
        transactions: transactions.map(transactionLabel),
      })
    for (const c of firewallChanges)
      this.emit({type: 'change_start', address: c.address, action: c.action, description: describe(c)})
    const staged = await this.stage(transactions, firewallChanges, stateOnly)
    const t0 = Date.now()
    const {committed, results} = await restoreAll(transactions, this.opts.ops, this.opts.beforeHostChange)
    result.transactions.push(...results)
    const carriersOf = transactionCarriers(transactions)
    for (const c of firewallChanges) {
      const ok = carriersOf(c).every((t) =>
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
        recordChange(this.resources, c)
        this.count(c)
        this.emit({type: 'change_done', address: c.address, action: c.action, elapsedMs: Date.now() - t0})
        continue
      }
      recordPartly(this.resources, c, committed)
      this.fail(c, uncommittedErrors(c, result.transactions), t0)
    }
    if (firewallChanges.length > 0) this.emit({type: 'batch_done', label: batchLabel, elapsedMs: Date.now() - t0})
    this.recordStateOnly(stateOnly)
    const prepared = await staged?.pending
    const allCommitted = transactions.every((tx) => committed.has(tableKey(tx)))
    if (prepared && allCommitted) await (this.saving = this.saving.then(() => prepared.commit()))
    else {
      await prepared?.discard()
      if (transactions.length > 0 || stateOnly.length > 0) await this.save()
    }
  }

  /**
   * Starts writing the state as it will be if every transaction commits (recordChange is
   * deterministic: the same as recorded after). Started before the first restore; the stage
   * works in small steps, so the restore's input (piped from this process) keeps flowing.
   * A stage that fails only means the usual save.
   */
  private async stage(
    transactions: readonly FirewallTransaction[],
    firewallChanges: Change[],
    stateOnly: Change[],
  ): Promise<{pending: Promise<StagedSave | undefined>} | undefined> {
    if (!this.opts.stage || transactions.length === 0) return undefined
    await this.saving
    const ifCommitted = new Map(this.resources)
    for (const c of firewallChanges) recordChange(ifCommitted, c)
    for (const c of stateOnly) recordChange(ifCommitted, c)
    // Wrapped: an async function returning the promise itself would wait for the stage to finish.
    return {pending: this.opts.stage(ifCommitted).catch(() => undefined)}
  }

  private recordStateOnly(stateOnly: Change[]): void {
    for (const c of stateOnly) {
      recordChange(this.resources, c)
      this.count(c)
      if (c.action === 'no-op' && !c.importing) continue
      const description = c.importing ? 'Importing' : describe(c)
      this.emit({type: 'change_start', address: c.address, action: c.action, description})
      this.emit({type: 'change_done', address: c.address, action: c.action, elapsedMs: 0, detail: 'state only'})
    }
  }
}

type TransactionResult = ApplyResult['transactions'][number]

/**
 * One transaction at a time, in plan order. A failed transaction rolls its whole table
 * back; later transactions of the same namespace are skipped so each namespace stays
 * consistent. Returns the committed (namespace, family, table) keys and every outcome.
 */
async function restoreAll(
  transactions: readonly FirewallTransaction[],
  ops: Pick<HostOps, 'restore'>,
  beforeEach?: () => Promise<void>,
): Promise<{committed: Set<string>; results: TransactionResult[]}> {
  const committed = new Set<string>()
  const failedNs = new Set<string>()
  const results: TransactionResult[] = []
  // Set when the run may no longer change the host (its lock is gone): nothing more is written.
  let stopped: string | undefined
  for (const tx of transactions) {
    const where = {namespace: tx.namespace, family: tx.family, table: tx.table, backend: tx.backend}
    if (stopped === undefined && beforeEach) {
      try {
        await beforeEach()
      } catch (err) {
        stopped = err instanceof Error ? err.message : String(err)
      }
    }
    if (stopped !== undefined) {
      results.push({...where, committed: false, error: stopped})
      continue
    }
    if (failedNs.has(tx.namespace)) {
      results.push({...where, committed: false, error: 'skipped: an earlier transaction in this namespace failed'})
      continue
    }
    try {
      await ops.restore(tx)
      committed.add(tableKey(tx))
      results.push({...where, committed: true})
    } catch (err) {
      failedNs.add(tx.namespace)
      results.push({...where, committed: false, error: err instanceof Error ? err.message : String(err)})
    }
  }
  return {committed, results}
}

/**
 * The transactions that carry a change: by its lines' tables, and by name (chain changes
 * have no lines). The addresses are sets: a plan of 20,000 rules asks 20,000 times.
 */
function transactionCarriers(transactions: readonly FirewallTransaction[]): (c: Change) => FirewallTransaction[] {
  const carried = transactions.map((t) => ({tx: t, key: tableKey(t), addresses: new Set(t.addresses)}))
  const firstOfKey = new Map<string, FirewallTransaction>()
  for (const {tx, key} of carried) if (!firstOfKey.has(key)) firstOfKey.set(key, tx)
  return (c) => {
    const tables = new Set(changeLines(c).map(tableKey))
    return carried
      .filter(({tx, key, addresses}) => addresses.has(c.address) || (firstOfKey.get(key) === tx && tables.has(key)))
      .map(({tx}) => tx)
  }
}

function changeLines(c: Change): {namespace: string; family: Family; table: string}[] {
  return [...(c.lines?.before ?? []), ...(c.lines?.after ?? [])]
}

/** A change whose tables did not all commit: record exactly what is on the host, new lines where the table committed, old lines where it did not. */
function recordPartly(resources: Map<string, StateResource>, c: Change, committed: ReadonlySet<string>): void {
  const kept = (c.lines?.before ?? []).filter((l) => !committed.has(tableKey(l)))
  const written = (c.lines?.after ?? []).filter((l) => committed.has(tableKey(l)))
  const prev = resources.get(c.address)
  if (prev || written.length > 0)
    resources.set(c.address, {
      ...(prev ?? {address: c.address, type: c.type, ids: {}, attributes: c.before ?? {}}),
      lines: [...kept, ...written],
    })
}

/** Why a change was not committed: the errors of the failed transactions on its tables. */
function uncommittedErrors(c: Change, transactions: readonly TransactionResult[]): string {
  const tables = new Set(changeLines(c).map(tableKey))
  const errors = transactions
    .filter((t) => !t.committed && tables.has(tableKey(t)))
    .map((t) => `${transactionLabel(t)}: ${t.error}`)
  return errors.join('; ') || 'not committed'
}
