// Watching the configuration: fs.watch (inotify) on the directories that hold it.
// A directory (`-c DIR`) is watched for its *.hcl and *.hcl.json files (dotfiles are
// editor backups; the state file and its lock, which often live in the same folder,
// never count). A file (`-c FILE`, `--var-file`) is watched through its directory so
// an editor's write-to-temp-then-rename is seen. Kubernetes ConfigMap volumes swap a
// `..data` symlink; those names count too. The drift interval reloads the files
// anyway, so a missed notification costs at most one interval.
import {watch as fsWatch, statSync} from 'node:fs'
import {basename, dirname, resolve} from 'node:path'

import {formatOf} from '../config/files.js'
import {Backoff} from './backoff.js'
import type {Clock, TimerHandle} from './clock.js'

/** What the watcher needs of an fs.FSWatcher. */
export interface DirWatcher {
  close(): void
  on(event: 'error', listener: (err: Error) => void): unknown
}

export type WatchFn = (dir: string, listener: (event: string, filename: string | Buffer | null) => void) => DirWatcher

export interface ConfigWatchOptions {
  /** `-c`: a directory or a file. */
  config: string
  /** `--var-file` paths. */
  varFiles?: readonly string[]
  onChange: (file: string) => void
  onError: (message: string) => void
  clock: Clock
  /** fs.watch, or a fake in tests. */
  watch?: WatchFn
  /** First delay before re-arming a watcher that failed (default 1 s; doubles up to 30 s). */
  rearmMs?: number
}

interface Target {
  dir: string
  accept: (name: string) => boolean
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** What to watch: directories and the names in each that count as configuration. */
export function watchTargets(config: string, varFiles: readonly string[] = []): Target[] {
  const byDir = new Map<string, Array<(name: string) => boolean>>()
  const add = (dir: string, accept: (name: string) => boolean): void => {
    const key = resolve(dir)
    byDir.set(key, [...(byDir.get(key) ?? []), accept])
  }
  if (isDirectory(config))
    add(config, (name) => (!name.startsWith('.') && formatOf(name) !== undefined) || name.startsWith('..'))
  else {
    const base = basename(config)
    add(dirname(config), (name) => name === base || name.startsWith('..'))
  }
  for (const f of varFiles) {
    const base = basename(f)
    add(dirname(f), (name) => name === base || name.startsWith('..'))
  }
  return [...byDir.entries()].map(([dir, accepts]) => ({dir, accept: (name) => accepts.some((a) => a(name))}))
}

export class ConfigWatcher {
  private readonly watchers = new Map<string, DirWatcher>()
  private readonly timers = new Set<TimerHandle>()
  private stopped = false
  private readonly targets: Target[]
  /** Directories whose watch failed: reported once until it works again. */
  private readonly failing = new Map<string, Backoff>()

  constructor(private readonly opts: ConfigWatchOptions) {
    this.targets = watchTargets(opts.config, opts.varFiles)
  }

  /** The directories watched. */
  get directories(): string[] {
    return this.targets.map((t) => t.dir)
  }

  start(): void {
    for (const t of this.targets) this.arm(t)
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers) this.opts.clock.clearTimeout(t)
    this.timers.clear()
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }

  private arm(t: Target): void {
    if (this.stopped) return
    const watch = this.opts.watch ?? ((dir, listener) => fsWatch(dir, {persistent: true}, listener))
    try {
      const w = watch(t.dir, (_event, filename) => {
        const name = filename === null ? null : filename.toString()
        // No name (some file systems): count it, a spare reconciliation is harmless.
        if (name === null || t.accept(name)) this.opts.onChange(name === null ? t.dir : name)
      })
      w.on('error', (err: Error) => {
        w.close()
        this.watchers.delete(t.dir)
        this.fail(t, `watching ${t.dir} failed: ${err.message}`)
      })
      this.watchers.set(t.dir, w)
      this.failing.delete(t.dir)
    } catch (err) {
      this.fail(t, `cannot watch ${t.dir}: ${(err as Error).message}`)
    }
  }

  private fail(t: Target, message: string): void {
    if (this.stopped) return
    let backoff = this.failing.get(t.dir)
    if (!backoff) {
      const initialMs = this.opts.rearmMs ?? 1000
      backoff = new Backoff({initialMs, maxMs: Math.max(initialMs, 30_000)})
      this.failing.set(t.dir, backoff)
      this.opts.onError(`${message}; retrying (the drift interval still reloads the configuration)`)
    }
    const timer = this.opts.clock.setTimeout(() => {
      this.timers.delete(timer)
      this.arm(t)
    }, backoff.next())
    this.timers.add(timer)
  }
}
