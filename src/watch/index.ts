// `dockwall watch`: the daemon that keeps the host converged (issue 7). The loop,
// its trigger sources and its outputs, each testable without a terminal or Docker.
export {runWatch, resolveInterval, DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS} from './run.js'
export type {WatchOptions, WatchIO} from './run.js'
export {WatchLoop, DEFAULT_TIMING, DEFAULT_RETRY} from './loop.js'
export type {LoopOptions, ReconcileFn, Timing} from './loop.js'
export {Reconciler, planCounts} from './reconcile.js'
export type {ReconcilerOptions} from './reconcile.js'
export {
  DockerEventStream,
  JsonLines,
  parseEvent,
  describeEvent,
  dockerSubscribe,
  RELEVANT_ACTIONS,
  DEFAULT_RECONNECT,
} from './docker-events.js'
export type {DockerEvent, EventStreamOptions, StreamStatus} from './docker-events.js'
export {ConfigWatcher, watchTargets} from './config-watch.js'
export type {ConfigWatchOptions, DirWatcher, WatchFn} from './config-watch.js'
export {createLogger, formatRecord, reconcileRecord, groupTriggers, triggerText} from './log.js'
export type {LogFormat, LogLevel, LogRecord, Logger, TriggerGroup} from './log.js'
export {StatusTracker, writeStatusFile, STATUS_VERSION} from './status.js'
export type {WatchStatus} from './status.js'
export {handleSignals} from './signals.js'
export type {SignalSource, SignalHandlers} from './signals.js'
export {Backoff} from './backoff.js'
export type {BackoffOptions} from './backoff.js'
export {systemClock, sleep} from './clock.js'
export type {Clock, TimerHandle} from './clock.js'
export type {
  Trigger,
  TriggerKind,
  Outcome,
  ReconcileReport,
  ReconcileResult,
  ChangeCounts,
  ConfigStatus,
} from './types.js'
