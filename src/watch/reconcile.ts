// One reconciliation, the way `dockwall apply --auto-approve` does it but without a
// terminal: (re)load the configuration, take the state lock, refresh, plan, and apply
// when the plan changes something. Never applies a plan with errors, never prompts,
// and the SSH lockout guard applies unless --allow-lockout.
//
// Configuration: every reconciliation reloads and parses the files (dockwall's own HCL
// parser: about 1 s for 20,000 blocks, a few ms for a usual configuration). When they
// are invalid, the errors are logged once (with file:line:column) and the last good
// model stays in force; before any good model there is nothing to reconcile.
//
// Lock: held only for the reconciliation itself (see commands/watch.ts for why). A
// lock held by someone else is waited for, up to the lock timeout, in short polls
// that a stop cuts short.
import {
  AbortError,
  AssertionsFailedError,
  ConfigError,
  formatDiagnostic,
  LockoutError,
  StateLockedError,
  type Diagnostic,
} from '../errors.js'
import type {DesiredModel} from '../model/types.js'
import {changedAddresses, summarizePlan} from '../plan/summary.js'
import type {Plan} from '../plan/types.js'
import type {ActualModel} from '../refresh/types.js'
import {applyPrepared} from '../services/pipeline.js'
import {preparePlan, type PreparedPlan} from '../services/prepare.js'
import {
  loadModel,
  openSession,
  settingsOf,
  type Session,
  type SessionOptions,
  type SessionSettings,
} from '../services/session.js'
import {findSshSession, type SshSession} from '../services/ssh-session.js'
import {readLock, resolveStatePath} from '../state/index.js'
import {AssertionWatch, type AssertionChange} from './assertions.js'
import {sleep, systemClock, type Clock} from './clock.js'
import type {DockerEvent} from './docker-events.js'
import {emptyCounts, type ChangeCounts, type ConfigStatus, type Outcome} from './types.js'

/** `lockTimeoutMs`: how long to wait for a state lock held by another dockwall. */
export interface ReconcilerOptions extends SessionSettings {
  allowLockout: boolean
  /** --ssh-client. */
  sshClient?: string
  env?: NodeJS.ProcessEnv
  clock?: Clock
  /** Configuration errors (once per distinct set) and warnings (a stale lock taken over). */
  onConfigErrors?: (diagnostics: Diagnostic[]) => void
  onConfigWarnings?: (diagnostics: Diagnostic[]) => void
  warn?: (message: string) => void
}

/** Counts as the log line shows them: the plan's summary (src/plan/summary.ts); failures come from the apply. */
export function planCounts(plan: Plan): ChangeCounts {
  const s = summarizePlan(plan)
  const counts = emptyCounts()
  if (s.import > 0) counts.import = s.import
  counts.add = s.add
  counts.change = s.change
  counts.destroy = s.destroy
  counts.deferred = s.deferred
  counts.drift = s.drift
  return counts
}

function firstLine(err: unknown): string {
  const text =
    err instanceof ConfigError
      ? err.diagnostics
          .filter((d) => d.severity === 'error')
          .map((d) => formatDiagnostic(d))
          .join('; ')
      : err instanceof Error
        ? err.message
        : String(err)
  return text.split('\n')[0] ?? text
}

export class Reconciler {
  private lastGood: DesiredModel | null = null
  private lastErrors = ''
  private lastWarnings = ''
  private config: ConfigStatus = {state: 'none'}
  /** Ids of the running containers the model names, from the last refresh (network events carry ids only). */
  private knownIds = new Set<string>()
  private readonly assertionWatch = new AssertionWatch()
  private readonly clock: Clock
  /** The SSH session the guard protects, found once (a malformed SSH_CONNECTION fails every apply, as it should). */
  private ssh: Promise<SshSession | undefined> | undefined

  constructor(private readonly opts: ReconcilerOptions) {
    this.clock = opts.clock ?? systemClock
  }

  /** The model in force: the last configuration that loaded. */
  get model(): DesiredModel | null {
    return this.lastGood
  }

  get configStatus(): ConfigStatus {
    return this.config
  }

  /**
   * Whether a Docker event can change what dockwall must write: a container the
   * configuration names, a network it declares, or a connect/disconnect of one of its
   * containers. Before a configuration has loaded, everything counts.
   */
  isRelevant(e: DockerEvent): boolean {
    const m = this.lastGood
    if (!m) return true
    if (e.type === 'container') return m.containers.some((c) => c.name === e.name)
    if (m.networks.some((n) => n.name === e.name)) return true
    return e.container !== undefined && this.knownIds.has(e.container)
  }

  /** Reloads the configuration; keeps the last good model when the files are invalid. */
  async loadConfig(): Promise<ConfigStatus> {
    try {
      const {model, warnings} = await loadModel({
        config: this.opts.config,
        vars: this.opts.vars ?? [],
        varFiles: this.opts.varFiles ?? [],
      })
      this.lastGood = model
      this.lastErrors = ''
      const w = warnings.map((d) => formatDiagnostic(d)).join('\n')
      if (w !== this.lastWarnings && warnings.length > 0) this.opts.onConfigWarnings?.(warnings)
      this.lastWarnings = w
      this.config = {state: 'ok'}
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      const errors = err.diagnostics.filter((d) => d.severity === 'error')
      const key = errors.map((d) => formatDiagnostic(d)).join('\n')
      if (key !== this.lastErrors) this.opts.onConfigErrors?.(errors)
      this.lastErrors = key
      this.config = {state: this.lastGood ? 'invalid' : 'none', error: firstLine(err)}
    }
    return this.config
  }

