// A session is what plan, apply, destroy and import share: the loaded
// configuration, the locked state, the Docker connection and the namespace that
// plays the host. Commands open one, hand it to a service, and close it.
import {stat} from 'node:fs/promises'
import path from 'node:path'

import {discoverFiles} from '../config/files.js'
import {connectDocker, connectDockerReader, type DockerConnection, type DockerReader} from '../docker/client.js'
import {listDocker, type DockerLists} from '../docker/read.js'
import {AbortError, ConfigError, ConfigNotFoundError, type Diagnostic} from '../errors.js'
import type {BackendSetting, DesiredModel} from '../model/types.js'
import {readNamespaceSaves, startSaves, type NamespaceSaves, type RawSaves} from '../refresh/namespace.js'
import type {Lock, State} from '../state/index.js'
import {resolveStatePath} from '../state/paths.js'
import {mayHavePending} from './confirm-paths.js'
import type {NetnsTarget} from '../util/exec.js'

/** Where and on what a command works, as the shared flags say it (mapped once, by src/cli/session-flags.ts). */
export interface SessionSettings {
  config: string
  vars?: string[]
  varFiles?: string[]
  /** `--state`; falls back to the configuration's setting, then dockwall.state.json beside it. */
  state?: string
  lockTimeoutMs: number
  /** `--lock=false` (Terraform's -lock=false): take no state lock. Default true. */
  lock?: boolean
  netns?: string
  dockerHost?: string
  /** `--backend` overrides the configuration. */
  backend?: BackendSetting
}

/** Just the settings of a larger options object (watch's options carry more). */
export function settingsOf(o: SessionSettings): SessionSettings {
  const out: SessionSettings = {
    config: o.config,
    vars: o.vars ?? [],
    varFiles: o.varFiles ?? [],
    lockTimeoutMs: o.lockTimeoutMs,
  }
  if (o.lock === false) out.lock = false
  if (o.state) out.state = o.state
  if (o.netns) out.netns = o.netns
  if (o.dockerHost) out.dockerHost = o.dockerHost
  if (o.backend) out.backend = o.backend
  return out
}

export interface SessionOptions extends SessionSettings {
  /** Shown to a second dockwall waiting for the lock: plan, apply, destroy... */
  operation: string
  warn: (message: string) => void
  /** A desired model to use instead of loading the configuration (a saved plan carries its own). */
  model?: DesiredModel
}

/** What a session's users do with its lock: check it before a write, release it at the end. */
export type SessionLock = Pick<Lock, 'check' | 'release'>

/** The warning --lock=false prints, once per session. */
export const NO_LOCK_WARNING =
  '--lock=false: no state lock is taken, so another dockwall running on this state at the same time is not detected; their reads and writes of the host and the state can interleave'

/** --lock=false: nothing to check (no force-unlock can take what was never held), nothing to release. */
const NO_LOCK: SessionLock = {check: async () => {}, release: async () => {}}

export interface Session {
  model: DesiredModel
  configWarnings: Diagnostic[]
  statePath: string
  state: State | null
  /** The state lock, or a stand-in that holds nothing under --lock=false. */
  lock: SessionLock
  /**
   * Reads Docker with the small reader (connectDockerReader): dockerode's load (ssh2, grpc,
   * protobufjs; about 0.25 s) costs more than a plan's reads.
   */
  docker: DockerReader
  /** dockerode, for the changes apply makes in Docker: loaded on the first call, so an apply of rules alone never loads it. */
  dockerWriter(): Promise<DockerConnection>
  host: NetnsTarget
  backend: BackendSetting
  /**
   * The host's iptables-save (both backends, both families), started as soon as the lock is
   * held, so that it runs while the state is read and decoded: at 20,000 rules on nft the save
   * takes about 0.4 s and the decode 0.2-0.3 s. The first refresh of this host and backend
   * takes it; every later one (apply's replan after Docker changes) reads again.
   */
  takeHostSaves(host: NetnsTarget, backend: BackendSetting): Promise<NamespaceSaves> | undefined
  /**
   * Docker's engine and list calls, started with the host's saves: dockerd answers (on its
   * own CPU) while the state is read. The first refresh takes them; later ones read again.
   */
  takeDockerLists(): Promise<DockerLists> | undefined
  close(): Promise<void>
}

