// Running `dockwall watch` (the built CLI) as a child process against a sandbox, for
// the e2e test (test/e2e/watch.test.ts), the soak (watch-soak.ts) and the reaction
// benchmark (test/bench/watch.ts): start it with JSON logs, wait for log records,
// read rules inside a container's namespace, time how long a rule takes to come back.
// The child is started with execa and an argument array (like test/helpers/cli.ts);
// every other program runs through src/util/exec.ts.
import {readFileSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa, type ResultPromise} from 'execa'

import type {Sandbox} from '../sandbox/index.js'
import {run} from '../../src/util/exec.js'

/** The repository root, from the sources (test/soak) or the build (build/test/soak). */
export const REPO_ROOT = findRoot()

function findRoot(): string {
  for (const up of ['../..', '../../..']) {
    const dir = fileURLToPath(new URL(`${up}/`, import.meta.url))
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string}).name === 'dockwall')
        return dir
    } catch {
      // keep looking
    }
  }
  throw new Error('cannot find the dockwall repository root')
}

/** One JSON log line of watch. */
export interface WatchRecord {
  time: string
  level: string
  msg: string
  seq?: number
  result?: string
  triggers?: {kind: string; count: number; details: string[]}[]
  addresses?: string[]
  config?: string
  errors?: string[]
  [k: string]: unknown
}

export interface WatchChild {
  pid: number
  /** Every JSON record printed so far, in order. */
  records: WatchRecord[]
  /** Raw stdout lines that were not JSON, and stderr. */
  other: string[]
  /** Resolves with the first record at index >= `from` that matches (default: from the start). */
  waitFor(match: (r: WatchRecord) => boolean, opts?: {timeoutMs?: number; from?: number}): Promise<WatchRecord>
  /** The exit code once it has exited, else undefined. */
  readonly exitCode: number | undefined
  /** Sends a signal and waits for the exit (SIGKILL after `timeoutMs`); returns the exit code (null when killed). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
  /** Waits for the process to exit on its own (SIGKILL after `timeoutMs`). */
  wait(timeoutMs?: number): Promise<number | null>
  /** Everything it printed, for failure messages. */
  log(): string
}

export interface StartWatchOptions {
  sandbox: Sandbox
  /** Configuration directory. */
  config: string
  /** More flags (e.g. --interval 3s, --status-file F). */
  args?: string[]
  env?: Record<string, string>
}

