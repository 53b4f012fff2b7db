// apply = (checked plan) → host operations → state saved after every step.
import type {ApplyListener} from '../apply/events.js'
import {applyPlan, type ApplyResult, type StagedSave} from '../apply/engine.js'
import {createHostOps} from '../apply/host-ops.js'
import {AbortError, LockoutError} from '../errors.js'
import {IptablesRunner} from '../netfilter/index.js'
import type {NamespaceKey, StateResource} from '../model/resources.js'
import {normalizeRuleSpec} from '../netfilter/index.js'
import {makePlan} from '../plan/planner.js'
import type {FirewallTransaction, Plan} from '../plan/types.js'
import type {ActualModel} from '../refresh/types.js'
import {newState, stageState, writeState, type State} from '../state/index.js'
import type {NetnsTarget} from '../util/exec.js'
import {DOCKWALL_VERSION} from '../version.js'
import {readHostDump, type HostSaves} from '../refresh/host-dump.js'
import {evaluateLastPath, evaluateLockout, planTouchesHostPath, type LockoutReport} from './lockout.js'
import type {Session} from './session.js'
import {describeSession, type SshSession} from './ssh-session.js'
import {refreshSession} from './refresh.js'

export interface GuardOptions {
  /** --allow-lockout: evaluate and warn, but do not refuse. */
  allowLockout: boolean
  /** The session to protect (src/services/ssh-session.ts findSshSession); undefined: none known. */
  ssh: SshSession | undefined
  warn: (message: string) => void
  /** What refresh read of the host already. */
  hostSaves?: HostSaves
  /**
   * Without a session (watch, as a daemon): refuse a plan that takes away the last path to
   * SSH, unless the configuration says allow_ssh = false.
   */
  keepLastPath?: boolean
}

/**
 * Refuses a plan that would cut the operator's SSH session (src/services/lockout.ts),
 * in the namespace that plays the host: the real one, or --netns's (the host being managed).
 * Nothing is written before it passes.
 */
export async function guardLockout(
  session: Session,
  plan: Plan,
  opts: GuardOptions,
): Promise<LockoutReport | undefined> {
  const ssh = opts.ssh
  if (!planTouchesHostPath(plan)) return undefined
  if (!ssh) {
    if (opts.keepLastPath && session.model.firewall.sshPort !== null)
      await guardLastPath(session, plan, session.model.firewall.sshPort, opts)
    return undefined
  }
  const dump = await readHostDump(session.host, [ssh.family], opts.hostSaves)
  const report = evaluateLockout(plan, ssh, dump)
  const o = report.outcome
  const who = describeSession(ssh, report.serverIp)
  if (o.kind === 'elsewhere') {
    opts.warn(
      `SSH lockout guard: your session ${who} does not come through the managed namespace (${o.reason}); nothing to protect there`,
    )
    return report
  }
  if (o.kind === 'unverified') {
    opts.warn(
      `SSH lockout guard: the rules as read do not explain how your session ${who} gets in (${o.check.before.summary}); the plan does not change that path`,
    )
    return report
  }
  if (o.kind === 'safe') return report
  const message = [
    `refusing to apply: ${o.what}.`,
    `  session: ${who}`,
    `  now:     ${o.check.before.summary}`,
    `  after:   ${o.check.after.summary}`,
    ...(report.checks.length > 1 ? [`  (rules of iptables-${o.check.backend})`] : []),
  ].join('\n')
  if (opts.allowLockout) {
    opts.warn(`--allow-lockout: applying although ${o.what} (${o.check.after.summary})`)
    return report
  }
  throw new LockoutError(
    message,
    'keep allow_ssh = true in the firewall block or add a rule accepting your address; if you can reach the host another way (a console), pass --allow-lockout',
  )
}

/** The watch side of the guard: no session to protect, but the host must stay reachable over SSH. */
async function guardLastPath(session: Session, plan: Plan, port: number, opts: GuardOptions): Promise<void> {
  const dump = await readHostDump(session.host, ['ipv4', 'ipv6'], opts.hostSaves)
  const report = evaluateLastPath(plan, dump, port)
  if (!report.lost) return
  const lost = report.probes.filter((p) => p.before)
  const message = [
    `refusing to apply: after this plan no SSH connection to port ${port} would get in (no session is known, so every way in was tried):`,
    ...lost.map((p) => `  ${p.clientIp} → ${p.serverIp}: ${p.result.summary}`),
  ].join('\n')
  if (opts.allowLockout) {
    opts.warn(`--allow-lockout: applying although no SSH connection to port ${port} would get in`)
    return
  }
  throw new LockoutError(
    message,
    'keep SSH open (allow_ssh = true, or a rule accepting your management network); if the host is to have no SSH, say so with allow_ssh = false in the firewall block',
  )
}