/** `--netns NAME` means /var/run/netns/NAME; a path is used as is. It must exist: a typo must not fall back to the real host. */
export async function hostTarget(netns: string | undefined): Promise<NetnsTarget> {
  if (!netns) return {kind: 'current'}
  const p = netns.includes('/') ? netns : `/var/run/netns/${netns}`
  try {
    await stat(p)
  } catch {
    throw new AbortError(
      `network namespace ${p} does not exist`,
      `create it with \`ip netns add ${path.basename(p)}\`, or drop --netns to work on this host`,
    )
  }
  return {kind: 'path', path: p}
}

/** The Docker connection and the namespace that plays the host, for reads that take no lock (show, import --all). */
export async function connectHost(
  settings: Pick<SessionSettings, 'netns' | 'dockerHost'>,
): Promise<{docker: DockerConnection; host: NetnsTarget}> {
  const docker = await connectDocker(settings.dockerHost)
  return {docker, host: await hostTarget(settings.netns)}
}

/** connectHost for a command that only reads Docker (explain): a small client where dockerode is not needed. */
export async function connectHostReader(
  settings: Pick<SessionSettings, 'netns' | 'dockerHost'>,
): Promise<{docker: DockerReader; host: NetnsTarget}> {
  const docker = await connectDockerReader(settings.dockerHost)
  return {docker, host: await hostTarget(settings.netns)}
}

export async function loadModel(
  opts: Pick<SessionOptions, 'config' | 'vars' | 'varFiles'>,
  /** Called with the configuration's files once they are found, before they are read. */
  found?: (files: readonly string[]) => Promise<void>,
): Promise<{model: DesiredModel; warnings: Diagnostic[]}> {
  // No configuration files: said before the loader (its parsers and zod's schemas, a tenth of a
  // second of start-up) is loaded, for the commands that do without one (explain, show).
  const discovered = await discoverFiles(opts.config)
  if ('diagnostic' in discovered && discovered.diagnostic.code === 'config-not-found')
    throw new ConfigNotFoundError([discovered.diagnostic])
  if (found && 'files' in discovered) await found(discovered.files.map((f) => f.file))
  const {loadConfig} = await import('../config/index.js')
  const result = await loadConfig({
    path: opts.config,
    vars: opts.vars ?? [],
    varFiles: opts.varFiles ?? [],
  })
  if (!result.model) {
    if (result.diagnostics.some((d) => d.code === 'config-not-found')) throw new ConfigNotFoundError(result.diagnostics)
    throw new ConfigError(result.diagnostics)
  }
  return {model: result.model, warnings: result.diagnostics.filter((d) => d.severity === 'warning')}
}

/** Operations that change nothing: an apply waiting for confirmation is only mentioned to them. */
const READ_ONLY = new Set(['plan', 'graph'])

