// `npm run bench`: every benchmark in turn, then one table of the figures (medians, with
// the floor or baseline each is compared with, the ratio and the target), the
// environment they were measured in, and the notes. Honest figures, no timed assertions:
// a missed target is reported, never a failure; the exit code is 1 only when a benchmark
// could not do its work (a sandbox that would not start, a restore that did not load).
//
//   npm run bench                                 everything, both backends, 5 runs each
//   npm run bench -- --json bench.json            also write the figures as JSON
//   npm run bench -- --quick                      smaller hosts, 3 runs: to try the harness
//   npm run bench -- --only refresh,plan --backends legacy --iterations 9
//
// Needs root (sandboxes: test/sandbox). Takes about 10-15 minutes on 2 CPUs (most of it
// starting 200 containers per backend); --quick about 3.
import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {loadavg} from 'node:os'
import {fileURLToPath} from 'node:url'

import type {Backend} from '../../src/model/types.js'
import {BigHosts, FULL_SIZE, QUICK_SIZE} from './host.js'
import {
  environmentFacts,
  formatEnv,
  renderTable,
  secs,
  type BenchOptions,
  type BenchReport,
  type Figure,
} from './lib.js'

interface Args {
  json?: string
  quick: boolean
  only?: string[]
  iterations?: number
  backends: Backend[]
}

const ALL = [
  'startup',
  'whole',
  'import',
  'refresh',
  'plan',
  'small-plan',
  'apply',
  'netfilter',
  'config-parse',
  'watch',
  'explain',
] as const

function usage(message: string): never {
  console.error(
    `${message}\nusage: node build/test/bench/run.js [--json FILE] [--quick] [--only ${ALL.join(',')}] [--iterations N] [--backends nft,legacy]`,
  )
  process.exit(2)
}

function parseArgs(argv: string[]): Args {
  const args: Args = {quick: false, backends: ['nft', 'legacy']}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => argv[++i] ?? usage(`${a} needs a value`)
    if (a === '--json') args.json = value()
    else if (a === '--quick') args.quick = true
    else if (a === '--only') args.only = value().split(',')
    else if (a === '--iterations') args.iterations = Number(value())
    else if (a === '--backends') args.backends = value().split(',') as Backend[]
    else if (a === '--help' || a === '-h') usage('')
    else usage(`unknown argument ${a}`)
  }
  for (const b of args.only ?? []) if (!(ALL as readonly string[]).includes(b)) usage(`unknown benchmark ${b}`)
  for (const b of args.backends) if (b !== 'nft' && b !== 'legacy') usage(`unknown backend ${b}`)
  if (args.iterations !== undefined && !(Number.isInteger(args.iterations) && args.iterations > 0))
    usage('--iterations needs a positive whole number')
  return args
}

type Main = (opts: BenchOptions) => Promise<BenchReport | void>

/** A benchmark module's main; watch.ts belongs to another part of the project and may be absent. */
async function load(name: (typeof ALL)[number]): Promise<Main | undefined> {
  const url = new URL(`./${name}.js`, import.meta.url)
  if (!existsSync(fileURLToPath(url))) return undefined
  const mod = (await import(url.href)) as {main?: Main}
  return mod.main
}

function asReport(name: string, r: unknown): BenchReport {
  const rep = r as Partial<BenchReport> | undefined
  return {
    bench: name,
    figures: Array.isArray(rep?.figures) ? rep.figures : [],
    notes: Array.isArray(rep?.notes) ? rep.notes : [],
  }
}

async function mainRun(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  if (process.getuid?.() !== 0)
    console.log('warning: not root; the sandbox benchmarks will fail (they start Docker engines in network namespaces)')
  const log = (line: string): void => console.log(line)
  const env = await environmentFacts()
  const started = performance.now()
  console.log('dockwall benchmarks')
  for (const l of formatEnv(env)) console.log(`  ${l}`)
  console.log('')

  const hosts = new BigHosts(args.quick ? QUICK_SIZE : FULL_SIZE, log)
  const opts: BenchOptions = {
    iterations: args.iterations ?? (args.quick ? 3 : 5),
    backends: args.backends,
    quick: args.quick,
    log,
    hosts,
  }
  const reports: BenchReport[] = []
  const errors: {bench: string; error: string}[] = []
  const wanted = ALL.filter((b) => !args.only || args.only.includes(b))
  try {
    for (const name of wanted) {
      // The large hosts serve refresh and plan; free them before the rest.
      if (name !== 'refresh' && name !== 'plan') await hosts.stopAll()
      const t0 = performance.now()
      try {
        const main = await load(name)
        if (!main) {
          log(`${name}: not present, skipped`)
          continue
        }
        // The older scripts take their own arguments; they read the options object too.
        reports.push(asReport(name, await main(opts)))
        log(`${name}: done in ${secs((performance.now() - t0) / 1000)}`)
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        errors.push({bench: name, error: message})
        log(`${name}: FAILED after ${secs((performance.now() - t0) / 1000)}: ${message}`)
      }
    }
  } finally {
    await hosts.stopAll()
  }

  const figures: Figure[] = reports.flatMap((r) => r.figures)
  const endLoad = loadavg().map((x) => Math.round(x * 100) / 100)
  const out: string[] = ['', 'dockwall benchmarks: figures are medians of the runs (n) after one warm-up run', '']
  for (const l of formatEnv(env)) out.push(`  ${l}`)
  out.push(`  load average at the end ${endLoad.join(' ')}; total ${secs((performance.now() - started) / 1000)}`, '')
  out.push(renderTable(figures))
  const notes = reports.flatMap((r) => r.notes.map((n) => `${r.bench}: ${n}`))
  if (notes.length > 0) out.push('', 'Notes:', ...notes.map((n) => `  - ${n}`))
  const targets = figures.filter((f) => f.target)
  if (targets.length > 0) {
    out.push('', 'Targets:')
    for (const f of targets)
      out.push(
        `  - issue ${f.target!.issue}, ${f.section
          .split(' · ')
          .slice(0, 3)
          .join(' · ')
          .replace(
            / \(issue \d+\)$/,
            '',
          )}: ${f.label}: ${f.ratio!.toFixed(2)}x of ${f.baseline!.label} (target ≤ ${f.target!.maxRatio}x) ${f.met ? 'met' : 'NOT met'}`,
      )
  }
  if (errors.length > 0)
    out.push('', 'Benchmarks that failed:', ...errors.map((e) => `  - ${e.bench}: ${e.error.split('\n')[0]}`))
  console.log(out.join('\n'))

  if (args.json) {
    const doc = {
      format_version: 1,
      environment: {...env, loadAverageAtEnd: endLoad},
      options: {iterations: opts.iterations, backends: opts.backends, quick: opts.quick},
      reports,
      errors,
    }
    await writeFile(args.json, `${JSON.stringify(doc, null, 2)}\n`)
    console.log(`\nWrote ${args.json}`)
  }
  return errors.length > 0 ? 1 : 0
}

process.exitCode = await mainRun()