  async reconcile(signal?: AbortSignal): Promise<Outcome> {
    const failed = (config: ConfigStatus, error: string, retry: boolean): Outcome => ({
      result: 'failed',
      counts: emptyCounts(),
      addresses: [],
      error,
      retry,
      config,
    })
    let config: ConfigStatus
    try {
      config = await this.loadConfig()
    } catch (err) {
      return failed({state: this.lastGood ? 'invalid' : 'none'}, `loading the configuration: ${firstLine(err)}`, true)
    }
    const model = this.lastGood
    if (!model) return failed(config, `no valid configuration: ${config.error ?? 'unknown error'}`, false)
    let session: Session
    try {
      session = await this.open(model, signal)
    } catch (err) {
      return failed(config, firstLine(err), true)
    }
    try {
      return await this.planAndApply(session, model, config)
    } finally {
      await session.close()
    }
  }

  /** The pipeline inside the lock: plan, then apply what it finds, asking no one. */
  private async planAndApply(session: Session, model: DesiredModel, config: ConfigStatus): Promise<Outcome> {
    let prepared: PreparedPlan | undefined
    let assertions: AssertionChange | undefined
    const outcome = (result: Outcome['result'], more: Partial<Outcome> = {}): Outcome => {
      const counts = prepared ? planCounts(prepared.plan) : emptyCounts()
      // An assertion that turned false is drift: the host (or the plan) no longer does what was asserted.
      if (assertions) counts.drift += assertions.turnedFalse.length
      return {
        result,
        counts,
        addresses: prepared ? changedAddresses(prepared.plan) : [],
        config,
        ...(assertions ? {assertions} : {}),
        ...more,
      }
    }
    try {
      prepared = await preparePlan(session, {mode: 'normal', targets: []})
      this.rememberContainers(prepared.actual, model)
      assertions = this.assertionWatch.update(prepared.assertions)
      // Never apply a plan with errors (an unmanaged network in the way...): it may be fixed outside, so retry.
      if (prepared.errors.length > 0)
        return outcome('failed', {
          error: `the plan has errors: ${firstLine(new ConfigError(prepared.errors))}`,
          retry: true,
        })
      if (prepared.work === 'none') return outcome('unchanged')
      this.ssh ??= findSshSession({flag: this.opts.sshClient, env: this.opts.env ?? process.env})
      const result = await applyPrepared(session, prepared, {
        allowLockout: this.opts.allowLockout,
        ssh: await this.ssh,
        warn: (m) => this.opts.warn?.(m),
        keepLastPath: true,
        // One the host already broke is logged (above); the plan may still repair the rest.
        assertionGate: 'broken-by-plan',
      })
      if (!result.ok) {
        const what = [
          ...result.failed.map((f) => `${f.address}: ${f.error}`),
          ...result.skipped.map((s) => `${s.address}: ${s.reason}`),
        ]
        const failed = outcome('failed', {
          error: `apply did not complete: ${what.join('; ').split('\n')[0]}`,
          retry: true,
        })
        failed.counts.failed = result.failed.length + result.skipped.length
        return failed
      }
      return outcome(prepared.work === 'changes' ? 'applied' : 'unchanged')
    } catch (err) {
      // A plan the SSH guard or an assertion refuses stays refused until the configuration changes: no retry.
      const refused = err instanceof LockoutError || err instanceof AssertionsFailedError
      return outcome('failed', {error: firstLine(err), retry: !refused})
    }
  }

  /** Network events carry container ids only: remember which running containers the model names. */
  private rememberContainers(actual: ActualModel, model: DesiredModel): void {
    this.knownIds = new Set(
      actual.docker.containers.filter((c) => model.containers.some((m) => m.name === c.name)).map((c) => c.id),
    )
  }

  /** openSession with a lock wait that a stop (signal) cuts short. */
  private async open(model: DesiredModel, signal?: AbortSignal): Promise<Session> {
    // This loop does the waiting, so each attempt fails at once; the configuration is the model in force.
    const base: SessionOptions = {
      ...settingsOf(this.opts),
      lockTimeoutMs: 0,
      operation: 'watch',
      warn: (m) => this.opts.warn?.(m),
      model,
    }
    const statePath = resolveStatePath(this.opts.state, model.settings.statePath)
    const deadline = this.clock.now() + this.opts.lockTimeoutMs
    for (;;) {
      try {
        return await openSession(base)
      } catch (err) {
        if (!(err instanceof StateLockedError)) throw err
        if (signal?.aborted) throw new AbortError(`stopped while waiting for the state lock: ${err.message}`)
        if (this.clock.now() >= deadline) throw err
        // Released between our attempt and this look: try again at once.
        if ((await readLock(statePath).catch(() => null)) !== null) await sleep(this.clock, 100, signal)
      }
    }
  }
}