export async function openSession(opts: SessionOptions): Promise<Session> {
  const host = await hostTarget(opts.netns)
  // For a large configuration the host's saves start before it is read, so iptables-save runs on
  // the other CPU meanwhile (at 20,000 rules on nft, 0.3-0.6 s of save beside as much of loading;
  // a small one is read in milliseconds, and a save started then only competed with start-up: a
  // small plan took 11 ms longer). Read before the lock, they are used only when no other
  // dockwall can have written since they started (earlySavesHold); otherwise they are killed and
  // the host is read again.
  let earlyFrom = 0
  const early = new AbortController()
  let earlySaves: Promise<RawSaves> | undefined
  const startEarly = async (files: readonly string[]): Promise<void> => {
    if ((await totalBytes(files)) < EARLY_SAVES_MIN_BYTES) return
    earlyFrom = Date.now()
    earlySaves = startSaves(host, {ipv6: true, signal: early.signal})
    earlySaves.catch(() => {})
  }
  let lock: SessionLock | undefined
  try {
    const {model, warnings} = opts.model ? {model: opts.model, warnings: []} : await loadModel(opts, startEarly)
    const statePath = resolveStatePath(opts.state, model.settings.statePath)
    // The lock and the state's decoder (zod): loaded here, not with the module, since
    // connectHostReader's readers (explain) need neither.
    const {acquireLock, checkStateFiles, readState} = await import('../state/index.js')
    // An apply waiting for confirmation (apply --confirm-within) holds off changes; one whose timer
    // is gone is rolled back first. The confirm window's machinery (apply's rollback, zod schemas)
    // loads only when its file is there: most runs find none.
    const pending = await mayHavePending(statePath)
    if (pending) {
      const {settlePending} = await import('./confirm.js')
      await settlePending(statePath, !READ_ONLY.has(opts.operation), opts.warn)
    }
    if (opts.lock === false) opts.warn(NO_LOCK_WARNING)
    const held =
      opts.lock === false
        ? undefined
        : await acquireLock(statePath, {
            timeoutMs: opts.lockTimeoutMs,
            operation: opts.operation,
            warn: opts.warn,
            releaseOnSignal: false,
          })
    const sessionLock: SessionLock = held ?? NO_LOCK
    lock = sessionLock
    const backend = opts.backend ?? model.settings.backend
    // The saves started early, or else read now that the lock is held (another dockwall's apply is
    // over; with --lock=false there is none, as for every read), before the state is decoded.
    const useEarly =
      earlySaves !== undefined && !pending && (await earlySavesHold(statePath, earlyFrom, held?.contended ?? false))
    if (!useEarly) early.abort()
    let hostSaves: Promise<NamespaceSaves> | undefined = readNamespaceSaves(
      host,
      backend,
      {ipv6: true},
      useEarly ? earlySaves : undefined,
    )
    // Taken or not, a failure is the refresh's to report (or nobody's, when the session fails first).
    hostSaves.catch(() => {})
    const takeHostSaves = (target: NetnsTarget, setting: BackendSetting): Promise<NamespaceSaves> | undefined => {
      const started = hostSaves
      hostSaves = undefined
      return started && setting === backend && sameTarget(target, host) ? started : undefined
    }
    const docker = await connectDockerReader(opts.dockerHost)
    // The configuration's containers are inspected with the lists: a refresh inspects them in any case.
    let dockerLists: Promise<DockerLists> | undefined = listDocker(
      docker,
      model.containers.map((c) => c.name),
    )
    dockerLists.catch(() => {})
    // Symbolic links in place of the state or its backup are refused before anything happens; a killed run's temp files go.
    await checkStateFiles(statePath)
    const state = await readState(statePath)
    let writer: Promise<DockerConnection> | undefined
    return {
      model,
      configWarnings: warnings,
      statePath,
      state,
      lock: sessionLock,
      docker,
      dockerWriter: () => (writer ??= connectDocker(opts.dockerHost)),
      host,
      backend,
      takeHostSaves,
      takeDockerLists: () => {
        const started = dockerLists
        dockerLists = undefined
        return started
      },
      close: () => sessionLock.release(),
    }
  } catch (err) {
    // A configuration error must not wait for the host's saves; they are not used.
    early.abort()
    await lock?.release()
    throw err
  }
}

/** Configurations this large (about 2,500 rules) have the host's saves started before they are read. */
export const EARLY_SAVES_MIN_BYTES = 256 * 1024

async function totalBytes(files: readonly string[]): Promise<number> {
  const sizes = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  )
  return sizes.reduce((a, b) => a + b, 0)
}

/**
 * Whether saves started at `from`, before the lock was held, still show the host as it is:
 * no other dockwall held the lock when it was asked for (`contended`), and none wrote the
 * state since (an apply writes it after every step that changed the host, so a change the
 * saves may have missed is followed by a newer state file).
 */
export async function earlySavesHold(statePath: string, from: number, contended: boolean): Promise<boolean> {
  if (contended) return false
  try {
    // The kernel stamps files with a coarse clock (a tick, up to 10 ms, behind the time `from`
    // was read with): a file stamped less than 100 ms before `from` counts as written since.
    const s = await stat(statePath)
    return Math.max(s.mtimeMs, s.ctimeMs) < from - 100
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' // no state file: nobody has written one
  }
}

function sameTarget(a: NetnsTarget, b: NetnsTarget): boolean {
  switch (a.kind) {
    case 'current':
      return b.kind === 'current'
    case 'path':
      return b.kind === 'path' && b.path === a.path
    case 'pid':
      return b.kind === 'pid' && b.pid === a.pid
  }
}
