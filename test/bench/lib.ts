// Shared pieces of `npm run bench` (test/bench/run.ts): the options every
// benchmark's `main(opts)` takes, the figures it returns, timing with medians,
// the CLI runner, and the environment facts printed with the figures.
//
// Honest figures, no timed assertions: a benchmark reports what it measured (median,
// min and max of N runs after a warm-up), the baseline it is compared with, and the
// target from the issue; it never fails because a number is high. It fails only when
// the work itself went wrong (a restore that did not load, a plan that is not what
// the setup made), since a figure for the wrong work means nothing.
import {readFileSync} from 'node:fs'
import {request} from 'node:http'
import {cpus, loadavg, release, totalmem} from 'node:os'
import {fileURLToPath} from 'node:url'

import type {Backend} from '../../src/model/types.js'
import {run, type NetnsTarget, type RunResult} from '../../src/util/exec.js'
import type {BigHost} from './host.js'

/** The repository root (the directory holding package.json and bin/run.js). */
export const REPO_ROOT = findRoot()

function findRoot(): string {
  // Compiled: build/test/bench/lib.js; from source: test/bench/lib.ts.
  for (const up of ['../../..', '../..']) {
    const dir = fileURLToPath(new URL(`${up}/`, import.meta.url))
    try {
      if (JSON.parse(readFileSync(`${dir}package.json`, 'utf8')).name === 'dockwall') return dir
    } catch {
      // keep looking
    }
  }
  throw new Error('cannot find the dockwall repository root from test/bench')
}

export interface BenchOptions {
  /** Timed runs per measurement (after one warm-up); figures are medians. */
  iterations: number
  /** Sandbox backends to measure. */
  backends: Backend[]
  /** Smaller sizes and fewer runs, for trying the harness itself. */
  quick: boolean
  log: (line: string) => void
  /** Shared large hosts (refresh and plan use the same one); created on demand when absent. */
  hosts?: HostProvider
}

/** Hands out a populated sandbox per backend; test/bench/host.ts implements it. */
export interface HostProvider {
  get(backend: Backend): Promise<BigHost>
}

/** One measured figure. Times are seconds. */
export interface Figure {
  /** Table section, e.g. `refresh · nft`. */
  section: string
  label: string
  /** Median of the timed runs. */
  median: number
  min?: number
  max?: number
  runs?: number
  /** What the figure is compared with (a floor or a baseline), and its median. */
  baseline?: {label: string; median: number}
  /** median / baseline.median */
  ratio?: number
  /** The issue's target for the ratio, when it sets one. */
  target?: {maxRatio: number; issue: number}
  /** Whether the target was met (only when there is a target). */
  met?: boolean
  note?: string
}

export interface BenchReport {
  bench: string
  figures: Figure[]
  /** Facts worth printing apart from the figures (verified lazy imports, sizes, setup times). */
  notes: string[]
}

export function defaultOptions(partial: Partial<BenchOptions> = {}): BenchOptions {
  return {iterations: 5, backends: ['nft', 'legacy'], quick: false, log: (l) => console.log(l), ...partial}
}

/** Accepts the options object, or nothing (standalone use). */
export function resolveOptions(opts: unknown): BenchOptions {
  return typeof opts === 'object' && opts !== null ? defaultOptions(opts as Partial<BenchOptions>) : defaultOptions()
}

export interface Stats {
  median: number
  min: number
  max: number
  runs: number
  all: number[]
}

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('no samples')
  const all = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(all.length / 2)
  const median = all.length % 2 === 1 ? all[mid]! : (all[mid - 1]! + all[mid]!) / 2
  return {median, min: all[0]!, max: all[all.length - 1]!, runs: all.length, all}
}

export async function timeOnce(f: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now()
  await f()
  return (performance.now() - t0) / 1000
}

/**
 * Runs `f` once untimed (warm-up: JIT, page cache, Docker's caches), then `n` timed
 * times. `between` runs untimed after every run (to reset the namespace).
 */