export function startWatch(opts: StartWatchOptions): WatchChild {
  const {sandbox: sb} = opts
  const argv = [
    join(REPO_ROOT, 'bin/run.js'),
    'watch',
    '--netns',
    sb.netnsPath,
    '--docker-host',
    sb.dockerHost,
    '-c',
    opts.config,
    '--log-format',
    'json',
    ...(opts.args ?? []),
  ]
  const proc: ResultPromise = execa(process.execPath, argv, {
    cwd: REPO_ROOT,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    env: {COLUMNS: '100', NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env},
  })
  const records: WatchRecord[] = []
  const other: string[] = []
  const waiters = new Set<() => void>()
  let exitCode: number | undefined
  let partial = ''
  proc.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8')
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      if (line.trim() === '') continue
      try {
        records.push(JSON.parse(line) as WatchRecord)
      } catch {
        other.push(line)
      }
    }
    for (const w of [...waiters]) w()
  })
  proc.stderr?.on('data', (chunk: Buffer) => other.push(`stderr: ${chunk.toString('utf8').trimEnd()}`))
  const exited = proc.then((r) => {
    exitCode = r.exitCode ?? -1
    for (const w of [...waiters]) w()
    return r.exitCode ?? null
  })
  const log = (): string => [...records.map((r) => JSON.stringify(r)), ...other].join('\n')

  const child: WatchChild = {
    pid: proc.pid ?? -1,
    records,
    other,
    get exitCode() {
      return exitCode
    },
    log,
    waitFor(match, o = {}) {
      const timeoutMs = o.timeoutMs ?? 15_000
      const from = o.from ?? 0
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = records.slice(from).find(match)
          if (found) {
            done()
            resolve(found)
          } else if (exitCode !== undefined) {
            done()
            reject(new Error(`watch exited (code ${exitCode}) before the expected log record; log:\n${log()}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no matching watch log record within ${timeoutMs} ms; log:\n${log()}`))
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    async wait(timeoutMs = 60_000) {
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (exitCode !== undefined) return exitCode
      proc.kill(signal)
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
  }
  return child
}

/** Kinds of triggers in a reconcile record. */
export function triggerKinds(r: WatchRecord): string[] {
  return (r.triggers ?? []).map((t) => t.kind)
}

/** iptables-save of one table inside a running container's network namespace (the sandbox's backend). */
export async function containerRules(
  sb: Sandbox,
  container: string,
  table: 'nat' | 'filter' = 'nat',
): Promise<{pid: number; text: string}> {
  const pid = await sb.containerPid(container)
  const {stdout} = await run(`iptables-${sb.backend}-save`, ['-t', table], {netns: {kind: 'pid', pid}})
  return {pid, text: stdout}
}

/** Docker's State.StartedAt (nanosecond ISO text) as epoch milliseconds. */
export function parseDockerTime(iso: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso)
  if (!m) return Date.parse(iso)
  return Date.parse(`${m[1]}.${(m[2] ?? '0').padEnd(3, '0').slice(0, 3)}${m[3]}`)
}

/** When the container's current process started (epoch ms) and its PID, or null when it is not running. */
export async function containerStart(sb: Sandbox, container: string): Promise<{pid: number; startedAt: number} | null> {
  const info = await sb.docker.getContainer(container).inspect()
  if (!info.State.Running || !info.State.Pid) return null
  return {pid: info.State.Pid, startedAt: parseDockerTime(info.State.StartedAt)}
}

/** Polls `check` every `everyMs` until it returns true; returns the time it became true (epoch ms). */
export async function pollUntil(
  check: () => Promise<boolean>,
  opts: {timeoutMs: number; everyMs?: number; what: string},
): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs
  for (;;) {
    let ok = false
    try {
      ok = await check()
    } catch {
      // the namespace may be gone for a moment (a restart): try again
    }
    if (ok) return Date.now()
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`)
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 25))
  }
}

/**
 * Restarts `container` and measures how long after its new process started the rule
 * whose comment is `dockwall:<address>` is back in its namespace (ms). Polls every
 * `everyMs` (the figure is accurate to about that).
 */
export async function measureRestart(
  sb: Sandbox,
  container: string,
  address: string,
  opts: {everyMs?: number; timeoutMs?: number; table?: 'nat' | 'filter'} = {},
): Promise<{reactionMs: number; pid: number; startedAt: number}> {
  await sb.docker.getContainer(container).restart({t: 1})
  const started = await containerStart(sb, container)
  if (!started) throw new Error(`${container} is not running after its restart`)
  const marker = `dockwall:${address}`
  const at = await pollUntil(
    async () => {
      const {stdout} = await run(`iptables-${sb.backend}-save`, ['-t', opts.table ?? 'nat'], {
        netns: {kind: 'pid', pid: started.pid},
      })
      return stdout.includes(marker)
    },
    {
      timeoutMs: opts.timeoutMs ?? 20_000,
      everyMs: opts.everyMs ?? 10,
      what: `${marker} in ${container} after its restart`,
    },
  )
  return {reactionMs: at - started.startedAt, pid: started.pid, startedAt: started.startedAt}
}

/** Resident set size of a process in kB (VmRSS in /proc/<pid>/status), or null when it is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

/**
 * The configuration the watch tests use: network `front` (the sandbox creates it),
 * containers `web` (10.77.1.10) and `cli` (10.77.1.11), a port forward inside web
 * (8080 → 80, a REDIRECT in web's own namespace) and an accept from cli to web:80.
 * The state file lives in the configuration directory, as it does by default.
 */
export const SUBNET = '10.77.1.0/24'
export const WEB_IP = '10.77.1.10'
export const CLI_IP = '10.77.1.11'

export function watchConfig(extra = ''): string {
  return `dockwall {
  state = "dockwall.state.json"
}

network "front" {
  subnet  = "${SUBNET}"
  gateway = "10.77.1.1"
}

container "web" {
  network "front" {
    ipv4_address = "${WEB_IP}"
  }
}

container "cli" {
  network "front" {
    ipv4_address = "${CLI_IP}"
  }
}

port_forward "web_inside" {
  in_container = container.web
  proto        = "tcp"
  port         = 8080
  to_port      = 80
}

rule "cli_to_web" {
  from  = container.cli
  to    = container.web
  proto = "tcp"
  port  = 80
}
${extra}`
}

/** Creates network `front` and the containers `web` and `cli` (restart=always) in the sandbox, and writes the configuration. */
export async function setupScene(sb: Sandbox, dir: string): Promise<void> {
  await sb.createNetwork('front', SUBNET, '10.77.1.1')
  await sb.runContainer('web', {network: 'front', ip: WEB_IP, restart: 'always'})
  await sb.runContainer('cli', {network: 'front', ip: CLI_IP, restart: 'always'})
  await mkdir(dir, {recursive: true})
  await writeFile(join(dir, 'main.hcl'), watchConfig())
}