/** Where a transaction runs: the host (or --netns), or a container's namespace by its PID at refresh time. */
function namespaceTarget(session: Session, actual: ActualModel, ns: NamespaceKey): NetnsTarget {
  if (ns === 'host') return session.host
  const found = actual.namespaces.find((n) => n.key === ns)
  if (!found?.container) throw new AbortError(`cannot write iptables in ${ns}: its container is not running`)
  return {kind: 'pid', pid: found.container.pid}
}

export async function applySession(
  session: Session,
  plan: Plan,
  actual: ActualModel,
  listener: ApplyListener,
  opts: {
    concurrency?: number
    /**
     * Plan the firewall part again once Docker has attached containers (see below). Off for a
     * saved plan: `apply PLANFILE` writes exactly what was reviewed, and the addresses Docker
     * assigned show in the next plan.
     */
    replanAfterDocker?: boolean
    /** Checks the firewall part planned again before it is written (the SSH lockout guard); throws to refuse. */
    guardReplanned?: (plan: Plan) => Promise<void>
  } = {},
): Promise<ApplyResult> {
  if (session.state && session.state.lineage !== plan.lineage)
    throw new Error(`applySession: the plan is for lineage ${plan.lineage}, the state has ${session.state.lineage}`)
  let state: State = session.state ?? {...newState(DOCKWALL_VERSION), lineage: plan.lineage}
  let prev: State | null = session.state
  // The host as last read: refreshed again when the firewall part is planned again (below).
  let now = actual
  const restore = async (tx: FirewallTransaction): Promise<void> => {
    const runner = new IptablesRunner({
      netns: namespaceTarget(session, now, tx.namespace),
      backend: tx.backend,
      family: tx.family,
    })
    await runner.restore(tx.input, {noflush: true})
  }
  const ops = createHostOps({docker: session.dockerWriter, restore, lineage: state.lineage})
  const save = async (resources: Map<string, StateResource>): Promise<void> => {
    state = {...state, dockwallVersion: DOCKWALL_VERSION, resources: [...resources.values()]}
    state = await writeState(session.statePath, state, prev, {lock: session.lock})
    prev = state
  }
  // The save after the iptables transactions is prepared while they run (src/state stageState).
  const stage = async (resources: ReadonlyMap<string, StateResource>): Promise<StagedSave> => {
    const staged = await stageState(
      session.statePath,
      {...state, dockwallVersion: DOCKWALL_VERSION, resources: [...resources.values()]},
      prev,
      {lock: session.lock},
    )
    return {
      commit: async () => {
        state = await staged.commit()
        prev = state
      },
      discard: () => staged.discard(),
    }
  }
  const prior = new Map((session.state?.resources ?? []).map((r) => [r.address, r as StateResource]))
  // A first apply writes its (empty) state before it changes anything: a network created and
  // labelled with the lineage, then interrupted before the next save (SIGKILL), is found by
  // the next plan under a state of that lineage, so it is recorded as created, not adopted.
  if (!prev) await save(new Map())
  // Before every Docker change and every restore: this run still holds the state lock (not force-unlocked).
  const beforeHostChange = (): Promise<void> => session.lock.check()
  // Once Docker has attached containers, their addresses are known: the rules about them are
  // planned again from the host as it is now and the resources recorded so far, so the next
  // plan is empty (issue 14). A plan with errors keeps the reviewed plan's firewall part.
  const replanFirewall = async (resources: ReadonlyMap<string, StateResource>): Promise<Plan | undefined> => {
    const prior = {...state, resources: [...resources.values()]}
    const fresh = await refreshSession({...session, state: prior})
    const again = makePlan(
      {model: session.model, actual: fresh.actual, prior},
      {
        mode: plan.mode,
        targets: plan.targets,
        dockwallVersion: DOCKWALL_VERSION,
        normalize: (spec) => normalizeRuleSpec(spec),
      },
    )
    if (again.errors.length > 0) return undefined
    now = fresh.actual
    return again.plan
  }
  const result = await applyPlan(plan, prior, {
    ops,
    listener,
    save,
    stage,
    beforeHostChange,
    ...(opts.replanAfterDocker ? {replanFirewall} : {}),
    ...(opts.replanAfterDocker && opts.guardReplanned ? {checkReplanned: opts.guardReplanned} : {}),
    ...(opts.concurrency === undefined ? {} : {concurrency: opts.concurrency}),
  })
  session.state = state
  return result
}
