// `dockwall watch` without the command-line parsing: wires the configuration watcher,
// the Docker event stream, the drift interval and the signals to the watch loop, and
// the loop to the reconciler, the log and the status file. Returns the exit code.
import {connectDocker, type DockerConnection} from '../docker/client.js'
import {AbortError, formatDiagnostic, type Diagnostic} from '../errors.js'
import {hostTarget} from '../services/session.js'
import {DOCKWALL_VERSION} from '../version.js'
import {systemClock, type Clock} from './clock.js'
import {ConfigWatcher, type WatchFn} from './config-watch.js'
import {describeEvent, DockerEventStream, dockerSubscribe, type StreamStatus} from './docker-events.js'
import {createLogger, type LogFormat, type Logger} from './log.js'
import {WatchLoop, type Timing} from './loop.js'
import {Reconciler, type ReconcilerOptions} from './reconcile.js'
import {handleSignals, type SignalSource} from './signals.js'
import {StatusTracker, writeStatusFile} from './status.js'
import type {ReconcileReport} from './types.js'

export const DEFAULT_INTERVAL_MS = 30_000
export const MIN_INTERVAL_MS = 1000

export interface WatchOptions extends Omit<
  ReconcilerOptions,
  'clock' | 'onConfigErrors' | 'onConfigWarnings' | 'warn' | 'env'
> {
  /** Drift check period (ms); 0 disables it. */
  intervalMs: number
  logFormat: LogFormat
  /** One reconciliation, then exit 0 (ok) or 1 (failed). */
  once: boolean
  statusFile?: string
  timing?: Partial<Timing>
}

export interface WatchIO {
  /** One complete log line (with its newline). */
  write: (line: string) => void
  signals: SignalSource
  env: NodeJS.ProcessEnv
  /** Ends the process at once (a second SIGTERM/SIGINT). */
  exit: (code: number) => void
  clock?: Clock
  /** fs.watch replacement (tests). */
  watch?: WatchFn
}

/**
 * The drift interval: `--interval`, else network-go's WATCH_PERIOD_SECONDS (seconds,
 * as the seed daemon reads it), else 30 s. 0 disables the periodic check.
 */
export function resolveInterval(flagMs: number | undefined, env: NodeJS.ProcessEnv): {ms: number; source: string} {
  let ms = DEFAULT_INTERVAL_MS
  let source = 'default'
  if (flagMs !== undefined) {
    ms = flagMs
    source = '--interval'
  } else {
    const raw = env.WATCH_PERIOD_SECONDS?.trim()
    if (raw) {
      if (!/^\d+(\.\d+)?$/.test(raw))
        throw new AbortError(
          `WATCH_PERIOD_SECONDS=${raw}: expected a number of seconds, like 30`,
          'unset it, or use --interval 30s',
        )
      ms = Math.round(Number(raw) * 1000)
      source = 'WATCH_PERIOD_SECONDS'
    }
  }
  if (ms !== 0 && ms < MIN_INTERVAL_MS)
    throw new AbortError(
      `drift interval ${ms} ms (from ${source}) is too short: at least 1s, or 0 to disable the periodic check`,
    )
  return {ms, source}
}

function streamLogger(logger: Logger, onReconnect: () => void): (s: StreamStatus) => void {
  return (s) => {
    if (s.state === 'connected') {
      logger.log('info', 'docker-events', {state: 'connected', reconnect: s.reconnect, down_ms: s.downMs})
      if (s.reconnect) onReconnect()
      return
    }
    // The first failure, then one line in twenty: a daemon down for an hour must not flood the log.
    if (s.attempt === 1 || s.attempt % 20 === 0) {
      logger.log('warn', 'docker-events', {
        state: 'disconnected',
        error: s.error,
        attempt: s.attempt,
        retry_in_ms: s.retryInMs,
      })
    }
  }
}

export async function runWatch(opts: WatchOptions, io: WatchIO): Promise<number> {
  const clock = io.clock ?? systemClock
  const logger = createLogger(opts.logFormat, io.write, () => clock.now())
  // A --netns typo must fail now, not at the first reconciliation.
  await hostTarget(opts.netns)

  const reconciler = createReconciler(opts, io.env, clock, logger)
  const loop = new WatchLoop({
    clock,
    reconcile: (_triggers, signal) => reconciler.reconcile(signal),
    report: statusReporter(opts, clock, logger),
    intervalMs: opts.once ? 0 : opts.intervalMs,
    timing: opts.timing ?? {},
    onError: (err) => logger.log('error', 'internal', {error: err instanceof Error ? err.message : String(err)}),
  })

  // A bad DOCKER_HOST fails here, before any handler is installed.
  const conn = opts.once ? null : await connectDocker(opts.dockerHost)
  let stopRequested: ((signal: NodeJS.Signals) => void) | undefined
  const stopped = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve))
  const unhook = handleSignals(io.signals, {
    reconcile: (signal) => loop.trigger('signal', signal),
    stop: (signal) => stopRequested?.(signal),
    force: (signal) => {
      logger.log('warn', 'stop-forced', {
        signal,
        note: 'second signal: exiting without waiting; the state lock is released on exit',
      })
      io.exit(1)
    },
  })
  try {
    if (!conn) {
      // SIGTERM during --once: the reconciliation finishes (a lock wait is cut short), then we exit.
      void stopped.then(() => loop.stop())
      const r = await loop.runOnce('startup')
      return r.result === 'failed' ? 1 : 0
    }
    return await runDaemon({opts, io, clock, logger, reconciler, loop, conn, stopped})
  } finally {
    unhook()
  }
}

