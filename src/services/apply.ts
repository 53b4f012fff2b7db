// apply = (checked plan) → host operations → state saved after every step.
import type {ApplyListener} from '../apply/events.js'
import {applyPlan, type ApplyResult, type StagedSave} from '../apply/engine.js'
import {createHostOps} from '../apply/host-ops.js'
import {AbortError, LockoutError} from '../errors.js'
import {IptablesRunner} from '../netfilter/index.js'
import {recordChange} from '../apply/record.js'
import type {StateResource} from '../model/resources.js'
import {checkSshLockout, parseSshConnection} from '../plan/safety.js'
import type {NamespaceKey} from '../model/resources.js'
import type {FirewallTransaction, Plan} from '../plan/types.js'
import type {ActualModel} from '../refresh/types.js'
import {encodeState, newState, stageState, writeState, type State} from '../state/index.js'
import type {NetnsTarget} from '../util/exec.js'
import {DOCKWALL_VERSION} from '../version.js'
import type {Session} from './session.js'

/** Refuses a plan that would cut the operator's SSH session, unless allowed. Not in a --netns rehearsal. */
export function guardLockout(
  session: Session,
  plan: Plan,
  allowLockout: boolean,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (allowLockout || session.rehearsal) return
  const ssh = parseSshConnection(env.SSH_CONNECTION)
  if (!ssh) return
  const findings = checkSshLockout(plan, ssh)
  if (findings.length === 0) return
  const what = findings.some((f) => f.state === 'ESTABLISHED')
    ? 'would cut your current SSH session'
    : 'would refuse new SSH connections from your address'
  throw new LockoutError(
    `refusing to apply: the new input rules ${what} (${ssh.clientIp} → port ${ssh.serverPort}), at:\n  ${findings[0]?.line ?? ''}`,
    'keep allow_ssh = true in the firewall block, add a rule accepting your address, or pass --allow-lockout if you have console access',
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
): Promise<ApplyResult> {
  let state: State = session.state ?? newState(DOCKWALL_VERSION)
  let prev: State | null = session.state
  const restore = async (tx: FirewallTransaction): Promise<void> => {
    const runner = new IptablesRunner({
      netns: namespaceTarget(session, actual, tx.namespace),
      backend: tx.backend,
      family: 'ipv4',
    })
    await runner.restore(tx.input, {noflush: true})
  }
  const ops = createHostOps({docker: session.docker, restore})
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
  const result = await applyPlan(plan, prior, {ops, listener, save, stage})
  session.state = state
  return result
}

/** Refuses a saved plan when the state or the host changed since it was made. */
export function checkSavedPlan(session: Session, plan: Plan, currentHash: string): void {
  const serial = session.state?.serial ?? 0
  const lineage = session.state?.lineage ?? null
  if (plan.prior.lineage !== null && lineage !== plan.prior.lineage) {
    throw new AbortError(
      `the saved plan was made for another state (lineage ${plan.prior.lineage}, this state is ${lineage ?? 'empty'})`,
      'make a new plan with `dockwall plan --out FILE`',
    )
  }
  if (serial !== plan.prior.serial) {
    throw new AbortError(
      `the state changed since the plan was made (serial ${plan.prior.serial} → ${serial})`,
      'make a new plan with `dockwall plan --out FILE`',
    )
  }
  if (currentHash !== plan.actualHash) {
    throw new AbortError(
      "the host changed since the plan was made (Docker networks, containers or dockwall's iptables chains differ)",
      'make a new plan with `dockwall plan --out FILE` and review it again',
    )
  }
}

/** Whether recording the plan's no-op changes (adoptions, imports, refreshed attributes) would change the state file. */
export function stateWouldChange(session: Pick<Session, 'state'>, plan: Plan): boolean {
  const before = new Map((session.state?.resources ?? []).map((r) => [r.address, r as StateResource]))
  const after = new Map(before)
  for (const c of plan.changes) if (c.action === 'no-op') recordChange(after, c)
  const state = session.state
  if (!state) return after.size > 0
  const enc = (m: Map<string, StateResource>): string => encodeState({...state, resources: [...m.values()]})
  return enc(before) !== enc(after)
}