export async function measure(
  n: number,
  f: (i: number) => Promise<unknown> | unknown,
  opts: {warmup?: boolean; between?: () => Promise<unknown>} = {},
): Promise<Stats> {
  if (opts.warmup !== false) {
    await f(-1)
    await opts.between?.()
  }
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    samples.push(await timeOnce(() => f(i)))
    await opts.between?.()
  }
  return stats(samples)
}

/**
 * Times several subjects in rounds (one warm-up each, then `n` rounds of every subject
 * in turn), so a floor and what is compared with it share the machine's load as it
 * drifts: on a busy machine, timing one after the other would skew their ratio.
 * `between` runs untimed after every timed run of a subject (to reset the namespace).
 */
export async function measureRounds<K extends string>(
  n: number,
  subjects: Record<K, () => Promise<unknown> | unknown>,
  opts: {warmup?: boolean; between?: Partial<Record<K, () => Promise<unknown>>>} = {},
): Promise<Record<K, Stats>> {
  const keys = Object.keys(subjects) as K[]
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>
  if (opts.warmup !== false) {
    for (const k of keys) {
      await subjects[k]()
      await opts.between?.[k]?.()
    }
  }
  for (let i = 0; i < n; i++) {
    for (const k of keys) {
      samples[k].push(await timeOnce(() => subjects[k]()))
      await opts.between?.[k]?.()
    }
  }
  return Object.fromEntries(keys.map((k) => [k, stats(samples[k])])) as Record<K, Stats>
}

/** A figure from stats, with an optional baseline and target. */
export function figure(
  section: string,
  label: string,
  s: Stats,
  extra: {baseline?: {label: string; stats: Stats}; target?: {maxRatio: number; issue: number}; note?: string} = {},
): Figure {
  const f: Figure = {section, label, median: s.median, min: s.min, max: s.max, runs: s.runs}
  if (extra.baseline) {
    f.baseline = {label: extra.baseline.label, median: extra.baseline.stats.median}
    f.ratio = s.median / extra.baseline.stats.median
    if (extra.target) {
      f.target = extra.target
      f.met = f.ratio <= extra.target.maxRatio
    }
  }
  if (extra.note) f.note = extra.note
  return f
}

// ---- the CLI under test -------------------------------------------------------------

export interface CliRun extends RunResult {
  seconds: number
}

/**
 * Runs the built CLI (`node bin/run.js ARGS`) through src/util/exec.ts and times it
 * from spawn to exit. `okExitCodes`: 0 always; add 2 for `plan --detailed-exitcode`.
 */
export async function runCli(
  args: readonly string[],
  opts: {env?: Record<string, string>; okExitCodes?: number[]; netns?: NetnsTarget; nodeArgs?: string[]} = {},
): Promise<CliRun> {
  // (nodeArgs: e.g. the import tracer below; `--cpu-prof` to profile one run)
  const t0 = performance.now()
  const r = await run(process.execPath, [...(opts.nodeArgs ?? []), `${REPO_ROOT}bin/run.js`, ...args], {
    // SSH_CONNECTION empty: the runner's own session is not the sandbox's (no confirm window).
    env: {NO_COLOR: '1', FORCE_COLOR: '0', COLUMNS: '100', SSH_CONNECTION: '', ...opts.env},
    okExitCodes: opts.okExitCodes ?? [],
    ...(opts.netns ? {netns: opts.netns} : {}),
  })
  return {...r, seconds: (performance.now() - t0) / 1000}
}

/**
 * The packages a CLI run loaded through the ESM loader (CommonJS packages show their
 * entry file, which is what an `import()` of them loads), from test/bench/trace-imports.ts.
 * Returns the sorted package names.
 */
