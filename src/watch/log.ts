// The watch log: one line per event, as logfmt text (`key=value`, the form Go's slog
// and journald-friendly daemons print) or as JSON lines (`--log-format json`). Every
// reconciliation is exactly one `msg=reconcile` line; the other messages are start,
// stop, Docker event stream state and configuration errors.
import type {ReconcileReport, Trigger, TriggerKind} from './types.js'

export type LogFormat = 'text' | 'json'
export type LogLevel = 'info' | 'warn' | 'error'

export type LogValue = string | number | boolean | null | undefined | LogValue[] | {[key: string]: LogValue}

/** A log record: `time`, `level` and `msg` first, then fields in insertion order. */
export interface LogRecord {
  time: string
  level: LogLevel
  msg: string
  [field: string]: LogValue
}

/** logfmt value: bare when it is a simple token, else a JSON string. Arrays join with commas. */
function logfmtValue(value: LogValue): string {
  if (value === null || value === undefined) return '""'
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  const text = Array.isArray(value)
    ? value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? ''))).join(',')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : value
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text)
}

export function formatRecord(record: LogRecord, format: LogFormat): string {
  if (format === 'json') {
    const clean: Record<string, LogValue> = {}
    for (const [k, v] of Object.entries(record)) if (v !== undefined) clean[k] = v
    return JSON.stringify(clean)
  }
  return Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${logfmtValue(v)}`)
    .join(' ')
}

export interface TriggerGroup {
  kind: TriggerKind
  count: number
  /** Distinct details, in arrival order (at most 10). */
  details: string[]
}

const MAX_DETAILS = 10

/** Triggers grouped by kind in order of first arrival: `docker ×3 (container die web, container start web)`. */
export function groupTriggers(triggers: readonly Trigger[]): TriggerGroup[] {
  const groups: TriggerGroup[] = []
  for (const t of triggers) {
    let g = groups.find((x) => x.kind === t.kind)
    if (!g) groups.push((g = {kind: t.kind, count: 0, details: []}))
    g.count++
    if (t.detail !== undefined && !g.details.includes(t.detail) && g.details.length < MAX_DETAILS)
      g.details.push(t.detail)
  }
  return groups
}

/** `docker(container die web; container start web),interval` */
export function triggerText(triggers: readonly Trigger[]): string {
  return groupTriggers(triggers)
    .map((g) => (g.details.length > 0 ? `${g.kind}(${g.details.join('; ')})` : g.kind))
    .join(',')
}

const MAX_ADDRESSES = 20

/**
 * The one line for a reconciliation. Text: `trigger` is a short summary and
 * `addresses` at most 20; JSON: `triggers` as structured groups and every address.
 */
export function reconcileRecord(r: ReconcileReport, format: LogFormat = 'text'): LogRecord {
  const turnedFalse = r.assertions?.turnedFalse ?? []
  const level: LogLevel =
    r.result === 'failed' ? 'error' : r.config.state === 'invalid' || turnedFalse.length > 0 ? 'warn' : 'info'
  const shown = format === 'json' ? r.addresses : r.addresses.slice(0, MAX_ADDRESSES)
  const more = r.addresses.length - shown.length
  return {
    time: new Date(r.finishedAt).toISOString(),
    level,
    msg: 'reconcile',
    seq: r.seq,
    ...(format === 'json'
      ? {triggers: groupTriggers(r.triggers) as unknown as LogValue}
      : {trigger: triggerText(r.triggers)}),
    result: r.result,
    import: r.counts.import,
    add: r.counts.add,
    change: r.counts.change,
    destroy: r.counts.destroy,
    deferred: r.counts.deferred,
    drift: r.counts.drift,
    failed: r.counts.failed,
    duration_ms: Math.round(r.durationMs),
    addresses: more > 0 ? [...shown, `(+${more} more)`] : shown,
    // Only with assert blocks: which fail on the host as planned, which turned false (or true) since the last line.
    assertions_failing: r.assertions?.failing,
    assertions_turned_false: turnedFalse.length > 0 ? turnedFalse : undefined,
    assertions_turned_true: r.assertions?.turnedTrue.length ? r.assertions.turnedTrue : undefined,
    config: r.config.state === 'ok' ? undefined : r.config.state,
    config_error: r.config.state === 'ok' ? undefined : r.config.error,
    error: r.error,
  }
}

export interface Logger {
  readonly format: LogFormat
  log(level: LogLevel, msg: string, fields?: Record<string, LogValue>): void
  reconcile(report: ReconcileReport): void
}

export function createLogger(format: LogFormat, write: (line: string) => void, now: () => number = Date.now): Logger {
  const emit = (rec: LogRecord): void => write(`${formatRecord(rec, format)}\n`)
  return {
    format,
    log: (level, msg, fields = {}) => emit({time: new Date(now()).toISOString(), level, msg, ...fields}),
    reconcile: (report) => emit(reconcileRecord(report, format)),
  }
}