/** The reconciler, with configuration errors and warnings going to the log. */
function createReconciler(opts: WatchOptions, env: NodeJS.ProcessEnv, clock: Clock, logger: Logger): Reconciler {
  // file:line:column: message, one per diagnostic: a list in JSON, "; "-separated in text (messages hold commas).
  const lines = (diagnostics: Diagnostic[]): string[] | string => {
    const list = diagnostics.map((d) => formatDiagnostic(d).split('\n')[0] ?? d.summary)
    return opts.logFormat === 'json' ? list : list.join('; ')
  }
  const reconciler: Reconciler = new Reconciler({
    ...opts,
    env,
    clock,
    onConfigErrors: (diagnostics) =>
      logger.log('error', 'config-invalid', {
        errors: lines(diagnostics),
        kept: reconciler.model
          ? 'the last good configuration stays in force'
          : 'no good configuration yet: nothing is reconciled until it is fixed',
      }),
    onConfigWarnings: (diagnostics) => logger.log('warn', 'config-warning', {warnings: lines(diagnostics)}),
    warn: (message) => logger.log('warn', 'warning', {message}),
  })
  return reconciler
}

/** Each reconciliation: one log line, and the status file rewritten (a failing write is logged once, not every time). */
function statusReporter(opts: WatchOptions, clock: Clock, logger: Logger): (r: ReconcileReport) => Promise<void> {
  const tracker = new StatusTracker({
    pid: process.pid,
    started: new Date(clock.now()).toISOString(),
    intervalMs: opts.intervalMs,
  })
  let statusFailed = false
  return async (r) => {
    logger.reconcile(r)
    if (!opts.statusFile) return
    try {
      await writeStatusFile(opts.statusFile, tracker.update(r))
      statusFailed = false
    } catch (err) {
      if (!statusFailed) logger.log('error', 'status-file', {file: opts.statusFile, error: (err as Error).message})
      statusFailed = true
    }
  }
}

interface Daemon {
  opts: WatchOptions
  io: WatchIO
  clock: Clock
  logger: Logger
  reconciler: Reconciler
  loop: WatchLoop
  conn: DockerConnection
  /** Resolves with the signal that asked to stop. */
  stopped: Promise<NodeJS.Signals>
}

/** The daemon: Docker events and configuration changes trigger the loop until a signal stops it. */
async function runDaemon({opts, io, clock, logger, reconciler, loop, conn, stopped}: Daemon): Promise<number> {
  logger.log('info', 'start', {
    version: DOCKWALL_VERSION,
    pid: process.pid,
    config: opts.config,
    docker: conn.display,
    netns: opts.netns,
    interval_ms: opts.intervalMs,
    lock: 'per-reconciliation',
    status_file: opts.statusFile,
  })
  const events = new DockerEventStream({
    subscribe: dockerSubscribe(conn),
    clock,
    onEvent: (e) => {
      // A started container has a new, empty namespace: its rules are wanted now.
      if (reconciler.isRelevant(e))
        loop.trigger('docker', describeEvent(e), {urgent: e.type === 'container' && e.action === 'start'})
    },
    onStatus: streamLogger(logger, () => loop.trigger('reconnect')),
  })
  const watcher = new ConfigWatcher({
    config: opts.config,
    varFiles: opts.varFiles ?? [],
    clock,
    onChange: (file) => loop.trigger('config', file),
    onError: (message) => logger.log('warn', 'config-watch', {error: message}),
    ...(io.watch ? {watch: io.watch} : {}),
  })
  try {
    // Subscribe before the first refresh, so no event falls between what it reads and what we hear.
    await events.start()
    watcher.start()
    loop.start()
    loop.trigger('startup')
    const signal = await stopped
    logger.log('info', 'stopping', {signal, waiting_for: loop.busy ? 'the reconciliation in progress' : undefined})
    await loop.stop()
  } finally {
    events.stop()
    watcher.stop()
    await loop.stop()
  }
  logger.log('info', 'stopped', {note: 'nothing was torn down; the rules stay in place'})
  return 0
}