export async function loadedPackages(
  args: readonly string[],
  opts: {env?: Record<string, string>; okExitCodes?: number[]} = {},
): Promise<string[]> {
  const {mkdtemp, readFile, rm} = await import('node:fs/promises')
  const {tmpdir} = await import('node:os')
  const dir = await mkdtemp(`${tmpdir()}/dockwall-trace-`)
  try {
    const file = `${dir}/loaded.txt`
    await runCli(args, {
      ...opts,
      env: {...opts.env, DOCKWALL_BENCH_TRACE: file},
      nodeArgs: ['--import', `${REPO_ROOT}build/test/bench/trace-imports.js`],
    })
    const urls = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean)
    const pkgs = new Set<string>()
    for (const u of urls) {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)
      if (m) pkgs.add(m[1]!)
    }
    return [...pkgs].sort()
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** The heavy packages to load lazily (docs/ARCHITECTURE.md, "Start-up"), as found in `loaded`. */
export function heavyLoaded(loaded: readonly string[]): string[] {
  return loaded.filter((p) => ['ink', 'react', 'hcl2-parser', '@cdktf/hcl2json', 'dockerode'].includes(p))
}

// ---- raw Docker API call (the floor's list call) ----------------------------------------

/** `GET path` on a unix socket, parsed as JSON: the least a Docker client can do. */
export function dockerGet(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({socketPath, path, method: 'GET', headers: {Host: 'docker'}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))
        else {
          try {
            resolve(JSON.parse(body))
          } catch (error) {
            reject(error)
          }
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

// ---- environment facts --------------------------------------------------------------

export interface EnvFacts {
  cpus: number
  cpuModel: string
  memoryGiB: number
  loadAverage: number[]
  node: string
  kernel: string
  iptables: string
  iptablesLegacy: string
  docker: string
  commit: string
  date: string
}

async function firstLine(file: string, args: string[]): Promise<string> {
  try {
    const r = await run(file, args)
    return (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? ''
  } catch {
    return 'unavailable'
  }
}

export async function environmentFacts(): Promise<EnvFacts> {
  const [iptables, iptablesLegacy, docker, head, dirty] = await Promise.all([
    firstLine('iptables', ['-V']),
    firstLine('iptables-legacy', ['-V']),
    firstLine('dockerd', ['--version']),
    firstLine('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
    run('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no']).then(
      (r) => r.stdout.trim() !== '',
      () => false,
    ),
  ])
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    kernel: release(),
    iptables,
    iptablesLegacy,
    docker,
    commit: `${head}${dirty ? ' (with uncommitted changes)' : ''}`,
    date: new Date().toISOString(),
  }
}

export function formatEnv(e: EnvFacts): string[] {
  return [
    `CPUs: ${e.cpus} × ${e.cpuModel}; memory ${e.memoryGiB} GiB; load average at start ${e.loadAverage.join(' ')} (1, 5, 15 min)`,
    `node ${e.node}; kernel ${e.kernel}; ${e.iptables}; ${e.iptablesLegacy}; ${e.docker}`,
    `dockwall ${e.commit}; ${e.date}`,
  ]
}

// ---- formatting -----------------------------------------------------------------------

export function secs(x: number): string {
  return x >= 10 ? `${x.toFixed(1)} s` : x >= 1 ? `${x.toFixed(2)} s` : `${(x * 1000).toFixed(x < 0.01 ? 1 : 0)} ms`
}

/** The figures as a plain-text table, one block per section. */
export function renderTable(figures: readonly Figure[]): string {
  const header = ['measurement', 'median', 'min–max', 'n', 'compared with', 'ratio', 'target']
  const rows: string[][] = []
  const sections: string[] = []
  for (const f of figures) if (!sections.includes(f.section)) sections.push(f.section)
  const out: string[] = []
  const cells = (f: Figure): string[] => [
    `  ${f.label}`,
    secs(f.median),
    f.min !== undefined && f.max !== undefined ? `${secs(f.min)}–${secs(f.max)}` : '',
    f.runs !== undefined ? String(f.runs) : '',
    f.baseline ? `${f.baseline.label} (${secs(f.baseline.median)})` : '',
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : '',
    f.target ? `≤ ${f.target.maxRatio}x ${f.met ? 'met' : 'NOT met'}` : '',
  ]
  for (const f of figures) rows.push(cells(f))
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!)))
      .join('  ')
      .trimEnd()
  out.push(line(header))
  for (const s of sections) {
    out.push('', s)
    for (const f of figures.filter((x) => x.section === s)) {
      out.push(line(cells(f)))
      if (f.note) out.push(`      ${f.note}`)
    }
  }
  return out.join('\n')
}
